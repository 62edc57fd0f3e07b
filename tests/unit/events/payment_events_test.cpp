// The events' exact bytes: what downstream consumers parse, so a change of the types behind them must not move a
// character (schemas/json/payment-event.schema.json is the contract; these pin its serialization).
#include <doctest/doctest.h>

#include "payments/events/payment_events.hpp"

using namespace payments;
using namespace payments::events;

namespace {

PaymentEvent charged(std::string type, std::string status) {
  PaymentEvent e;
  e.event_id = "7c4b1e0d-2a93-5f68-8d21-0e9f3b6a5c72";
  e.type = std::move(type);
  e.merchant_id = "acme";
  e.payment_id = "pay_k2j4";
  e.order_id = "order-1042";
  e.amount = Money::parse(2599, "usd").value();
  e.status = std::move(status);
  e.stripe_payment_intent_id = "pi_3N2x";
  e.occurred_at = "2026-11-22T10:00:01.204Z";
  return e;
}

}  // namespace

TEST_CASE("a payment's event is written byte for byte as the contract's example") {
  CHECK(serialize(charged("payment.succeeded", "succeeded")) ==
        R"({"event_id":"7c4b1e0d-2a93-5f68-8d21-0e9f3b6a5c72","type":"payment.succeeded","merchant_id":"acme",)"
        R"("payment_id":"pay_k2j4","order_id":"order-1042","amount":2599,"currency":"usd","status":"succeeded",)"
        R"("stripe_payment_intent_id":"pi_3N2x","occurred_at":"2026-11-22T10:00:01.204Z"})");

  auto failed = charged("payment.failed", "failed");
  failed.failure = Failure{"card_declined", "insufficient_funds", "Your card has insufficient funds."};
  CHECK(serialize(failed) ==
        R"({"event_id":"7c4b1e0d-2a93-5f68-8d21-0e9f3b6a5c72","type":"payment.failed","merchant_id":"acme",)"
        R"("payment_id":"pay_k2j4","order_id":"order-1042","amount":2599,"currency":"usd","status":"failed",)"
        R"("stripe_payment_intent_id":"pi_3N2x","occurred_at":"2026-11-22T10:00:01.204Z","failure":{"code":)"
        R"("card_declined","decline_code":"insufficient_funds","message":"Your card has insufficient funds."}})");
}

TEST_CASE("a refund's event writes its amounts as integers of minor units") {
  auto refunded = charged("payment.refunded", "partially_refunded");
  refunded.refund_id = "ref_1";
  refunded.refund_amount = Money::parse(500, "usd").value();
  refunded.amount_refunded = Money::parse(700, "usd").value();
  CHECK(serialize(refunded) ==
        R"({"event_id":"7c4b1e0d-2a93-5f68-8d21-0e9f3b6a5c72","type":"payment.refunded","merchant_id":"acme",)"
        R"("payment_id":"pay_k2j4","order_id":"order-1042","amount":2599,"currency":"usd",)"
        R"("status":"partially_refunded","stripe_payment_intent_id":"pi_3N2x",)"
        R"("occurred_at":"2026-11-22T10:00:01.204Z","refund_id":"ref_1","refund_amount":500,"amount_refunded":700})");
}

TEST_CASE("an event about a refused command or an unknown payment echoes what it had, even out of range") {
  PaymentEvent refused;
  refused.event_id = "7c4b1e0d-2a93-5f68-8d21-0e9f3b6a5c72";
  refused.type = "payment.failed";
  refused.merchant_id = "acme";
  refused.payment_id = "pay_k2j4";
  refused.order_id = "order-1042";
  refused.amount = EchoedAmount{-5, "usd"};
  refused.status = "failed";
  refused.occurred_at = "2026-11-22T10:00:01.204Z";
  refused.failure = Failure{"validation_error", "", "amount: must be a positive integer of minor units"};
  CHECK(serialize(refused) ==
        R"({"event_id":"7c4b1e0d-2a93-5f68-8d21-0e9f3b6a5c72","type":"payment.failed","merchant_id":"acme",)"
        R"("payment_id":"pay_k2j4","order_id":"order-1042","amount":-5,"currency":"usd","status":"failed",)"
        R"("stripe_payment_intent_id":"","occurred_at":"2026-11-22T10:00:01.204Z","failure":{"code":)"
        R"("validation_error","message":"amount: must be a positive integer of minor units"}})");

  PaymentEvent unknown;
  unknown.event_id = "7c4b1e0d-2a93-5f68-8d21-0e9f3b6a5c72";
  unknown.type = "payment.refund_failed";
  unknown.merchant_id = "acme";
  unknown.payment_id = "pay_unknown";
  unknown.status = "failed";
  unknown.occurred_at = "2026-11-22T10:00:01.204Z";
  unknown.refund_id = "ref_1";
  unknown.refund_amount = EchoedAmount{500, {}};
  unknown.amount_refunded = EchoedAmount{};
  unknown.failure = Failure{"payment_not_found", "", "no payment pay_unknown"};
  CHECK(serialize(unknown) ==
        R"({"event_id":"7c4b1e0d-2a93-5f68-8d21-0e9f3b6a5c72","type":"payment.refund_failed","merchant_id":"acme",)"
        R"("payment_id":"pay_unknown","order_id":"","amount":0,"currency":"","status":"failed",)"
        R"("stripe_payment_intent_id":"","occurred_at":"2026-11-22T10:00:01.204Z","failure":{"code":)"
        R"("payment_not_found","message":"no payment pay_unknown"},"refund_id":"ref_1","refund_amount":500,)"
        R"("amount_refunded":0})");
}
