#!/usr/bin/env bash
# Local infrastructure for development and tests: a real Kafka broker and a real MariaDB.
#   infra.sh up     start (or reuse) both, create the database, the services' account, the topics, migrate
#   infra.sh down   stop whatever this project started (a broker or server that was already running stays)
set -euo pipefail
source "$(dirname "$0")/common.sh"
ADMIN="$ROOT/build/tools/admin/payments-admin"

case "${1:-}" in
  up)
    "$ROOT/tools/dev/kafka.sh" start
    "$ROOT/tools/dev/mariadb.sh" start
    [ -x "$ADMIN" ] || die "$ADMIN is missing: run 'make build' first"
    export KAFKA_BROKERS MYSQL_HOST MYSQL_PORT MYSQL_DATABASE MYSQL_ADMIN_USER MYSQL_ADMIN_PASSWORD
    "$ADMIN" topics
    dev_data_encryption_key  # migrations encrypt values an older version wrote in clear
    "$ADMIN" migrate --dir "$ROOT/schemas/mysql"
    ;;
  down)
    "$ROOT/tools/dev/kafka.sh" stop
    "$ROOT/tools/dev/mariadb.sh" stop
    ;;
  *) echo "usage: $0 up|down" >&2; exit 2 ;;
esac
