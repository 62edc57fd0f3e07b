#!/usr/bin/env bash
# `make bench`: throughput and latency of the real stack on this machine — local Kafka, MariaDB, the API, one
# worker and the Stripe simulator at a set latency — driven by build/tools/loadgen/payments-loadgen.
# Every scenario gets a throwaway database and topic prefix (topics with 12 partitions) and fresh processes,
# so peak RSS and CPU seconds belong to that scenario alone. Results: $BENCH_OUT/results.json (+ one JSON
# per scenario, an SVG and the services' logs); the table goes to stdout. Infrastructure this run started is
# stopped again at the end; a broker or database that was already running is left as it was.
# Each scenario's API requests (but api_front_noauth's) carry an API key (merchant "bench", rate limit
# 100,000/s) made for its database with `payments-admin api-keys create` and handed to the load generator
# in a file; the report compares api_front with api_front_noauth (authentication's cost, within 5 % is the
# bound).
#
# Scenarios (see docs/performance.md):
#   api_max                   API closed loop, BENCH_API_CONNECTIONS connections for BENCH_API_SECONDS, no
#                             Idempotency-Key
#   api_max_keys              the same for BENCH_API_KEYS_SECONDS, every request with its own Idempotency-Key
#   api_front_noauth          api_front on payments-api-without-auth (tools/loadgen, benchmark only: every
#                             request accepted without a key), no key sent; runs right before api_front
#   api_front                 api_max with no worker running: the front tier's own capacity, as when the
#                             workers run on other machines (the API targets are judged on api_max)
#   kafka_backlog             BENCH_BACKLOG payment.create commands straight into Kafka, worker --max-in-flight
#   kafka_backlog_sequential  BENCH_SEQUENTIAL_BACKLOG commands, worker --sequential (the baseline)
#   open_loop                 BENCH_OPEN_RATE payments/s offered for BENCH_OPEN_SECONDS (BENCH_OPEN_MODE kafka|api)
#   open_loop_low             the same at BENCH_OPEN_LOW_RATE, a rate this machine sustains, for the latency
#   stripe_paced              BENCH_PACED_BACKLOG commands straight into Kafka, the worker paced at
#                             STRIPE_MAX_REQUESTS_PER_SECOND=BENCH_PACED_RATE against a simulator limited to
#                             BENCH_PACED_SIM_LIMIT requests/s (Stripe's live limit): completed/s against the bound
# Every other scenario runs the worker unpaced (STRIPE_MAX_REQUESTS_PER_SECOND=0): its simulator has no limit.
# When api_front_noauth or api_front is the first scenario, a throwaway api_front of BENCH_WARMUP_SECONDS
# runs before it, so that neither side of the comparison meets a cold Kafka and MariaDB.
set -euo pipefail
source "$(dirname "$0")/common.sh"
dev_data_encryption_key  # the services refuse to start without one

BIN=${BENCH_BUILD_DIR:-build}
[[ $BIN = /* ]] || BIN=$ROOT/$BIN
OUT=${BENCH_OUT:-$BIN/bench}
: "${BENCH_STRIPE_LATENCY_MS:=250}"
: "${BENCH_PARTITIONS:=12}"
: "${BENCH_MAX_IN_FLIGHT:=1000}"
: "${BENCH_API_CONNECTIONS:=64}"
: "${BENCH_API_SECONDS:=20}"
: "${BENCH_BACKLOG:=20000}"
: "${BENCH_SEQUENTIAL_BACKLOG:=300}"
: "${BENCH_OPEN_RATE:=1000}"
: "${BENCH_OPEN_SECONDS:=15}"
: "${BENCH_OPEN_MODE:=kafka}"
: "${BENCH_LOG_LEVEL:=info}"
: "${BENCH_API_KEYS_SECONDS:=10}"
: "${BENCH_OPEN_LOW_RATE:=100}"
: "${BENCH_PACED_RATE:=90}"
: "${BENCH_PACED_BACKLOG:=1000}"
: "${BENCH_PACED_SIM_LIMIT:=100}"
: "${BENCH_SCENARIOS:=api_max api_max_keys api_front_noauth api_front kafka_backlog kafka_backlog_sequential open_loop open_loop_low stripe_paced}"
: "${BENCH_SETTLE_SECONDS:=5}"
: "${BENCH_WARMUP_SECONDS:=5}"

LOADGEN="$BIN/tools/loadgen/payments-loadgen"
ADMIN="$BIN/tools/admin/payments-admin"
API_WITHOUT_AUTH="$BIN/tools/loadgen/payments-api-without-auth"
binaries=("$LOADGEN" "$ADMIN" "$BIN/apps/api/payments-api" "$BIN/apps/worker/payments-worker"
  "$BIN/tools/stripe-sim/stripe-sim")
[[ " $BENCH_SCENARIOS " = *" api_front_noauth "* ]] && binaries+=("$API_WITHOUT_AUTH")
for b in "${binaries[@]}"; do
  [ -x "$b" ] || die "$b is missing: run 'make build' first"
done

first_broker=${KAFKA_BROKERS%%,*}
kafka_was_up=false; port_open "${first_broker%:*}" "${first_broker##*:}" && kafka_was_up=true
db_was_up=false; port_open "$MYSQL_HOST" "$MYSQL_PORT" && db_was_up=true

service_pids=()
run_db=""
run_prefix=""
key_file=""

mysql_admin() { MYSQL_PWD="$MYSQL_ADMIN_PASSWORD" mysql -h "$MYSQL_HOST" -P "$MYSQL_PORT" -u "$MYSQL_ADMIN_USER" -N -B "$@"; }

# stop_pid PID: SIGTERM, up to 45 s to drain, then SIGKILL.
stop_pid() {
  local pid=$1 i
  kill -TERM "$pid" 2>/dev/null || return 0
  for ((i = 0; i < 180; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.25
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

# Stops this scenario's processes (worker first, so it drains against a live API and simulator) and drops
# its database and topics.
teardown_scenario() {
  local i
  for ((i = ${#service_pids[@]} - 1; i >= 0; i--)); do stop_pid "${service_pids[i]}"; done
  service_pids=()
  if [ -n "$run_db" ]; then mysql_admin -e "DROP DATABASE IF EXISTS \`$run_db\`" || true; fi
  if [ -n "$run_prefix" ]; then "$LOADGEN" drop-topics --brokers "$KAFKA_BROKERS" --topic-prefix "$run_prefix" || true; fi
  if [ -n "$key_file" ]; then rm -f "$key_file"; fi
  run_db=""
  run_prefix=""
  key_file=""
}

cleanup() {
  trap - INT TERM EXIT
  teardown_scenario
  $kafka_was_up || "$ROOT/tools/dev/kafka.sh" stop
  $db_was_up || "$ROOT/tools/dev/mariadb.sh" stop
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# free_port FROM: the first port from FROM up that nothing listens on.
free_port() {
  local p=$1
  while port_open 127.0.0.1 "$p"; do p=$((p + 1)); done
  echo "$p"
}

# wait_http PORT PATH SECONDS WHAT: until GET answers 200.
wait_http() {
  local i
  for ((i = 0; i < $3 * 4; i++)); do
    curl -sf -o /dev/null "http://127.0.0.1:$1$2" && return 0
    sleep 0.25
  done
  die "$4 did not answer 200 on :$1$2 within $3 s (logs in $OUT/logs)"
}

"$ROOT/tools/dev/infra.sh" up
mkdir -p "$OUT/logs"
rm -f "$OUT"/*.json "$OUT"/*.svg

mysqld_pid=$(pidof mariadbd || pidof mysqld || true)
kafka_pid=$(cat "$LOCAL/kafka/kafka.pid" 2>/dev/null || pgrep -f 'kafka\.Kafka' | head -1 || true)
watch_args=()
[ -n "$mysqld_pid" ] && watch_args+=(--watch "mysqld=${mysqld_pid%% *}")
[ -n "$kafka_pid" ] && watch_args+=(--watch "kafka=$kafka_pid")

# MariaDB's global counters, read by the load generator before and after each scenario.
cat >"$OUT/db-status.sh" <<SH
#!/bin/sh
MYSQL_PWD='$MYSQL_ADMIN_PASSWORD' exec mysql -h '$MYSQL_HOST' -P '$MYSQL_PORT' -u '$MYSQL_ADMIN_USER' -N -B -e \
  "SHOW GLOBAL STATUS WHERE Variable_name IN ('Questions','Com_begin','Com_commit','Com_rollback','Com_insert',
   'Com_update','Com_select','Com_delete','Com_stmt_execute','Innodb_data_fsyncs','Innodb_row_lock_waits')"
SH
chmod +x "$OUT/db-status.sh"

SIM_PORT=$(free_port 18111)
API_PORT=$(free_port 18080)
API_ADMIN_PORT=$(free_port 18190)  # the API's admin listener (/metrics, /ready with details), loopback
WORKER_METRICS_PORT=$(free_port 18091)

# run_scenario NAME WORKER_FLAG... -- LOADGEN_FLAG...   (WORKER_FLAG --no-worker: start no worker;
# --api-without-auth: run payments-api-without-auth instead of payments-api, and send no API key;
# --stripe-rate N: the worker's STRIPE_MAX_REQUESTS_PER_SECOND (default 0, unpaced); --sim-limit N: the
# simulator's --rate-limit)
failures=()
run_scenario() {
  local name=$1 worker_args=() loadgen_args=() with_worker=true api_bin="$BIN/apps/api/payments-api" with_key=true
  local stripe_rate=0 sim_args=()
  shift
  while [ "$1" != "--" ]; do
    case "$1" in
      --no-worker) with_worker=false ;;
      --api-without-auth) api_bin=$API_WITHOUT_AUTH; with_key=false ;;
      --stripe-rate) stripe_rate=$2; shift ;;
      --sim-limit) sim_args+=(--rate-limit "$2"); shift ;;
      *) worker_args+=("$1") ;;
    esac
    shift
  done
  shift
  loadgen_args=("$@")
  local id
  id="$(date +%s)$((RANDOM % 1000))"
  run_db="payments_bench_$id"
  run_prefix="bench-$id."
  log "scenario $name: database $run_db, topic prefix $run_prefix, worker ${worker_args[*]}"
  mysql_admin -e "CREATE DATABASE \`$run_db\`;
    GRANT SELECT, INSERT, UPDATE, DELETE ON \`$run_db\`.* TO '$MYSQL_USER'@'%';
    GRANT SELECT, INSERT, UPDATE, DELETE ON \`$run_db\`.* TO '$MYSQL_USER'@'localhost';"
  local env=(KAFKA_BROKERS="$KAFKA_BROKERS" KAFKA_TOPIC_PREFIX="$run_prefix" WORKER_GROUP_ID="${run_prefix}worker"
    MYSQL_HOST="$MYSQL_HOST" MYSQL_PORT="$MYSQL_PORT" MYSQL_USER="$MYSQL_USER" MYSQL_PASSWORD="$MYSQL_PASSWORD"
    MYSQL_DATABASE="$run_db" MYSQL_ADMIN_USER="$MYSQL_ADMIN_USER" MYSQL_ADMIN_PASSWORD="$MYSQL_ADMIN_PASSWORD"
    STRIPE_SECRET_KEY=sk_test_bench STRIPE_API_BASE="http://127.0.0.1:$SIM_PORT" STRIPE_WEBHOOK_SECRET=whsec_bench
    STRIPE_MAX_REQUESTS_PER_SECOND="$stripe_rate"
    OTP_SECRET=otp_bench_only_secret INTERNAL_EVENT_KEY=internal_bench_only_key_of_32_bytes_min DATA_ENCRYPTION_KEY="$DATA_ENCRYPTION_KEY" API_PORT="$API_PORT" API_BIND_ADDRESS=127.0.0.1
    API_ADMIN_PORT="$API_ADMIN_PORT" API_ADMIN_BIND_ADDRESS=127.0.0.1
    WORKER_METRICS_PORT="$WORKER_METRICS_PORT" WORKER_METRICS_BIND_ADDRESS=127.0.0.1 LOG_LEVEL="$BENCH_LOG_LEVEL")
  local logs="$OUT/logs/$name"
  env "${env[@]}" "$ADMIN" migrate --dir "$ROOT/schemas/mysql" >"$logs-admin.log" 2>&1
  env "${env[@]}" "$ADMIN" topics --partitions "$BENCH_PARTITIONS" >>"$logs-admin.log" 2>&1
  # The key every request sends: stdout's last line is the secret. It goes only into a file only this user
  # can read, which the load generator reads (never argv, never a log), and is deleted at teardown.
  local key_args=()
  if $with_key; then
    local created
    created=$(env "${env[@]}" "$ADMIN" api-keys create --merchant bench --rate-limit 100000 2>>"$logs-admin.log") ||
      die "payments-admin api-keys create failed (see $logs-admin.log)"
    key_file="$OUT/api-key-$id"
    (umask 077 && printf '%s\n' "${created##*$'\n'}" >"$key_file")
    key_args=(--api-key-file "$key_file")
  fi

  "$BIN/tools/stripe-sim/stripe-sim" --port "$SIM_PORT" --latency-ms "$BENCH_STRIPE_LATENCY_MS" "${sim_args[@]}" \
    >"$logs-sim.log" 2>&1 &
  local sim_pid=$!
  service_pids+=("$sim_pid")
  wait_http "$SIM_PORT" /_sim/health 20 "stripe-sim"
  env "${env[@]}" "$api_bin" >"$logs-api.log" 2>&1 &
  local api_pid=$!
  service_pids+=("$api_pid")
  wait_http "$API_PORT" /ready 30 "$(basename "$api_bin")"
  local worker_watch=() describe="no worker"
  if $with_worker; then
    env "${env[@]}" "$BIN/apps/worker/payments-worker" "${worker_args[@]}" >"$logs-worker.log" 2>&1 &
    local worker_pid=$!
    service_pids+=("$worker_pid")
    wait_http "$WORKER_METRICS_PORT" /health 30 "payments-worker"
    worker_watch=(--worker-metrics-port "$WORKER_METRICS_PORT" --watch "worker=$worker_pid")
    describe="worker ${worker_args[*]}"
  fi

  local status=0
  "$LOADGEN" run --name "$name" --brokers "$KAFKA_BROKERS" --topic-prefix "$run_prefix" \
    --api-port "$API_PORT" "${key_args[@]}" --sim-port "$SIM_PORT" "${worker_watch[@]}" \
    --watch "api=$api_pid" --watch "sim=$sim_pid" "${watch_args[@]}" \
    --db-status-cmd "$OUT/db-status.sh" \
    --describe "$describe; $(basename "$api_bin"); Stripe latency ${BENCH_STRIPE_LATENCY_MS} ms" \
    --out "$OUT/$name.json" "${loadgen_args[@]}" || status=$?
  [ "$status" -eq 0 ] || failures+=("$name (payments-loadgen exit $status)")
  teardown_scenario
  sleep "$BENCH_SETTLE_SECONDS"  # let MariaDB and Kafka finish dropping this scenario's data before the next
}

started=$(date +%s)
# The two sides of authentication's cost must not differ by who met a cold Kafka and MariaDB (JIT, buffer
# pool): when one of them runs first, a short api_front goes before it, and its results are discarded.
read -r first_scenario _ <<<"$BENCH_SCENARIOS"
if [ "$first_scenario" = api_front_noauth ] || [ "$first_scenario" = api_front ]; then
  run_scenario warmup --no-worker -- \
    --mode api --connections "$BENCH_API_CONNECTIONS" --duration-s "$BENCH_WARMUP_SECONDS" --no-idempotency-keys
  rm -f "$OUT/warmup.json"
fi
for scenario in $BENCH_SCENARIOS; do
  case "$scenario" in
    api_max)
      run_scenario api_max --max-in-flight "$BENCH_MAX_IN_FLIGHT" -- \
        --mode api --connections "$BENCH_API_CONNECTIONS" --duration-s "$BENCH_API_SECONDS" --no-idempotency-keys ;;
    api_max_keys)
      run_scenario api_max_keys --max-in-flight "$BENCH_MAX_IN_FLIGHT" -- \
        --mode api --connections "$BENCH_API_CONNECTIONS" --duration-s "$BENCH_API_KEYS_SECONDS" ;;
    api_front_noauth)  # the same as api_front, on payments-api-without-auth
      run_scenario api_front_noauth --no-worker --api-without-auth -- \
        --mode api --connections "$BENCH_API_CONNECTIONS" --duration-s "$BENCH_API_KEYS_SECONDS" --no-idempotency-keys ;;
    api_front)
      run_scenario api_front --no-worker -- \
        --mode api --connections "$BENCH_API_CONNECTIONS" --duration-s "$BENCH_API_KEYS_SECONDS" --no-idempotency-keys ;;
    kafka_backlog)
      run_scenario kafka_backlog --max-in-flight "$BENCH_MAX_IN_FLIGHT" -- \
        --mode kafka --count "$BENCH_BACKLOG" --track --drain-timeout-s 300 ;;
    kafka_backlog_sequential)
      run_scenario kafka_backlog_sequential --sequential --max-in-flight "$BENCH_MAX_IN_FLIGHT" -- \
        --mode kafka --count "$BENCH_SEQUENTIAL_BACKLOG" --track --drain-timeout-s 120 ;;
    open_loop)
      run_scenario open_loop --max-in-flight "$BENCH_MAX_IN_FLIGHT" -- \
        --mode "$BENCH_OPEN_MODE" --rate "$BENCH_OPEN_RATE" --duration-s "$BENCH_OPEN_SECONDS" \
        --connections "$BENCH_API_CONNECTIONS" --track --drain-timeout-s 240 ;;
    open_loop_low)
      run_scenario open_loop_low --max-in-flight "$BENCH_MAX_IN_FLIGHT" -- \
        --mode "$BENCH_OPEN_MODE" --rate "$BENCH_OPEN_LOW_RATE" --duration-s "$BENCH_OPEN_SECONDS" \
        --connections "$BENCH_API_CONNECTIONS" --track --drain-timeout-s 120 ;;
    stripe_paced)
      run_scenario stripe_paced --stripe-rate "$BENCH_PACED_RATE" --sim-limit "$BENCH_PACED_SIM_LIMIT" \
        --max-in-flight "$BENCH_MAX_IN_FLIGHT" -- \
        --mode kafka --count "$BENCH_PACED_BACKLOG" --track --drain-timeout-s 120 ;;
    *) die "unknown scenario $scenario" ;;
  esac
done

files=()
for scenario in $BENCH_SCENARIOS; do
  [ -f "$OUT/$scenario.json" ] && files+=("$OUT/$scenario.json")
done
[ "${#files[@]}" -gt 0 ] || die "no scenario produced results"
report_status=0
"$LOADGEN" report --out "$OUT/results.json" --svg "$OUT/bench.svg" \
  --stripe-latency-ms "$BENCH_STRIPE_LATENCY_MS" --partitions "$BENCH_PARTITIONS" --stripe-paced-rate "$BENCH_PACED_RATE" \
  "${files[@]}" || report_status=$?
log "took $(($(date +%s) - started)) s; results in $OUT/results.json, chart $OUT/bench.svg, logs in $OUT/logs"
[ "$report_status" -eq 0 ] || failures+=("report (exit $report_status: a charge check failed)")
if [ "${#failures[@]}" -gt 0 ]; then
  printf '[bench] FAILED: %s\n' "${failures[@]}" >&2
  exit 1
fi
