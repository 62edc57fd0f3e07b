#!/usr/bin/env bash
# A second, separate Kafka broker (KRaft, the same jars as kafka.sh) that only speaks SASL_SSL with
# SCRAM-SHA-512, for the Kafka security tests. It never touches the broker on 9092.
#   kafka-secure.sh start   fresh certificates (openssl), fresh storage with the SCRAM users (Kafka's
#                           StorageTool), then the broker with the StandardAuthorizer; waits until it answers
#   kafka-secure.sh stop    stops the instance this script started
# Everything lives in .local/kafka-secure (wiped at each start):
#   ca.pem                    the CA clients trust (KAFKA_SSL_CA_LOCATION)
#   users/<name>.password     SCRAM-SHA-512 passwords of: admin (super user), payments-api, payments-worker
# The services' ACLs depend on their topic prefix and consumer group, so whoever runs a service grants them
# (the README's ACL table; the black-box test does it for its own prefix). No other ACLs exist: a user
# without one may do nothing.
set -euo pipefail
source "$(dirname "$0")/common.sh"

DIR="$LOCAL/kafka-secure"
LIBS="$LOCAL/kafka/libs"
PID_FILE="$DIR/kafka.pid"
HOST=127.0.0.1
PORT=${KAFKA_SECURE_PORT:-19092}
CONTROLLER_PORT=${KAFKA_SECURE_CONTROLLER_PORT:-$((PORT + 1))}
USERS=(admin payments-api payments-worker)

make_certificates() {
  local certs="$DIR/certs" keystore_password=$1
  mkdir -p "$certs"
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=payments test CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -keyout "$certs/ca.key" -out "$DIR/ca.pem" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout "$certs/broker.key" \
    -out "$certs/broker.csr" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth,clientAuth\n' \
    >"$certs/broker.ext"
  openssl x509 -req -days 2 -in "$certs/broker.csr" -CA "$DIR/ca.pem" -CAkey "$certs/ca.key" -CAcreateserial \
    -extfile "$certs/broker.ext" -out "$certs/broker.pem" 2>/dev/null
  openssl pkcs12 -export -name broker -in "$certs/broker.pem" -inkey "$certs/broker.key" -certfile "$DIR/ca.pem" \
    -out "$certs/broker.p12" -passout "pass:$keystore_password"
  rm -f "$certs/ca.key" "$certs/broker.key" "$certs/broker.csr"
}

write_config() {
  local admin_password=$1 keystore_password=$2
  cat >"$DIR/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@$HOST:$CONTROLLER_PORT
listeners=SASL_SSL://$HOST:$PORT,CONTROLLER://$HOST:$CONTROLLER_PORT
advertised.listeners=SASL_SSL://$HOST:$PORT
controller.listener.names=CONTROLLER
listener.security.protocol.map=SASL_SSL:SASL_SSL,CONTROLLER:SASL_PLAINTEXT
inter.broker.listener.name=SASL_SSL
# Clients: SCRAM-SHA-512 over TLS. The broker's own connections use the admin user.
listener.name.sasl_ssl.sasl.enabled.mechanisms=SCRAM-SHA-512
sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="$admin_password";
# The controller listener (loopback) cannot use SCRAM (its users live in the metadata it serves): PLAIN, as admin.
listener.name.controller.sasl.enabled.mechanisms=PLAIN
sasl.mechanism.controller.protocol=PLAIN
listener.name.controller.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="$admin_password" user_admin="$admin_password";
ssl.keystore.type=PKCS12
ssl.keystore.location=$DIR/certs/broker.p12
ssl.keystore.password=$keystore_password
ssl.key.password=$keystore_password
ssl.truststore.type=PEM
ssl.truststore.location=$DIR/ca.pem
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
super.users=User:admin
allow.everyone.if.no.acl.found=false
log.dirs=$DIR/data
num.partitions=3
offsets.topic.replication.factor=1
offsets.topic.num.partitions=3
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
PROPS
  chmod 600 "$DIR/server.properties"
  write_kafka_log4j "$DIR" "log4j.logger.kafka.authorizer.logger=INFO"
}

start() {
  if [ -f "$PID_FILE" ] && kill -0 "$(cat "$PID_FILE")" 2>/dev/null; then
    log "the secure Kafka broker is already running (pid $(cat "$PID_FILE"))"
    return 0
  fi
  port_open "$HOST" "$PORT" && die "something else answers on $HOST:$PORT (set KAFKA_SECURE_PORT)"
  command -v java >/dev/null || die "java not found: run 'make deps' first"
  command -v openssl >/dev/null || die "openssl not found: run 'make deps' first"
  compgen -G "$LIBS/kafka_2.13-*.jar" >/dev/null || die "no Kafka jars in $LIBS: run 'tools/dev/kafka.sh fetch'"
  rm -rf "$DIR"
  mkdir -p "$DIR/data" "$DIR/logs" "$DIR/users"
  chmod 700 "$DIR"
  local keystore_password scram=()
  keystore_password=$(openssl rand -hex 16)
  for user in "${USERS[@]}"; do
    (umask 077; openssl rand -hex 16 | tr -d '\n' >"$DIR/users/$user.password")
    scram+=(--add-scram "SCRAM-SHA-512=[name=$user,password=$(cat "$DIR/users/$user.password")]")
  done
  make_certificates "$keystore_password"
  write_config "$(cat "$DIR/users/admin.password")" "$keystore_password"
  local cp="$LIBS/*" jvm=(-Xms64m -Xmx384m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xshare:auto)
  # A cluster id is 16 random bytes in URL-safe base64 (what StorageTool random-uuid prints, without its JVM start).
  local cluster_id; cluster_id=$(openssl rand -base64 16 | tr '+/' '-_' | tr -d '=\n')
  java "${jvm[@]}" -cp "$cp" kafka.tools.StorageTool format -t "$cluster_id" \
    -c "$DIR/server.properties" "${scram[@]}" >"$DIR/logs/format.log" 2>&1 \
    || die "formatting the secure Kafka storage failed, see $DIR/logs/format.log"
  log "starting the secure Kafka broker on $HOST:$PORT (SASL_SSL, SCRAM-SHA-512; log in .local/kafka-secure/logs)"
  nohup java "${jvm[@]}" -Dlog4j.configuration="file:$DIR/log4j.properties" \
    -cp "$cp" kafka.Kafka "$DIR/server.properties" >"$DIR/logs/stdout.log" 2>&1 &
  echo $! >"$PID_FILE"
  wait_port "$HOST" "$PORT" 90 "the secure Kafka broker (see $DIR/logs/server.log)"
  log "the secure Kafka broker is up"
}

stop() { stop_started "the secure Kafka broker" "$PID_FILE"; }

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
