#include <doctest/doctest.h>

#include "payments/core/stripe_gateway.hpp"

using namespace payments;

TEST_CASE("Stripe errors are classified once, from status, type and code") {
  CHECK(classify_stripe_error(402, "card_error", "card_declined") == StripeFailureKind::declined);
  CHECK(classify_stripe_error(402, "card_error", "expired_card") == StripeFailureKind::declined);
  CHECK(classify_stripe_error(400, "invalid_request_error", "parameter_invalid_integer") ==
        StripeFailureKind::invalid_request);
  CHECK(classify_stripe_error(400, "idempotency_error", "") == StripeFailureKind::idempotency_conflict);
  CHECK(classify_stripe_error(409, "invalid_request_error", "idempotency_key_in_use") == StripeFailureKind::transient);
  CHECK(classify_stripe_error(409, "api_error", "lock_timeout") == StripeFailureKind::transient);
  CHECK(classify_stripe_error(401, "invalid_request_error", "") == StripeFailureKind::authentication);
  CHECK(classify_stripe_error(403, "invalid_request_error", "") == StripeFailureKind::authentication);
  CHECK(classify_stripe_error(404, "invalid_request_error", "resource_missing") == StripeFailureKind::not_found);
  CHECK(classify_stripe_error(429, "invalid_request_error", "rate_limit") == StripeFailureKind::rate_limited);
  CHECK(classify_stripe_error(500, "api_error", "") == StripeFailureKind::transient);
  CHECK(classify_stripe_error(503, "", "") == StripeFailureKind::transient);
  CHECK(classify_stripe_error(0, "", "") == StripeFailureKind::transient);
}

TEST_CASE("only rate limits, transient failures and unknown outcomes are retryable") {
  CHECK(is_retryable(StripeFailureKind::rate_limited));
  CHECK(is_retryable(StripeFailureKind::transient));
  CHECK(is_retryable(StripeFailureKind::unknown_outcome));
  CHECK_FALSE(is_retryable(StripeFailureKind::declined));
  CHECK_FALSE(is_retryable(StripeFailureKind::invalid_request));
  CHECK_FALSE(is_retryable(StripeFailureKind::not_found));
  CHECK_FALSE(is_retryable(StripeFailureKind::idempotency_conflict));
  CHECK_FALSE(is_retryable(StripeFailureKind::authentication));
  CHECK(to_string(StripeFailureKind::unknown_outcome) == "unknown_outcome");
}

TEST_CASE("PaymentIntent statuses map to what the worker must do") {
  PaymentIntent pi{.amount = Money::parse(1000, "usd").value()};
  const auto progress = [&](const char* status) {
    pi.status = status;
    return classify_payment_intent(pi);
  };
  CHECK(progress("succeeded") == IntentProgress::succeeded);
  CHECK(progress("requires_capture") == IntentProgress::requires_capture);
  CHECK(progress("processing") == IntentProgress::processing);
  CHECK(progress("requires_action") == IntentProgress::requires_action);
  CHECK(progress("canceled") == IntentProgress::canceled);
  CHECK(progress("requires_confirmation") == IntentProgress::incomplete);
  CHECK(progress("requires_payment_method") == IntentProgress::incomplete);
  pi.last_payment_error = StripeError{};
  CHECK(progress("requires_payment_method") == IntentProgress::failed);
  CHECK(progress("something_new") == IntentProgress::unknown);
}

TEST_CASE("refund statuses collapse to pending, succeeded, failed") {
  Refund r{.amount = Money::parse(1000, "usd").value()};
  const auto progress = [&](const char* status) {
    r.status = status;
    return classify_refund(r);
  };
  CHECK(progress("pending") == RefundProgress::pending);
  CHECK(progress("requires_action") == RefundProgress::pending);
  CHECK(progress("succeeded") == RefundProgress::succeeded);
  CHECK(progress("failed") == RefundProgress::failed);
  CHECK(progress("canceled") == RefundProgress::failed);
  CHECK(progress("") == RefundProgress::pending);
}

TEST_CASE("each Stripe event type the service uses has one use, every other type none") {
  CHECK(stripe_event_use("payment_intent.succeeded") == StripeEventUse::intent_update);
  CHECK(stripe_event_use("payment_intent.payment_failed") == StripeEventUse::intent_update);
  CHECK(stripe_event_use("payment_intent.canceled") == StripeEventUse::intent_update);
  CHECK(stripe_event_use("payment_intent.requires_action") == StripeEventUse::intent_update);
  for (const auto* type : {"refund.created", "refund.updated", "charge.refund.updated", "refund.failed"}) {
    CAPTURE(type);
    CHECK(stripe_event_use(type) == StripeEventUse::refund_update);
  }
  CHECK(stripe_event_use("charge.refunded") == StripeEventUse::charge_refunded);
  CHECK(stripe_event_use("charge.dispute.created") == StripeEventUse::dispute_created);
  // Types Stripe sends that this service does not act on, and near misses.
  for (const auto* type : {"payment_intent.created", "payment_intent.processing", "charge.succeeded",
                           "charge.dispute.closed", "customer.created", "", "payment_intent.succeeded "}) {
    CAPTURE(type);
    CHECK(stripe_event_use(type) == StripeEventUse::unused);
  }
}
