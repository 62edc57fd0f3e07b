#!/usr/bin/env bash
# `make test`: every tier through ctest against real infrastructure. Infrastructure this run started is
# stopped again at the end; a broker or database that was already running is left as it was.
set -euo pipefail
source "$(dirname "$0")/common.sh"

first_broker=${KAFKA_BROKERS%%,*}
kafka_was_up=false; port_open "${first_broker%:*}" "${first_broker##*:}" && kafka_was_up=true
db_was_up=false; port_open "$MYSQL_HOST" "$MYSQL_PORT" && db_was_up=true
secure_was_up=false; port_open 127.0.0.1 "${KAFKA_SECURE_PORT:-19092}" && secure_was_up=true
cleanup() {
  $secure_was_up || "$ROOT/tools/dev/kafka.sh" stop-secure
  "$ROOT/tools/dev/mariadb.sh" stop-tls
  $kafka_was_up || "$ROOT/tools/dev/kafka.sh" stop
  $db_was_up || "$ROOT/tools/dev/mariadb.sh" stop
}
trap cleanup EXIT

"$ROOT/tools/dev/infra.sh" up
# The MariaDB servers with TLS that the MySQL-over-TLS tests (integration and black-box) connect to.
"$ROOT/tools/dev/mariadb.sh" start-tls
export KAFKA_BROKERS MYSQL_HOST MYSQL_PORT MYSQL_DATABASE MYSQL_USER MYSQL_PASSWORD MYSQL_ADMIN_USER MYSQL_ADMIN_PASSWORD
cd "$ROOT/build"
# Unit tests first: they fail fastest. Then the tiers that need the real stack.
ctest --output-on-failure --timeout 600 -L unit
# The fuzz tier: every libFuzzer target for 20 s under ASan + UBSan (clang, its own incremental build in build-fuzz/).
FUZZ_SECONDS=20 "$ROOT/tools/dev/fuzz.sh"
ctest --output-on-failure --timeout 600 -L integration
# The Kafka security tests' own broker (SASL_SSL, SCRAM-SHA-512, ACLs on 127.0.0.1:19092), fresh each run.
"$ROOT/tools/dev/kafka.sh" start-secure
export KAFKA_SECURE_BROKERS="127.0.0.1:${KAFKA_SECURE_PORT:-19092}"
ctest --output-on-failure --timeout 900 -L blackbox --no-tests=ignore
# The chaos tier: the same binaries under steady load while one fault per case is injected (a worker, the Kafka
# broker or MariaDB killed, Stripe misbehaving, poison commands); the cases that kill Kafka or MariaDB start a
# broker or server of their own. About 6 minutes (docs/reliability.md).
ctest --output-on-failure --timeout 600 -L chaos --no-tests=ignore
