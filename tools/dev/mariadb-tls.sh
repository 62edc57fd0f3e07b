# The MariaDB servers of the MySQL-over-TLS tests (see `mariadb.sh start-tls`). Sourced by mariadb.sh, not run.
# They never touch the server on MYSQL_PORT: own ports, data dirs, sockets and pid files under .local/mariadb-tls.

TLS_DIR="$LOCAL/mariadb-tls"
CERTS="$TLS_DIR/certs"
: "${MYSQL_TLS_PORT:=3307}"
: "${MYSQL_TLS_WRONG_PORT:=3308}"

# make_certs: a test CA; server.pem for 127.0.0.1 and localhost; wrong-host.pem, signed by the same CA for a
# name that is not this host; other-ca.pem, a CA that signed neither. Made afresh at each start.
make_certs() {
  rm -rf "$CERTS" && mkdir -p "$CERTS" && chmod 700 "$CERTS"
  (
    cd "$CERTS"
    openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=payments test CA" \
      -keyout ca.key -out ca.pem
    openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=payments unrelated CA" \
      -keyout other-ca.key -out other-ca.pem
    local name san
    for name in server wrong-host; do
      if [ "$name" = server ]; then san="IP:127.0.0.1,DNS:localhost"; else san="DNS:db.wrong-host.invalid"; fi
      openssl req -newkey rsa:2048 -nodes -subj "/CN=${san#*:}" -keyout "$name.key" -out "$name.csr"
      openssl x509 -req -in "$name.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -days 30 \
        -extfile <(printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth\n' "$san") -out "$name.pem"
    done
    rm -f ./*.csr
  ) >"$TLS_DIR/openssl.log" 2>&1 || die "openssl failed, see $TLS_DIR/openssl.log"
}

# run_tls_server NAME PORT CERT [mariadbd options...]: starts mariadbd on DATA=$TLS_DIR/NAME with that
# certificate and waits for the port.
run_tls_server() {
  local name=$1 port=$2 cert=$3; shift 3
  local dir="$TLS_DIR/$name"
  port_open 127.0.0.1 "$port" && die "127.0.0.1:$port is taken: set MYSQL_TLS_PORT / MYSQL_TLS_WRONG_PORT"
  nohup mariadbd --no-defaults --user="$(id -un)" --datadir="$dir/data" --bind-address=127.0.0.1 \
    --port="$port" --socket="$dir/mariadbd.sock" --pid-file="$dir/mariadbd.pid" --log-error="$dir/error.log" \
    --ssl-ca="$CERTS/ca.pem" --ssl-cert="$CERTS/$cert.pem" --ssl-key="$CERTS/$cert.key" \
    --innodb-log-file-size=8M --skip-log-bin --character-set-server=utf8mb4 --collation-server=utf8mb4_bin \
    "$@" >/dev/null 2>&1 &
  wait_port 127.0.0.1 "$port" 60 "MariaDB with TLS (see $dir/error.log)"
}

start_tls() {
  command -v mariadbd >/dev/null || die "mariadbd not found: run 'make deps' first"
  stop_tls
  make_certs
  local main="$TLS_DIR/main"
  if [ ! -d "$main/data/mysql" ]; then
    mkdir -p "$main"
    mariadb-install-db --no-defaults --user="$(id -un)" --datadir="$main/data" --auth-root-authentication-method=normal \
      --skip-test-db >"$main/install.log" 2>&1 || die "mariadb-install-db failed, see $main/install.log"
  fi
  log "starting MariaDB with TLS on 127.0.0.1:$MYSQL_TLS_PORT (certificate for 127.0.0.1, localhost)"
  run_tls_server main "$MYSQL_TLS_PORT" server --innodb-buffer-pool-size=64M --max-connections=300
  # The admin account the tests use, as on the main server; root has no password on a fresh data dir.
  local pw=${MYSQL_ADMIN_PASSWORD//\'/\'\'}
  for _ in $(seq 1 40); do mariadb -S "$main/mariadbd.sock" -u root -e 'SELECT 1' >/dev/null 2>&1 && break; sleep 0.25; done
  mariadb -S "$main/mariadbd.sock" -u root <<SQL || die "cannot set up $MYSQL_ADMIN_USER on 127.0.0.1:$MYSQL_TLS_PORT"
CREATE USER IF NOT EXISTS '$MYSQL_ADMIN_USER'@'localhost';
ALTER USER '$MYSQL_ADMIN_USER'@'localhost' IDENTIFIED BY '$pw';
GRANT ALL PRIVILEGES ON *.* TO '$MYSQL_ADMIN_USER'@'localhost' WITH GRANT OPTION;
SQL
  (
    MYSQL_HOST=127.0.0.1 MYSQL_PORT=$MYSQL_TLS_PORT
    bootstrap
    # Here the services' account may log in over TLS only: a service that skipped TLS would be turned away.
    admin -e "ALTER USER '$MYSQL_USER'@'%' REQUIRE SSL; ALTER USER '$MYSQL_USER'@'localhost' REQUIRE SSL;" \
      || die "cannot require TLS of $MYSQL_USER on 127.0.0.1:$MYSQL_TLS_PORT"
  )

  log "starting MariaDB with TLS on 127.0.0.1:$MYSQL_TLS_WRONG_PORT (certificate for another host name)"
  mkdir -p "$TLS_DIR/wrong-host/data"
  run_tls_server wrong-host "$MYSQL_TLS_WRONG_PORT" wrong-host --skip-grant-tables --innodb-buffer-pool-size=8M
  log "certificates in ${CERTS#"$ROOT"/}: ca.pem, other-ca.pem, server.pem, wrong-host.pem"
}

stop_tls() {
  stop "$TLS_DIR/main/mariadbd.pid"
  stop "$TLS_DIR/wrong-host/mariadbd.pid"
}
