#!/usr/bin/env bash
# A real single-node Apache Kafka broker in KRaft mode, from Maven Central jars, with its data under .local/kafka.
#   kafka.sh start   use the broker at KAFKA_BROKERS when one answers, else fetch, format and start our own
#   kafka.sh stop    stop the broker this script started (no other)
#   kafka.sh fetch   only download the jars
#   kafka.sh run     format the storage when it is new and run the broker in the foreground (the process becomes
#                    the broker: a test can SIGKILL it and run it again on the same data). KAFKA_DIR (its
#                    config, data and logs), KAFKA_BROKERS (its address), KAFKA_CONTROLLER_PORT and
#                    KAFKA_JVM_OPTS choose another broker than the project's own; the jars stay shared.
#   kafka.sh start-secure / stop-secure
#                    a second, separate broker for the Kafka security tests (kafka-secure.sh): SASL_SSL with
#                    SCRAM-SHA-512 on 127.0.0.1:19092, StandardAuthorizer, fresh certificates and users each start
set -euo pipefail
source "$(dirname "$0")/common.sh"

KAFKA_LIBS="$LOCAL/kafka/libs"
KAFKA_DIR=${KAFKA_DIR:-$LOCAL/kafka}
PID_FILE="$KAFKA_DIR/kafka.pid"
first_broker=${KAFKA_BROKERS%%,*}
HOST=${first_broker%:*}
PORT=${first_broker##*:}
CONTROLLER_PORT=${KAFKA_CONTROLLER_PORT:-$((PORT + 1))}

fetch() {
  if compgen -G "$KAFKA_LIBS/kafka_2.13-*.jar" >/dev/null; then return 0; fi
  log "fetching Apache Kafka jars from Maven Central (first run only)"
  mvn -q -B -f "$ROOT/deploy/kafka/pom.xml" dependency:copy-dependencies \
    -DoutputDirectory="$KAFKA_LIBS" -DincludeScope=runtime \
    || die "could not fetch the Kafka jars with Maven (is Maven Central reachable?)"
}

write_config() {
  mkdir -p "$KAFKA_DIR/data" "$KAFKA_DIR/logs"
  cat >"$KAFKA_DIR/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@$HOST:$CONTROLLER_PORT
listeners=PLAINTEXT://$HOST:$PORT,CONTROLLER://$HOST:$CONTROLLER_PORT
advertised.listeners=PLAINTEXT://$HOST:$PORT
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=$KAFKA_DIR/data
num.partitions=12
offsets.topic.replication.factor=1
offsets.topic.num.partitions=12
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
PROPS
  write_kafka_log4j "$KAFKA_DIR"
}

# KAFKA_DIR's config, and its storage formatted on first use.
prepare() {
  command -v java >/dev/null || die "java not found: run 'make deps' first"
  command -v openssl >/dev/null || die "openssl not found: run 'make deps' first"
  fetch
  write_config
  if [ ! -f "$KAFKA_DIR/data/meta.properties" ]; then
    # A cluster id is 16 random bytes in URL-safe base64 (what StorageTool random-uuid prints, without its JVM start).
    local cluster_id; cluster_id=$(openssl rand -base64 16 | tr '+/' '-_' | tr -d '=\n')
    java -cp "$KAFKA_LIBS/*" kafka.tools.StorageTool format -t "$cluster_id" \
      -c "$KAFKA_DIR/server.properties" >"$KAFKA_DIR/logs/format.log" 2>&1 \
      || die "formatting Kafka storage failed, see $KAFKA_DIR/logs/format.log"
  fi
}

# Replaces this process with the broker.
exec_broker() {
  # shellcheck disable=SC2086 # KAFKA_JVM_OPTS is a list of JVM flags
  exec java ${KAFKA_JVM_OPTS:--Xms256m -Xmx1g -XX:+UseG1GC} -Dlog4j.configuration="file:$KAFKA_DIR/log4j.properties" \
    -cp "$KAFKA_LIBS/*" kafka.Kafka "$KAFKA_DIR/server.properties"
}

start() {
  if port_open "$HOST" "$PORT"; then
    log "using the Kafka broker already answering on $HOST:$PORT"
    return 0
  fi
  prepare
  log "starting Kafka on $HOST:$PORT (data in $KAFKA_DIR/data, log in $KAFKA_DIR/logs/server.log)"
  # In the background, immune to hang-ups as with nohup; the recorded pid is the broker's.
  (trap '' HUP && exec_broker) >"$KAFKA_DIR/logs/stdout.log" 2>&1 &
  echo $! >"$PID_FILE"
  wait_port "$HOST" "$PORT" 90 "Kafka (see $KAFKA_DIR/logs/server.log)"
  log "Kafka is up"
}

run() {
  prepare
  exec_broker
}

stop() { stop_started "Kafka" "$PID_FILE"; }

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  fetch) fetch ;;
  run) run ;;
  start-secure) fetch; exec "$ROOT/tools/dev/kafka-secure.sh" start ;;
  stop-secure) exec "$ROOT/tools/dev/kafka-secure.sh" stop ;;
  *) echo "usage: $0 start|stop|fetch|run|start-secure|stop-secure" >&2; exit 2 ;;
esac
