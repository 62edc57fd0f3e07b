// payment.create through CommandProcessor over the fakes: each Stripe answer and each store failure ends in
// the outcome the failure policy expects, and the events owed go out (or, where nothing is known, none).
#include <doctest/doctest.h>

#include "harness.hpp"
#include "payments/events/dlq.hpp"

namespace payments::worker::testing {
namespace {

std::optional<std::string> header(const events::OutgoingMessage& m, std::string_view name) {
  const std::string* value = events::header_value(m.headers, name);
  return value == nullptr ? std::nullopt : std::optional<std::string>(*value);
}

TEST_CASE("payment.create: Stripe succeeds -> succeeded, one payment-success event, command done") {
  Harness h;
  CHECK(h.process(create_command("pay-ok")));
  CHECK(h.payment("pay-ok").status == PaymentStatus::succeeded);
  CHECK(h.payment("pay-ok").stripe_payment_intent_id == "pi_pay-ok");
  REQUIRE(h.publisher.count(h.topics.success) == 1);
  CHECK(field_of(h.publisher.on(h.topics.success)[0].value, "status") == "succeeded");
  CHECK(h.publisher.count(h.topics.failed) == 0);
  CHECK(h.processed("cmd-1"));
  CHECK(h.stores.state.unpublished("pay-ok").empty());
  CHECK(h.stripe.intents_created == 1);
  CHECK_FALSE(h.stripe.intent_requests[0].idempotency_key.empty());
}

TEST_CASE("payment.create: a decline -> failed with the card's codes and a payment-failed event") {
  Harness h;
  h.stripe.script(FakeStripe::Answer::decline);
  CHECK(h.process(create_command("pay-declined")));
  const auto p = h.payment("pay-declined");
  CHECK(p.status == PaymentStatus::failed);
  CHECK(p.failure_code == "card_declined");
  CHECK(p.failure_decline_code == "insufficient_funds");
  REQUIRE(h.publisher.count(h.topics.failed) == 1);
  CHECK(field_of(h.publisher.on(h.topics.failed)[0].value, "status") == "failed");
  CHECK(h.processed("cmd-1"));
}

TEST_CASE("payment.create: 3-D Secure -> requires_action with its redirect URL, command done") {
  Harness h;
  h.stripe.script(FakeStripe::Answer::requires_action);
  CHECK(h.process(create_command("pay-3ds")));
  const auto p = h.payment("pay-3ds");
  CHECK(p.status == PaymentStatus::requires_action);
  CHECK(p.next_action_url == "https://stripe.test/3ds/pi_pay-3ds");
  CHECK(h.publisher.count(h.topics.success) == 0);
  CHECK(h.publisher.count(h.topics.failed) == 0);
  CHECK(h.processed("cmd-1"));
}

TEST_CASE("payment.create: Stripe's answer unknown -> stays processing with its key, no event, command done") {
  for (auto answer : {FakeStripe::Answer::unknown_outcome, FakeStripe::Answer::transient_error}) {
    Harness h;
    h.stripe.script(answer);
    CHECK(h.process(create_command("pay-unknown")));
    const auto p = h.payment("pay-unknown");
    CHECK(p.status == PaymentStatus::processing);
    CHECK_FALSE(p.stripe_idempotency_key.empty());
    CHECK(h.publisher.count(h.topics.success) == 0);
    CHECK(h.publisher.count(h.topics.failed) == 0);
    CHECK(h.processed("cmd-1"));
  }
}

TEST_CASE("payment.create: the same command again -> no second Stripe call, no second event") {
  Harness h;
  CHECK(h.process(create_command("pay-dup")));
  CHECK(h.process(create_command("pay-dup")));
  CHECK(h.stripe.intents_created == 1);
  CHECK(h.publisher.count(h.topics.success) == 1);
}

TEST_CASE("payment.create: another command for a settled payment -> no second charge") {
  Harness h;
  CHECK(h.process(create_command("pay-twice", "cmd-a")));
  CHECK(h.process(create_command("pay-twice", "cmd-b")));
  CHECK(h.stripe.intents_created == 1);
  CHECK(h.payment("pay-twice").status == PaymentStatus::succeeded);
  CHECK(h.processed("cmd-b"));
}

TEST_CASE("payment.create: invalid data -> rejected with a payment-failed event, no row, no Stripe call") {
  Harness h;
  auto bad = command(events::CommandType::payment_create, "cmd-bad", "pay-bad",
                     R"({"order_id":"o","amount":-5,"currency":"eur","payment_method":"pm_card_visa"})");
  CHECK(h.process(bad));
  CHECK_FALSE(h.stores.state.payment("pay-bad"));
  CHECK(h.stripe.intents_created == 0);
  REQUIRE(h.publisher.count(h.topics.failed) == 1);
  CHECK(h.processed("cmd-bad"));
}

TEST_CASE("a store that is unavailable -> the Status says unavailable (retry), nothing half-written") {
  Harness h;
  h.stores.state.faults.fail("*", Error::unavailable("MySQL is down"));
  const Status first = h.process(create_command("pay-down"));
  REQUIRE_FALSE(first);
  CHECK(first.error().code == ErrorCode::unavailable);
  CHECK_FALSE(h.stores.state.payment("pay-down"));
  CHECK_FALSE(h.processed("cmd-1"));
  CHECK(h.stripe.intents_created == 0);
  CHECK(h.publisher.count(h.topics.success) == 0);

  // The dependency is back: the same command, run again, completes once.
  h.stores.state.faults.clear();
  CHECK(h.process(create_command("pay-down")));
  CHECK(h.payment("pay-down").status == PaymentStatus::succeeded);
  CHECK(h.publisher.count(h.topics.success) == 1);
}

TEST_CASE("the status write failing after Stripe answered -> unavailable - the rerun does not charge twice") {
  Harness h;
  h.stores.state.faults.fail("payments.apply_all", Error::unavailable("MySQL went away"), 1);
  const Status first = h.process(create_command("pay-late"));
  REQUIRE_FALSE(first);
  CHECK(first.error().code == ErrorCode::unavailable);
  CHECK(h.payment("pay-late").status == PaymentStatus::processing);
  CHECK_FALSE(h.processed("cmd-1"));
  CHECK(h.publisher.count(h.topics.success) == 0);

  CHECK(h.process(create_command("pay-late")));
  CHECK(h.payment("pay-late").status == PaymentStatus::succeeded);
  CHECK(h.publisher.count(h.topics.success) == 1);
  // Stripe was asked again with the same idempotency key: one charge at Stripe.
  REQUIRE(h.stripe.intent_requests.size() == 2);
  CHECK(h.stripe.intent_requests[0].idempotency_key == h.stripe.intent_requests[1].idempotency_key);
}

TEST_CASE("Kafka down when the event is owed -> unavailable, the event stays in the outbox and goes out later") {
  Harness h;
  h.publisher.down = true;
  const Status first = h.process(create_command("pay-kafka"));
  REQUIRE_FALSE(first);
  CHECK(first.error().code == ErrorCode::unavailable);
  CHECK(h.payment("pay-kafka").status == PaymentStatus::succeeded);
  CHECK(h.stores.state.unpublished("pay-kafka").size() == 1);

  h.publisher.down = false;
  CHECK(h.process(create_command("pay-kafka")));
  CHECK(h.publisher.count(h.topics.success) == 1);
  CHECK(h.stores.state.unpublished("pay-kafka").empty());
  CHECK(h.stripe.intents_created == 1);
}

TEST_CASE("an unreadable stored row -> internal") {
  SUBCASE("the store says so") {
    Harness h;
    h.stores.state.faults.fail("payments.lookup_all", Error::internal("cannot decrypt request_json"));
    const Status s = h.process(create_command("pay-row"));
    REQUIRE_FALSE(s);
    CHECK(s.error().code == ErrorCode::internal);
  }
  SUBCASE("a stored request the processor cannot read") {
    Harness h;
    auto request = events::parse_payment_request(payment_data());
    REQUIRE(request);
    auto row = store::pending_payment("pay-garbled", "m1", request.value(), "{not json",
                                      events::request_fingerprint(request.value()));
    h.stores.state.payments.emplace(row.id, row);
    const Status s = h.process(create_command("pay-garbled"));
    REQUIRE_FALSE(s);
    CHECK(s.error().code == ErrorCode::internal);
    CHECK(h.stripe.intents_created == 0);
    CHECK(h.payment("pay-garbled").status == PaymentStatus::pending);
  }
}

TEST_CASE("an exception thrown inside a store call -> internal - process never throws") {
  // Each store call a payment.create makes, including those batched across commands (run on the pool).
  for (std::string operation : {"payments.lookup_all", "payments.create_all", "payments.apply_all",
                                "payments.mark_published"}) {
    CAPTURE(operation);
    Harness h;
    h.stores.state.faults.throw_on(operation);
    Status s = Ok{};
    CHECK_NOTHROW(s = h.process(create_command("pay-throws")));
    REQUIRE_FALSE(s);
    CHECK(s.error().code == ErrorCode::internal);
  }
  SUBCASE("recording a rejected command") {
    Harness h;
    h.stores.state.faults.throw_on("payments.record_processed");
    auto bad = command(events::CommandType::payment_create, "cmd-bad", "pay-bad", R"({"order_id":"o"})");
    Status s = Ok{};
    CHECK_NOTHROW(s = h.process(bad));
    REQUIRE_FALSE(s);
    CHECK(s.error().code == ErrorCode::internal);
    CHECK_FALSE(h.processed("cmd-bad"));
  }
  SUBCASE("reserving a refund against its payment") {
    Harness h;
    h.stores.state.faults.throw_on("refunds.reserve");
    auto refund = command(events::CommandType::refund_create, "cmd-ref", "pay-x", R"({"refund_id":"ref-1"})");
    Status s = Ok{};
    CHECK_NOTHROW(s = h.process(refund));
    REQUIRE_FALSE(s);
    CHECK(s.error().code == ErrorCode::internal);
  }
}

TEST_CASE("give_up on a payment.create Stripe was never asked about -> failed internal_error, event, DLQ") {
  for (auto status : {PaymentStatus::pending, PaymentStatus::otp_required}) {
    CAPTURE(to_string(status));
    Harness h;
    auto request = events::parse_payment_request(payment_data());
    REQUIRE(request);
    auto row = store::pending_payment("pay-stuck", "m1", request.value(), events::payment_request_json(*request),
                                      events::request_fingerprint(request.value()));
    row.status = status;
    h.stores.state.payments.emplace(row.id, row);

    CHECK(h.give_up(create_command("pay-stuck"), Error::internal("row unreadable"), 10));
    const auto p = h.payment("pay-stuck");
    CHECK(p.status == PaymentStatus::failed);
    CHECK(p.failure_code == "internal_error");
    REQUIRE(h.publisher.count(h.topics.failed) == 1);
    CHECK(field_of(h.publisher.on(h.topics.failed)[0].value, "status") == "failed");
    REQUIRE(h.publisher.count(h.topics.commands_dlq) == 1);
    CHECK(h.stripe.intents_created == 0);
    // Not recorded as processed: a replay from the DLQ runs it afresh.
    CHECK_FALSE(h.processed("cmd-1"));
  }
}

TEST_CASE("give_up on a payment.create with no payment row -> a payment-failed event for its producer") {
  Harness h;
  CHECK(h.give_up(create_command("pay-none"), Error::internal("threw"), 10));
  REQUIRE(h.publisher.count(h.topics.failed) == 1);
  CHECK(field_of(h.publisher.on(h.topics.failed)[0].value, "order_id") == "order-1");
  CHECK(h.publisher.count(h.topics.commands_dlq) == 1);
}

TEST_CASE("give_up when Stripe may have been asked (processing) -> payment unchanged, DLQ record only") {
  for (auto status : {PaymentStatus::processing, PaymentStatus::requires_action}) {
    Harness h;
    auto request = events::parse_payment_request(payment_data());
    REQUIRE(request);
    auto row = store::pending_payment("pay-asked", "m1", request.value(), events::payment_request_json(*request),
                                      events::request_fingerprint(request.value()));
    row.status = status;
    row.stripe_idempotency_key = "key-1";
    h.stores.state.payments.emplace(row.id, row);

    CHECK(h.give_up(create_command("pay-asked"), Error::internal("threw"), 10));
    CHECK(h.payment("pay-asked").status == status);
    CHECK(h.payment("pay-asked").version == row.version);
    CHECK(h.publisher.count(h.topics.failed) == 0);
    CHECK(h.publisher.count(h.topics.success) == 0);
    CHECK(h.publisher.count(h.topics.commands_dlq) == 1);
  }
}

TEST_CASE("give_up: the DLQ record carries the reason, the error code and the replay count") {
  Harness h;
  auto c = create_command("pay-dlq");
  c.replays = 2;
  c.source = R"({"raw":"bytes as read"})";
  c.source_topic = "payment-commands";
  c.source_partition = 3;
  c.source_offset = 42;
  CHECK(h.give_up(c, Error::internal("boom"), 10));
  REQUIRE(h.publisher.count(h.topics.commands_dlq) == 1);
  const auto record = h.publisher.on(h.topics.commands_dlq)[0];
  CHECK(record.key == "pay-dlq");
  CHECK(record.value == c.source);
  CHECK(header(record, events::kDlqReasonHeader).value_or("").find("gave up after 10 rounds") != std::string::npos);
  CHECK(header(record, events::kDlqErrorCodeHeader) == to_string(ErrorCode::internal));
  CHECK(header(record, events::kDlqReplayedHeader) == "2");
  CHECK(header(record, "dlq-original-partition") == "3");
  CHECK(header(record, "dlq-original-offset") == "42");
}

TEST_CASE("give_up: a command never replayed carries no dlq-replayed header") {
  Harness h;
  CHECK(h.give_up(create_command("pay-fresh"), Error{ErrorCode::not_found, "no such thing", {}}, 1));
  REQUIRE(h.publisher.count(h.topics.commands_dlq) == 1);
  const auto record = h.publisher.on(h.topics.commands_dlq)[0];
  CHECK_FALSE(header(record, events::kDlqReplayedHeader));
  CHECK(header(record, events::kDlqErrorCodeHeader) == to_string(ErrorCode::not_found));
}

TEST_CASE("give_up with Kafka down -> an error, so the caller retries the give-up") {
  Harness h;
  h.publisher.down = true;
  const Status s = h.give_up(create_command("pay-nokafka"), Error::internal("boom"), 10);
  REQUIRE_FALSE(s);
  CHECK(s.error().code == ErrorCode::unavailable);
}

}  // namespace
}  // namespace payments::worker::testing
