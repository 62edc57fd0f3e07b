#!/usr/bin/env bash
# The stripe-sim service's command (mounted read-only into the container): starts the Stripe simulator only
# beside a simulator configuration. The simulator signs the webhooks it sends with STRIPE_WEBHOOK_SECRET, so
# beside real Stripe it would be a signing oracle for forged events; it therefore refuses to start unless the
# services talk to it (STRIPE_API_BASE) with a test key. tools/dev/check-compose.sh runs this script both ways.
set -euo pipefail
case "${STRIPE_API_BASE:-}" in
  http://stripe-sim:12111 | http://stripe-sim:12111/) ;;
  *)
    echo "stripe-sim: refusing to start: STRIPE_API_BASE is not http://stripe-sim:12111, so the services use real" \
      "Stripe, and the simulator would sign webhooks with its secret" >&2
    exit 1
    ;;
esac
case "${STRIPE_SECRET_KEY:-}" in
  sk_test_* | rk_test_*) ;;
  *)
    echo "stripe-sim: refusing to start beside a live Stripe key (STRIPE_SECRET_KEY must be sk_test_... or rk_test_...)" >&2
    exit 1
    ;;
esac
# The first of possibly several comma-separated secrets, as the API verifies with any of them.
exec stripe-sim --host 0.0.0.0 --port 12111 --latency-ms "${STRIPE_SIM_LATENCY_MS:-250}" \
  --webhook-url http://api:8080/api/v1/webhooks/stripe --webhook-secret "${STRIPE_WEBHOOK_SECRET%%,*}"
