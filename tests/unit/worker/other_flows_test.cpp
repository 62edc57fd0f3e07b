// refund.create, stripe.event and the one-time-code commands through CommandProcessor over the fakes.
#include <doctest/doctest.h>

#include "harness.hpp"

namespace payments::worker::testing {
namespace {

// A payment charged through the processor, as a refund finds it.
void paid(Harness& h, const std::string& payment_id, long amount = 1500) {
  auto c = command(events::CommandType::payment_create, "create-" + payment_id, payment_id,
                   payment_data("order-" + payment_id, amount));
  REQUIRE(h.process(c));
  REQUIRE(h.payment(payment_id).status == PaymentStatus::succeeded);
}

events::CommandEnvelope refund_command(const std::string& payment_id, const std::string& refund_id,
                                       std::optional<long> amount, const std::string& command_id) {
  std::string data = R"({"refund_id":")" + refund_id + "\"";
  if (amount) data += R"(,"amount":)" + std::to_string(*amount);
  data += "}";
  return command(events::CommandType::refund_create, command_id, payment_id, data);
}

TEST_CASE("refund.create: settled once, the payment refunded, one payment-refunded event") {
  Harness h;
  paid(h, "pay-r");
  CHECK(h.process(refund_command("pay-r", "ref-1", std::nullopt, "cmd-r1")));
  CHECK(h.payment("pay-r").status == PaymentStatus::refunded);
  CHECK(h.payment("pay-r").amount_refunded.minor() == 1500);
  CHECK(h.stores.state.refunds.at("ref-1").status == RefundStatus::succeeded);
  CHECK(h.publisher.count(h.topics.refunded) == 1);
  CHECK(h.stripe.refunds_created == 1);

  // The same command again, and another command for the same refund: nothing more at Stripe or on Kafka.
  CHECK(h.process(refund_command("pay-r", "ref-1", std::nullopt, "cmd-r1")));
  CHECK(h.process(refund_command("pay-r", "ref-1", std::nullopt, "cmd-r2")));
  CHECK(h.stripe.refunds_created == 1);
  CHECK(h.payment("pay-r").amount_refunded.minor() == 1500);
  CHECK(h.publisher.count(h.topics.refunded) == 1);
}

TEST_CASE("refund.create: more than is left to refund -> refused with its event, no Stripe call") {
  Harness h;
  paid(h, "pay-over");
  CHECK(h.process(refund_command("pay-over", "ref-a", 1000, "cmd-a")));
  CHECK(h.payment("pay-over").status == PaymentStatus::partially_refunded);
  CHECK(h.process(refund_command("pay-over", "ref-b", 600, "cmd-b")));
  const auto refused = h.stores.state.refunds.at("ref-b");
  CHECK(refused.status == RefundStatus::failed);
  CHECK(refused.failure_code == "amount_exceeds_refundable");
  CHECK(h.stripe.refunds_created == 1);
  CHECK(h.payment("pay-over").amount_refunded.minor() == 1000);
  CHECK(h.publisher.count(h.topics.refunded) == 2);  // the first refund's success, the second's refusal
}

TEST_CASE("refund.create of an unknown payment -> payment_not_found, told on payment-refunded") {
  Harness h;
  CHECK(h.process(refund_command("pay-missing", "ref-x", 100, "cmd-x")));
  CHECK(h.stores.state.refunds.at("ref-x").failure_code == "payment_not_found");
  CHECK(h.publisher.count(h.topics.refunded) == 1);
  CHECK(h.stripe.refunds_created == 0);
}

TEST_CASE("refund.create with the store unavailable -> unavailable, nothing reserved") {
  Harness h;
  paid(h, "pay-rdown");
  h.stores.state.faults.fail("refunds.reserve", Error::unavailable("MySQL is down"));
  const Status s = h.process(refund_command("pay-rdown", "ref-d", 100, "cmd-d"));
  REQUIRE_FALSE(s);
  CHECK(s.error().code == ErrorCode::unavailable);
  CHECK_FALSE(h.stores.state.refunds.contains("ref-d"));
  CHECK(h.stripe.refunds_created == 0);
}

std::string intent_event(const std::string& event_id, const std::string& type, const std::string& status,
                         const std::string& payment_id, long amount) {
  return R"({"id":")" + event_id + R"(","object":"event","type":")" + type +
         R"(","created":1700000000,"livemode":false,"data":{"object":{"id":"pi_)" + payment_id +
         R"(","object":"payment_intent","status":")" + status + R"(","amount":)" + std::to_string(amount) +
         R"(,"currency":"eur","livemode":false,"metadata":{"payment_id":")" + payment_id +
         R"(","merchant_id":"m1"}}}})";
}

TEST_CASE("stripe.event: a payment left processing moves forward to succeeded, with its event") {
  Harness h;
  h.stripe.script(FakeStripe::Answer::unknown_outcome);
  REQUIRE(h.process(create_command("pay-ev")));
  REQUIRE(h.payment("pay-ev").status == PaymentStatus::processing);

  auto event = command(events::CommandType::stripe_event, "evt-1", "pay-ev",
                       intent_event("evt_1", "payment_intent.succeeded", "succeeded", "pay-ev", 1500));
  CHECK(h.process(event));
  CHECK(h.payment("pay-ev").status == PaymentStatus::succeeded);
  CHECK(h.publisher.count(h.topics.success) == 1);
  CHECK(h.processed("evt-1"));
}

TEST_CASE("stripe.event: a late failure after success changes nothing (only moves forward)") {
  Harness h;
  REQUIRE(h.process(create_command("pay-late-ev")));
  const int version = h.payment("pay-late-ev").version;
  auto event = command(events::CommandType::stripe_event, "evt-2", "pay-late-ev",
                       intent_event("evt_2", "payment_intent.canceled", "canceled", "pay-late-ev", 1500));
  CHECK(h.process(event));
  CHECK(h.payment("pay-late-ev").status == PaymentStatus::succeeded);
  CHECK(h.payment("pay-late-ev").version == version);
  CHECK(h.publisher.count(h.topics.failed) == 0);
}

TEST_CASE("stripe.event: an intent that does not match the payment (amount) changes nothing") {
  Harness h;
  h.stripe.script(FakeStripe::Answer::unknown_outcome);
  REQUIRE(h.process(create_command("pay-forged")));
  auto event = command(events::CommandType::stripe_event, "evt-3", "pay-forged",
                       intent_event("evt_3", "payment_intent.succeeded", "succeeded", "pay-forged", 1));
  CHECK(h.process(event));
  CHECK(h.payment("pay-forged").status == PaymentStatus::processing);
}

std::string otp_payment_data() {
  return R"({"order_id":"order-otp","amount":2500,"currency":"eur","payment_method":"pm_card_visa",)"
         R"("otp":{"channel":"sms","destination":"+33612345678"}})";
}

TEST_CASE("OTP: payment.create with otp -> otp_required, the code published, no charge yet - verify -> charged") {
  Harness h;
  auto create = command(events::CommandType::payment_create, "cmd-otp", "pay-otp", otp_payment_data());
  CHECK(h.process(create));
  CHECK(h.payment("pay-otp").status == PaymentStatus::otp_required);
  CHECK(h.stripe.intents_created == 0);
  REQUIRE(h.publisher.count(h.topics.otp) == 1);
  const std::string code = field_of(h.publisher.on(h.topics.otp)[0].value, "code");
  CHECK(code.size() == 6);

  SUBCASE("the right code") {
    auto verify = command(events::CommandType::payment_otp_verify, "cmd-v", "pay-otp", R"({"code":")" + code + "\"}");
    CHECK(h.process(verify));
    CHECK(h.payment("pay-otp").status == PaymentStatus::succeeded);
    CHECK(h.stripe.intents_created == 1);
    CHECK(h.publisher.count(h.topics.success) == 1);
  }
  SUBCASE("a wrong code") {
    const std::string wrong = code == "000000" ? "111111" : "000000";
    auto verify = command(events::CommandType::payment_otp_verify, "cmd-w", "pay-otp", R"({"code":")" + wrong + "\"}");
    CHECK(h.process(verify));
    CHECK(h.payment("pay-otp").status == PaymentStatus::otp_required);
    CHECK(h.stripe.intents_created == 0);
    CHECK(h.stores.state.challenges.at("pay-otp").challenge.attempts_left == 4);
  }
  SUBCASE("resend after the cooldown -> a second code") {
    h.clock.advance(std::chrono::seconds(31));
    auto resend = command(events::CommandType::payment_otp_send, "cmd-s", "pay-otp", "{}");
    CHECK(h.process(resend));
    CHECK(h.publisher.count(h.topics.otp) == 2);
    CHECK(h.payment("pay-otp").status == PaymentStatus::otp_required);
  }
  SUBCASE("the code expires -> the payment fails") {
    h.clock.advance(std::chrono::minutes(6));
    CHECK(h.run(h.processor.expire_due_otps()) == 1);
    CHECK(h.payment("pay-otp").status == PaymentStatus::failed);
    CHECK(h.publisher.count(h.topics.failed) == 1);
  }
}

}  // namespace
}  // namespace payments::worker::testing
