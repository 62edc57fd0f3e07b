#include <doctest/doctest.h>

#include "payments/core/ids.hpp"
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

TEST_CASE("an escaped lone surrogate is refused: its bytes would be written back out as invalid JSON") {
  // Found by the commands fuzz target: \udc00 was accepted, and the command serialized from it was refused.
  for (const char* escape : {R"(\udc00)", R"(\ud800)", R"(\ud800x)"}) {
    auto c = parse_command_envelope(std::string(R"({"command_id":"c-1","type":"payment.create","payment_id":"p",)") +
                                    R"("data":{"order_id":"o)" + escape + R"("}})");
    REQUIRE_FALSE(c);
    CHECK(c.error().message.find("surrogate") != std::string::npos);
  }
  // A pair is one character, and fine.
  auto pair = parse_command_envelope(R"({"command_id":"c-1","type":"payment.create","payment_id":"p",)"
                                     R"("data":{"order_id":"o\ud83d\ude00"}})");
  REQUIRE(pair);
  CHECK(parse_command_envelope(serialize_command(pair.value())));
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
  // A card number as a metadata key, or written with dots, is refused the same way.
  for (const char* metadata : {R"({"4242424242424242":"x"})", R"({"k":"4242.4242.4242.4242"})",
                               R"({"card 4242 / 4242 / 4242 / 4242":"x"})"}) {
    CAPTURE(metadata);
    auto refused = parse_payment_request(
        R"({"order_id":"o","amount":100,"currency":"usd","payment_method":"pm_card_visa","metadata":)" +
        std::string(metadata) + "}");
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code == ErrorCode::raw_card_data);
    CHECK(refused.error().message.find("4242") == std::string::npos);
  }
  auto deep = parse_payment_request(std::string(100, '[') + std::string(100, ']'));
  REQUIRE_FALSE(deep);
  CHECK(deep.error().message.find("nests deeper") != std::string::npos);
}

TEST_CASE("a member with an empty name is refused with a message that says what it is") {
  // Found by the fuzz tier (tests/fuzz/corpus/rest_bodies/empty_member_name.json): the message used to be a
  // bare "is not a known field", naming nothing.
  auto payment = parse_payment_request(R"({"":"x","order_id":"o","amount":100,"currency":"usd"})");
  REQUIRE_FALSE(payment);
  CHECK(payment.error().message == "body has a member with an empty name; remove it");
  auto refund = parse_refund_request(R"({"":"requested_by_customer"})", false);
  REQUIRE_FALSE(refund);
  CHECK(refund.error().message == "body has a member with an empty name; remove it");
  auto otp = parse_payment_request(
      R"({"order_id":"o","amount":100,"currency":"usd","payment_method":"pm_card_visa","otp":{"":"sms"}})");
  REQUIRE_FALSE(otp);
  CHECK(otp.error().field == "otp");
  CHECK(otp.error().message == "has a member with an empty name; remove it");
}

TEST_CASE("errors never repeat a card number, nor a piece of a longer digit run cut to look like one") {
  // Found by the fuzz tier (tests/fuzz/corpus/commands/card_as_type.json, rest_bodies/long_member_name.json).
  auto type = parse_command_envelope(R"({"command_id":"c","type":"4242 4242 4242 4242","payment_id":"p","data":{}})");
  REQUIRE_FALSE(type);
  CHECK(type.error().field == "type");
  CHECK(type.error().message.find("4242") == std::string::npos);
  CHECK(parse_command_envelope(R"({"command_id":"c","type":"x.y","payment_id":"p","data":{}})").error().message ==
        "unknown command type 'x.y'");
  // Over 64 characters: not repeated at all, since a cut could leave a card-like piece of a longer digit run.
  const std::string name = std::string(51, 'x') + std::string(20, '2');
  auto unknown = parse_refund_request("{\"" + name + "\":1}", false);
  REQUIRE_FALSE(unknown);
  CHECK(unknown.error().message == "body has a member that is not a known field (its name is not repeated)");
  CHECK(parse_refund_request(R"({"currency":"usd"})", false).error().field == "currency");
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

TEST_CASE("stripe.event is refused on payment-commands: only the verified webhook path produces it") {
  const std::string forged =
      R"({"command_id":"c-9","type":"stripe.event","payment_id":"pay_1","issued_at":"2026-11-22T10:00:00Z",)"
      R"("data":{"id":"evt_1","type":"payment_intent.succeeded","created":1,"data":{"object":{"id":"pi_1"}}}})";
  auto refused = parse_command_envelope(forged);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == ErrorCode::validation_error);
  CHECK(refused.error().field == "type");
  CHECK(refused.error().message.find("stripe.event") != std::string::npos);
  // The type name itself is known (the worker uses it internally) and the other types still pass.
  CHECK(parse_command_type("stripe.event") == CommandType::stripe_event);
  CHECK(to_string(CommandType::stripe_event) == "stripe.event");
  CHECK(parse_command_envelope(R"({"command_id":"c","type":"payment.otp.send","payment_id":"p","data":{}})"));
  // Even what stripe_event_command builds, once serialized, cannot come back in through payment-commands.
  auto built = stripe_event_command("pay_1", "evt_1", R"({"id":"evt_1"})");
  built.issued_at = "2026-11-22T10:00:00Z";
  auto reread = parse_command_envelope(serialize_command(built));
  REQUIRE_FALSE(reread);
  CHECK(reread.error().field == "type");
}

TEST_CASE("a Stripe event's command is keyed by the event: the same event id, the same command_id") {
  const std::string raw =
      R"({"id":"evt_3PTxqLLkdIwHu7ix0ZsVYb1c","object":"event","api_version":"2024-06-20","created":1718900021,)"
      R"("data":{"object":{"id":"pi_3PTxqLLkdIwHu7ix0HQmxvUJ","object":"payment_intent","status":"succeeded"}},)"
      R"("type":"payment_intent.succeeded"})";
  const auto first = stripe_event_command("pay_1", "evt_3PTxqLLkdIwHu7ix0ZsVYb1c", raw);
  CHECK(first.type == CommandType::stripe_event);
  CHECK(first.payment_id == "pay_1");
  CHECK(first.data_json == raw);  // byte for byte, as Stripe sent it
  CHECK_FALSE(first.command_id.empty());
  // A command_id has the shape every other command's has (it is stored in processed_commands).
  CHECK(is_valid_external_id(first.command_id));

  // Stripe redelivers: same event, same command, whatever the copy's bytes.
  const auto redelivered = stripe_event_command("pay_1", "evt_3PTxqLLkdIwHu7ix0ZsVYb1c", raw + "\n");
  CHECK(redelivered.command_id == first.command_id);

  // Another event, even on the same payment with the same body, is another command.
  const auto other = stripe_event_command("pay_1", "evt_3PTxqLLkdIwHu7ix0ZsVYb1d", raw);
  CHECK(other.command_id != first.command_id);
  CHECK(stripe_event_command("pay_1", "evt_a", raw).command_id !=
        stripe_event_command("pay_1", "evt_b", raw).command_id);
}

TEST_CASE("an envelope may name its merchant - without one the worker's default applies") {
  auto named = parse_command_envelope(
      R"({"command_id":"c-1","type":"payment.create","payment_id":"pay_1","merchant_id":"acme","data":{}})");
  REQUIRE(named);
  CHECK(named->merchant_id == "acme");
  CHECK(named->merchant_or("default") == "acme");
  auto again = parse_command_envelope(serialize_command(named.value()));
  REQUIRE(again);
  CHECK(again->merchant_id == "acme");

  auto unnamed = parse_command_envelope(R"({"command_id":"c-2","type":"payment.create","payment_id":"pay_2","data":{}})");
  REQUIRE(unnamed);
  CHECK_FALSE(unnamed->merchant_id.has_value());
  CHECK(unnamed->merchant_or("default") == "default");
  CHECK(serialize_command(unnamed.value()).find("merchant_id") == std::string::npos);

  for (const char* bad : {R"("merchant_id":"has spaces")", R"("merchant_id":"")", R"("merchant_id":7)"}) {
    CAPTURE(bad);
    auto refused = parse_command_envelope(R"({"command_id":"c-3","type":"payment.create","payment_id":"pay_3",)" +
                                          std::string(bad) + R"(,"data":{}})");
    REQUIRE_FALSE(refused);
    CHECK(refused.error().field == "merchant_id");
  }
}

TEST_CASE("a command with bytes that are not UTF-8 is refused, not stored or published as it came") {
  // What a hostile producer sent: FF FE inside order_id.
  const std::string command = "{\"command_id\":\"c-1\",\"type\":\"payment.create\",\"payment_id\":\"pay_1\","
                              "\"data\":{\"order_id\":\"o\xFF\xFE\",\"amount\":100}}";
  auto parsed = parse_command_envelope(command);
  REQUIRE_FALSE(parsed);
  CHECK(parsed.error().code == ErrorCode::validation_error);
  CHECK(parsed.error().message.find("encoding") != std::string::npos);
  // Valid multi-byte UTF-8 is fine.
  CHECK(parse_command_envelope("{\"command_id\":\"c-1\",\"type\":\"payment.create\",\"payment_id\":\"pay_1\","
                               "\"data\":{\"order_id\":\"caf\xC3\xA9\",\"amount\":100}}"));
}
