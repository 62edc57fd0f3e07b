#!/usr/bin/env bash
# `make run`: infrastructure, the Stripe simulator when no STRIPE_SECRET_KEY is set, then the API and one
# worker in the foreground. Ctrl-C (or SIGTERM) stops everything this script started.
set -euo pipefail
source "$(dirname "$0")/common.sh"
BIN="$ROOT/build"

first_broker=${KAFKA_BROKERS%%,*}
kafka_was_up=false; port_open "${first_broker%:*}" "${first_broker##*:}" && kafka_was_up=true
db_was_up=false; port_open "$MYSQL_HOST" "$MYSQL_PORT" && db_was_up=true
pids=()
cleanup() {
  trap - INT TERM EXIT
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  $kafka_was_up || "$ROOT/tools/dev/kafka.sh" stop
  $db_was_up || "$ROOT/tools/dev/mariadb.sh" stop
}
trap cleanup INT TERM EXIT

# With a real Stripe key the operator supplies OTP_SECRET: codes hashed under a key anyone can read in this
# script could be brute-forced from the database.
if [ -n "${STRIPE_SECRET_KEY:-}" ]; then
  for secret in OTP_SECRET INTERNAL_EVENT_KEY; do
    [ -n "${!secret:-}" ] || die "$secret is required with a real STRIPE_SECRET_KEY: set it to 32 or more random bytes"
  done
fi

# The same for the key of the encrypted columns: a simulator run uses the development key kept in .local/.
if [ -n "${STRIPE_SECRET_KEY:-}" ] && [ -z "${DATA_ENCRYPTION_KEY:-}" ]; then
  die "DATA_ENCRYPTION_KEY is required with a real STRIPE_SECRET_KEY: set it to <key id>:<base64 of 32 random bytes>"
fi
dev_data_encryption_key

"$ROOT/tools/dev/infra.sh" up
export KAFKA_BROKERS MYSQL_HOST MYSQL_PORT MYSQL_DATABASE MYSQL_USER MYSQL_PASSWORD

# A development API key for merchant `dev`: reused while it is active in this database, else made anew.
# The secret is kept in .local/dev-api-key (mode 600) for curl; the key id beside it.
dev_key_file="$ROOT/.local/dev-api-key"
dev_key_id_file="$dev_key_file.id"
if [ -s "$dev_key_file" ] && [ -s "$dev_key_id_file" ] &&
  "$BIN/tools/admin/payments-admin" api-keys list --merchant dev 2>/dev/null |
  awk -v id="$(cat "$dev_key_id_file")" '$1 == id && $3 == "active" { found = 1 } END { exit !found }'; then
  log "reusing the development API key $(cat "$dev_key_id_file") for merchant dev"
else
  created=$("$BIN/tools/admin/payments-admin" api-keys create --merchant dev)
  (umask 077; tail -n 1 <<<"$created" >"$dev_key_file")
  sed -n 's/^key_id: //p' <<<"$created" >"$dev_key_id_file"
  log "made a development API key $(cat "$dev_key_id_file") for merchant dev"
fi

if [ -z "${STRIPE_SECRET_KEY:-}" ]; then
  : "${STRIPE_SIM_PORT:=12111}"
  cat >&2 <<BANNER
==========================================================================================
  STRIPE_SECRET_KEY is not set: starting the Stripe SIMULATOR on 127.0.0.1:$STRIPE_SIM_PORT.
  No real payment is made. Set STRIPE_SECRET_KEY (and leave STRIPE_API_BASE unset) for Stripe.
==========================================================================================
BANNER
  # The simulator sends its events, signed, to the API's webhook endpoint (docs/webhooks.md), with a secret
  # made for this run unless STRIPE_WEBHOOK_SECRET is set (then it signs with its first secret).
  if [ -z "${STRIPE_WEBHOOK_SECRET:-}" ]; then
    STRIPE_WEBHOOK_SECRET="whsec_dev_$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
  fi
  sim_webhook_secret=${STRIPE_WEBHOOK_SECRET%%,*}
  sim_webhook_secret=${sim_webhook_secret// /}
  "$BIN/tools/stripe-sim/stripe-sim" --port "$STRIPE_SIM_PORT" --latency-ms "${STRIPE_SIM_LATENCY_MS:-250}" \
    --webhook-url "http://127.0.0.1:${API_PORT:-8080}/api/v1/webhooks/stripe" \
    --webhook-secret "$sim_webhook_secret" &
  pids+=($!)
  export STRIPE_SECRET_KEY=sk_test_simulator STRIPE_API_BASE="http://127.0.0.1:$STRIPE_SIM_PORT"
  wait_port 127.0.0.1 "$STRIPE_SIM_PORT" 10 "the Stripe simulator"
fi
# With real Stripe and no STRIPE_WEBHOOK_SECRET the API still starts; its webhook endpoint answers 503 and
# says so at start-up (docs/webhooks.md: `stripe listen` prints a secret for local forwarding).
# No built-in secret: a simulator run gets a random OTP_SECRET of its own (checked for real keys above).
[ -n "${OTP_SECRET:-}" ] || OTP_SECRET="otp_dev_$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')"
# The key API and worker sign and check Stripe event records with: kept under .local/ (mode 600) so that
# records written before a restart are still accepted after it.
if [ -z "${INTERNAL_EVENT_KEY:-}" ]; then
  internal_key_file="$ROOT/.local/dev-internal-event-key"
  [ -s "$internal_key_file" ] || (umask 077 && od -An -N32 -tx1 /dev/urandom | tr -d ' \n' >"$internal_key_file")
  INTERNAL_EVENT_KEY=$(cat "$internal_key_file")
fi
export STRIPE_SECRET_KEY STRIPE_API_BASE STRIPE_WEBHOOK_SECRET OTP_SECRET INTERNAL_EVENT_KEY

"$BIN/apps/worker/payments-worker" &
pids+=($!)
"$BIN/apps/api/payments-api" &
pids+=($!)
log "API on http://127.0.0.1:${API_PORT:-8080} (admin :${API_ADMIN_PORT:-9090}), worker metrics on :${WORKER_METRICS_PORT:-9091}."
log "API key for merchant dev: $(cat "$dev_key_file")   (curl -H \"Authorization: Bearer \$(cat .local/dev-api-key)\" ...)"
log "Ctrl-C stops everything."
wait -n "${pids[@]}"
