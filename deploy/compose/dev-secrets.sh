#!/usr/bin/env bash
# Prints a .env for a try-out of the compose stack with the Stripe simulator: the simulator profile, a test key
# pointed at the simulator, and a fresh random value for every secret. Nothing here is a default anyone else
# knows. Use:   ./dev-secrets.sh > .env && docker compose up --build
# The .env file holds secrets: it is git-ignored and kept out of the image's build context.
set -euo pipefail
random() { od -An -N"$1" -tx1 /dev/urandom | tr -d ' \n'; }
cat <<ENV
# Made by dev-secrets.sh on $(date -u +%Y-%m-%dT%H:%M:%SZ) for a simulator try-out. Secrets: never commit.
COMPOSE_PROFILES=simulator
STRIPE_SECRET_KEY=sk_test_simulator
STRIPE_API_BASE=http://stripe-sim:12111
STRIPE_WEBHOOK_SECRET=whsec_$(random 24)
OTP_SECRET=$(random 32)
INTERNAL_EVENT_KEY=$(random 32)
DATA_ENCRYPTION_KEY=k1:$(openssl rand -base64 32)
MYSQL_PASSWORD=$(random 18)
MYSQL_ROOT_PASSWORD=$(random 18)
ENV
