#include <doctest/doctest.h>

#include "payments/core/charge_outcome.hpp"

using namespace payments;
using Kind = ChargeOutcome::Kind;

namespace {
PaymentIntent intent(std::string status) {
  PaymentIntent pi{.amount = Money::parse(1000, "usd").value()};
  pi.id = "pi_1";
  pi.status = std::move(status);
  return pi;
}

StripeError error(int http_status, std::string type, std::string code, std::string decline_code = {}) {
  StripeError e;
  e.http_status = http_status;
  e.type = std::move(type);
  e.code = std::move(code);
  e.decline_code = std::move(decline_code);
  e.message = "message from Stripe";
  classify(e);
  return e;
}
}  // namespace

TEST_CASE("a succeeded intent settles the payment as succeeded") {
  auto o = charge_outcome(StripeResult<PaymentIntent>(intent("succeeded")));
  CHECK(o.kind == Kind::settled);
  CHECK(o.status == PaymentStatus::succeeded);
  CHECK(o.payment_intent_id == "pi_1");
}

TEST_CASE("requires_action carries the redirect URL") {
  auto pi = intent("requires_action");
  pi.redirect_url = "https://hooks.stripe.com/3d";
  auto o = charge_outcome(StripeResult<PaymentIntent>(pi));
  CHECK(o.kind == Kind::settled);
  CHECK(o.status == PaymentStatus::requires_action);
  CHECK(o.redirect_url == "https://hooks.stripe.com/3d");
}

TEST_CASE("a card decline fails the payment with Stripe's codes") {
  auto o = charge_outcome(StripeResult<PaymentIntent>(error(402, "card_error", "card_declined", "insufficient_funds")));
  CHECK(o.kind == Kind::settled);
  CHECK(o.status == PaymentStatus::failed);
  CHECK(o.failure_code == "card_declined");
  CHECK(o.failure_decline_code == "insufficient_funds");
  CHECK(o.failure_message == "message from Stripe");
}

TEST_CASE("a refused request fails the payment, it cannot succeed on retry") {
  auto o = charge_outcome(StripeResult<PaymentIntent>(error(400, "invalid_request_error", "resource_missing")));
  CHECK(o.kind == Kind::settled);
  CHECK(o.status == PaymentStatus::failed);
  CHECK(o.failure_code == "resource_missing");
}

TEST_CASE("network errors, 5xx, 429 and timeouts are retried, never guessed as failures") {
  CHECK(charge_outcome(StripeResult<PaymentIntent>(error(500, "api_error", ""))).kind == Kind::retry);
  CHECK(charge_outcome(StripeResult<PaymentIntent>(error(0, "api_connection_error", ""))).kind == Kind::retry);
  auto limited = error(429, "invalid_request_error", "rate_limit");
  limited.kind = StripeFailureKind::rate_limited;
  CHECK(charge_outcome(StripeResult<PaymentIntent>(limited)).kind == Kind::retry);
  auto unknown = error(0, "api_connection_error", "");
  unknown.kind = StripeFailureKind::unknown_outcome;
  CHECK(charge_outcome(StripeResult<PaymentIntent>(unknown)).kind == Kind::retry);
}

TEST_CASE("an intent Stripe is still processing, or a bad API key, leaves the payment for reconciliation") {
  CHECK(charge_outcome(StripeResult<PaymentIntent>(intent("processing"))).kind == Kind::unresolved);
  CHECK(charge_outcome(StripeResult<PaymentIntent>(error(401, "invalid_request_error", ""))).kind ==
        Kind::unresolved);
}

TEST_CASE("a canceled intent says why, from Stripe's cancellation_reason") {
  auto abandoned = intent("canceled");
  abandoned.cancellation_reason = "abandoned";
  auto o = charge_outcome(StripeResult<PaymentIntent>(abandoned));
  CHECK(o.kind == Kind::settled);
  CHECK(o.status == PaymentStatus::canceled);
  CHECK(o.failure_code == "authentication_abandoned");
  CHECK(o.failure_message.find("nothing was charged") != std::string::npos);

  auto by_merchant = intent("canceled");
  by_merchant.cancellation_reason = "requested_by_customer";
  o = charge_outcome(StripeResult<PaymentIntent>(by_merchant));
  CHECK(o.status == PaymentStatus::canceled);
  CHECK(o.failure_code == "payment_canceled");
  CHECK(o.failure_message.find("requested_by_customer") != std::string::npos);

  o = charge_outcome(StripeResult<PaymentIntent>(intent("canceled")));
  CHECK(o.failure_code == "payment_canceled");
}
