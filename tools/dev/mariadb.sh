#!/usr/bin/env bash
# MariaDB for development and tests.
#   mariadb.sh start      use the server at MYSQL_HOST:MYSQL_PORT when one answers, else start our own on a
#                         project-local data dir (.local/mariadb); then create the database and the services'
#                         least-privilege account
#   mariadb.sh stop       stop the server this script started (no other)
#   mariadb.sh start-tls  for the MySQL-over-TLS tests: fresh certificates made with openssl under
#                         .local/mariadb-tls/certs (a CA, a server certificate for 127.0.0.1/localhost, one for
#                         another host name, and an unrelated CA), then two project-owned servers beside the
#                         one above: 127.0.0.1:MYSQL_TLS_PORT (3307) with the right certificate, the database
#                         and the services' account; 127.0.0.1:MYSQL_TLS_WRONG_PORT (3308), a bare server with
#                         the wrong-host certificate (its TLS handshake is all the tests need)
#   mariadb.sh stop-tls   stop those two
set -euo pipefail
source "$(dirname "$0")/common.sh"

DB_DIR="$LOCAL/mariadb"
PID_FILE="$DB_DIR/mariadbd.pid"

admin() {
  MYSQL_PWD="$MYSQL_ADMIN_PASSWORD" mariadb --protocol=tcp -h "$MYSQL_HOST" -P "$MYSQL_PORT" \
    -u "$MYSQL_ADMIN_USER" --batch --skip-column-names "$@"
}

start_own() {
  command -v mariadbd >/dev/null || die "mariadbd not found: run 'make deps' first"
  case "$MYSQL_HOST" in 127.0.0.1 | localhost) ;; *) die "no MariaDB answers on $MYSQL_HOST:$MYSQL_PORT and it is not local" ;; esac
  mkdir -p "$DB_DIR"
  if [ ! -d "$DB_DIR/data/mysql" ]; then
    log "initialising a project-local MariaDB data dir in .local/mariadb/data"
    mariadb-install-db --no-defaults --user="$(id -un)" --datadir="$DB_DIR/data" --auth-root-authentication-method=normal \
      --skip-test-db >"$DB_DIR/install.log" 2>&1 || die "mariadb-install-db failed, see $DB_DIR/install.log"
  fi
  log "starting MariaDB on 127.0.0.1:$MYSQL_PORT (log in .local/mariadb/error.log)"
  nohup mariadbd --no-defaults --user="$(id -un)" --datadir="$DB_DIR/data" --bind-address=127.0.0.1 \
    --port="$MYSQL_PORT" --socket="$DB_DIR/mariadbd.sock" --pid-file="$PID_FILE" \
    --log-error="$DB_DIR/error.log" --innodb-buffer-pool-size=256M --max-connections=500 \
    --character-set-server=utf8mb4 --collation-server=utf8mb4_bin >/dev/null 2>&1 &
  wait_port 127.0.0.1 "$MYSQL_PORT" 60 "MariaDB (see $DB_DIR/error.log)"
  for _ in $(seq 1 40); do admin -e 'SELECT 1' >/dev/null 2>&1 && return 0; sleep 0.25; done
  die "MariaDB on 127.0.0.1:$MYSQL_PORT does not accept $MYSQL_ADMIN_USER, see $DB_DIR/error.log"
}

bootstrap() {
  admin -e 'SELECT 1' >/dev/null 2>&1 \
    || die "cannot log in to MariaDB at $MYSQL_HOST:$MYSQL_PORT as $MYSQL_ADMIN_USER (set MYSQL_ADMIN_USER / MYSQL_ADMIN_PASSWORD)"
  local pw=${MYSQL_PASSWORD//\'/\'\'}
  admin <<SQL
CREATE DATABASE IF NOT EXISTS \`$MYSQL_DATABASE\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
CREATE USER IF NOT EXISTS '$MYSQL_USER'@'%' IDENTIFIED BY '$pw';
CREATE USER IF NOT EXISTS '$MYSQL_USER'@'localhost' IDENTIFIED BY '$pw';
ALTER USER '$MYSQL_USER'@'%' IDENTIFIED BY '$pw';
ALTER USER '$MYSQL_USER'@'localhost' IDENTIFIED BY '$pw';
GRANT SELECT, INSERT, UPDATE, DELETE ON \`$MYSQL_DATABASE\`.* TO '$MYSQL_USER'@'%';
GRANT SELECT, INSERT, UPDATE, DELETE ON \`$MYSQL_DATABASE\`.* TO '$MYSQL_USER'@'localhost';
SQL
  log "database '$MYSQL_DATABASE' and account '$MYSQL_USER' (DML only) ready on $MYSQL_HOST:$MYSQL_PORT"
}

start() {
  if port_open "$MYSQL_HOST" "$MYSQL_PORT"; then
    log "using the MariaDB/MySQL server already answering on $MYSQL_HOST:$MYSQL_PORT"
  else
    start_own
  fi
  bootstrap
}

# stop [PID_FILE]: the server whose pid file that is (default: the one `start` started).
stop() {
  local pid_file=${1:-$PID_FILE}
  stop_started "MariaDB (${pid_file#"$ROOT"/})" "$pid_file"
}

source "$(dirname "$0")/mariadb-tls.sh"

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  start-tls) start_tls ;;
  stop-tls) stop_tls ;;
  *) echo "usage: $0 start|stop|start-tls|stop-tls" >&2; exit 2 ;;
esac
