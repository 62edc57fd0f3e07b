# Shared by the tools/dev scripts: paths, defaults and a port probe. Sourced, not run.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
LOCAL="$ROOT/.local"
mkdir -p "$LOCAL"

: "${KAFKA_BROKERS:=127.0.0.1:9092}"
: "${MYSQL_HOST:=127.0.0.1}"
: "${MYSQL_PORT:=3306}"
: "${MYSQL_DATABASE:=payments}"
# The services' own least-privilege account; development defaults, override in any real deployment.
: "${MYSQL_USER:=payments_app}"
: "${MYSQL_PASSWORD:=payments_app_dev}"
# An account allowed to create databases and users, used only by set-up and migrations.
: "${MYSQL_ADMIN_USER:=root}"
: "${MYSQL_ADMIN_PASSWORD:=}"

# DATA_ENCRYPTION_KEY for development: the one set, else the key kept in .local/data-encryption-key (made once,
# mode 600), so that rows written by an earlier run still open after a restart. Never for real data.
dev_data_encryption_key() {
  if [ -z "${DATA_ENCRYPTION_KEY:-}" ]; then
    local file="$LOCAL/data-encryption-key"
    [ -s "$file" ] || (umask 077 && printf 'dev1:%s\n' "$(head -c 32 /dev/urandom | base64)" >"$file")
    DATA_ENCRYPTION_KEY=$(cat "$file")
  fi
  export DATA_ENCRYPTION_KEY
}

log() { printf '[%s] %s\n' "$(basename "$0" .sh)" "$*"; }
die() { printf '[%s] error: %s\n' "$(basename "$0" .sh)" "$*" >&2; exit 1; }

# port_open HOST PORT: true when something accepts TCP connections there.
port_open() { timeout 1 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null; }

# stop_started WHAT PID_FILE: stops the process this project started and recorded in PID_FILE (SIGTERM, then
# SIGKILL after 30 s), and forgets the file; says so when there is none.
stop_started() {
  local what=$1 pid_file=$2
  [ -f "$pid_file" ] || { log "no $what started by this project"; return 0; }
  local pid; pid=$(cat "$pid_file")
  if kill -0 "$pid" 2>/dev/null; then
    log "stopping $what (pid $pid)"
    kill "$pid"
    for _ in $(seq 1 120); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -0 "$pid" 2>/dev/null && { log "$what did not stop in 30s, killing it"; kill -9 "$pid"; }
  fi
  rm -f "$pid_file"
}

# write_kafka_log4j DIR [EXTRA_LINES]: a broker's log4j settings in DIR/log4j.properties, logging to
# DIR/logs/server.log (warnings, and Kafka's own info), with EXTRA_LINES appended.
write_kafka_log4j() {
  cat >"$1/log4j.properties" <<PROPS
log4j.rootLogger=WARN, file
log4j.appender.file=org.apache.log4j.FileAppender
log4j.appender.file.File=$1/logs/server.log
log4j.appender.file.layout=org.apache.log4j.PatternLayout
log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka=INFO
${2:-}
PROPS
}

# wait_port HOST PORT SECONDS WHAT
wait_port() {
  local host=$1 port=$2 seconds=$3 what=$4
  for ((i = 0; i < seconds * 4; i++)); do
    port_open "$host" "$port" && return 0
    sleep 0.25
  done
  die "$what did not come up on $host:$port within ${seconds}s"
}
