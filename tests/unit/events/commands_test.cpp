#include <doctest/doctest.h>

#include "payments/events/commands.hpp"
#include "payments/events/payment_events.hpp"
#include "payments/events/topics.hpp"

using namespace payments;
using namespace payments::events;

TEST_CASE("a command envelope is read with its data kept as JSON") {
  auto c = parse_command_envelope(
      R"({"command_id":"c-1","type":"payment.create","payment_id":"pay_1","issued_at":"2026-11-22T10:00:00Z",)"
      R"("data":{"order_id":"o","amount":100}})");
  REQUIRE(c);
  CHECK(c->type == CommandType::payment_create);
  CHECK(c->payment_id == "pay_1");
  CHECK(c->data_json == R"({"order_id":"o","amount":100})");
  // And written back the same way.
  auto again = parse_command_envelope(serialize_command(c.value()));
  REQUIRE(again);
  CHECK(again->data_json == c->data_json);
}

TEST_CASE("envelopes that cannot be understood say why") {
  CHECK(parse_command_envelope("nope").error().message.find("not valid JSON") != std::string::npos);
  CHECK(parse_command_envelope(R"({"command_id":"c","type":"x.y","payment_id":"p","data":{}})").error().field == "type");
  CHECK(parse_command_envelope(R"({"command_id":"c","type":"payment.create","data":{}})").error().field == "payment_id");
  CHECK(parse_command_envelope(R"({"type":"payment.create","payment_id":"p","data":{}})").error().field == "command_id");
  CHECK(parse_command_envelope(R"({"command_id":"c","type":"refund.create","payment_id":"p"})").error().field == "data");
  CHECK(parse_command_envelope("[1,2]").error().message.find("object") != std::string::npos);
}

TEST_CASE("payment data: types are checked before rules, and card numbers anywhere are refused") {
  CHECK(parse_payment_request(R"({"order_id":"o","amount":"100","currency":"usd","payment_method":"pm_card_visa"})")
            .error()
            .message.find("integer") != std::string::npos);
  auto card = parse_payment_request(
      R"({"order_id":"o","amount":100,"currency":"usd","payment_method":"pm_card_visa","description":"4000 0000 0000 0002"})");
  REQUIRE_FALSE(card);
  CHECK(card.error().code == ErrorCode::raw_card_data);
  CHECK(card.error().message.find("4000") == std::string::npos);
  auto deep = parse_payment_request(std::string(100, '[') + std::string(100, ']'));
  REQUIRE_FALSE(deep);
  CHECK(deep.error().message.find("nests deeper") != std::string::npos);
}

TEST_CASE("the fingerprint ignores key order and metadata order, and nothing else") {
  auto a = parse_payment_request(
      R"({"order_id":"o","amount":100,"currency":"usd","payment_method":"pm_card_visa","metadata":{"a":"1","b":"2"}})");
  auto b = parse_payment_request(
      R"({"metadata":{"b":"2","a":"1"},"payment_method":"pm_card_visa","currency":"USD","amount":100,"order_id":"o"})");
  auto c = parse_payment_request(
      R"({"order_id":"o","amount":101,"currency":"usd","payment_method":"pm_card_visa","metadata":{"a":"1","b":"2"}})");
  REQUIRE(a);
  REQUIRE(b);
  REQUIRE(c);
  CHECK(request_fingerprint(a.value()) == request_fingerprint(b.value()));
  CHECK(request_fingerprint(a.value()) != request_fingerprint(c.value()));
}

TEST_CASE("event ids are stable per payment and transition") {
  CHECK(event_id_for("pay_1", "succeeded") == event_id_for("pay_1", "succeeded"));
  CHECK(event_id_for("pay_1", "succeeded") != event_id_for("pay_2", "succeeded"));
  CHECK(event_id_for("pay_1", "succeeded") != event_id_for("pay_1", "failed"));
  CHECK(event_id_for("pay_1", "succeeded").size() == 36);
}

TEST_CASE("topic names take the prefix and events go where the contract says") {
  auto plain = TopicNames::with_prefix("");
  CHECK(plain.commands == "payment-commands");
  CHECK(plain.for_event(event_type::kSucceeded) == "payment-success");
  CHECK(plain.for_event(event_type::kFailed) == "payment-failed");
  CHECK(plain.for_event(event_type::kRefunded) == "payment-refunded");
  CHECK(TopicNames::with_prefix("staging.").commands_dlq == "staging.payment-commands-dlq");
}
