// The worker's group-committed writes and its one-query reads, against the real schema.

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "store_fixture.hpp"

using namespace payments;
using namespace payments::store;
using namespace payments::testing;

namespace {

OutboxEvent event_for(const std::string& payment_id, const std::string& event_id) {
  return {event_id, payment_id, "payment-success", R"({"event_id":")" + event_id + R"("})"};
}

ProcessedCommand command_for(const std::string& payment_id, const std::string& command_id) {
  return {command_id, payment_id, "payment.create", "applied"};
}

// `from` moved to `to`, owing an event and completing a command named after the payment.
TransitionWrite write_over(const PaymentRecord& from, PaymentStatus to) {
  Transition t{.payment_id = from.id, .expected_version = from.version, .to = to};
  t.event = event_for(from.id, "evt-" + from.id);
  return {from, std::move(t), command_for(from.id, "cmd-" + from.id)};
}

std::vector<std::string> unpublished_ids(PaymentRepository& payments, const std::string& payment_id) {
  auto events = payments.unpublished_events(payment_id);
  REQUIRE_MESSAGE(events, (events ? "" : events.error().message));
  std::vector<std::string> ids;
  for (const auto& e : events.value()) ids.push_back(e.event_id);
  return ids;
}

bool processed(PaymentRepository& payments, const std::string& command_id) {
  auto seen = payments.is_processed(command_id);
  REQUIRE_MESSAGE(seen, (seen ? "" : seen.error().message));
  return seen.value();
}

}  // namespace

TEST_CASE("apply_all applies each write that still holds, with its event and command, and nothing of the others") {
  Store store;
  for (const char* id : {"pay_ok", "pay_stale", "pay_forbidden", "pay_ok2", "pay_ok3"}) {
    create_payment(store.payments, id);
  }

  PaymentRecord stale = read_payment(store.payments, "pay_stale");
  move_payment(store.payments, "pay_stale", PaymentStatus::processing);  // another writer got there first

  const std::vector<TransitionWrite> writes{
      write_over(read_payment(store.payments, "pay_ok"), PaymentStatus::processing),
      write_over(stale, PaymentStatus::processing),
      write_over(read_payment(store.payments, "pay_forbidden"), PaymentStatus::refunded),  // not from pending
      write_over(read_payment(store.payments, "pay_ok2"), PaymentStatus::processing),
      write_over(read_payment(store.payments, "pay_ok3"), PaymentStatus::processing),
  };
  auto results = store.payments.apply_all(writes);
  REQUIRE(results.size() == 5);
  for (const auto& r : results) REQUIRE_MESSAGE(r, (r ? "" : r.error().message));
  CHECK(results[0].value());
  CHECK_FALSE(results[1].value());
  CHECK_FALSE(results[2].value());
  CHECK(results[3].value());
  CHECK(results[4].value());

  for (const char* id : {"pay_ok", "pay_ok2", "pay_ok3"}) {
    CAPTURE(id);
    const auto payment = read_payment(store.payments, id);
    CHECK(payment.status == PaymentStatus::processing);
    CHECK(payment.version == 1);
    CHECK(unpublished_ids(store.payments, id) == std::vector<std::string>{"evt-" + std::string(id)});
    CHECK(processed(store.payments, "cmd-" + std::string(id)));
  }
  // One statement wrote all three (one batch, not a write each): the same update time, to the microsecond.
  int distinct_times = 0;
  REQUIRE(store.db().with_session([&](soci::session& sql) {
    sql << "SELECT COUNT(DISTINCT updated_at) FROM payments WHERE id IN ('pay_ok', 'pay_ok2', 'pay_ok3')",
        soci::into(distinct_times);
  }));
  CHECK(distinct_times == 1);
  CHECK(read_payment(store.payments, "pay_stale").version == 1);  // the other writer's move only
  CHECK(read_payment(store.payments, "pay_forbidden").status == PaymentStatus::pending);
  for (const char* id : {"pay_stale", "pay_forbidden"}) {
    CAPTURE(id);
    CHECK(unpublished_ids(store.payments, id).empty());
    CHECK_FALSE(processed(store.payments, "cmd-" + std::string(id)));
  }

  // The same batch again: every version has moved on, so nothing changes and nothing is written twice.
  auto again = store.payments.apply_all(writes);
  for (const auto& r : again) CHECK((r && !r.value()));
  CHECK(unpublished_ids(store.payments, "pay_ok").size() == 1);
}

TEST_CASE("apply_all: a write MySQL refuses fails alone, and the rest of its batch is applied") {
  Store store;
  for (const char* id : {"pay_a", "pay_bad", "pay_c"}) create_payment(store.payments, id);
  auto bad = write_over(read_payment(store.payments, "pay_bad"), PaymentStatus::failed);
  bad.transition.failure_message = std::string(5000, 'x');  // the column holds 1,000 characters

  auto results = store.payments.apply_all({write_over(read_payment(store.payments, "pay_a"), PaymentStatus::failed),
                                           bad,
                                           write_over(read_payment(store.payments, "pay_c"), PaymentStatus::failed)});
  REQUIRE(results.size() == 3);
  REQUIRE(results[0]);
  CHECK(results[0].value());
  CHECK_FALSE(results[1]);
  REQUIRE(results[2]);
  CHECK(results[2].value());
  CHECK(read_payment(store.payments, "pay_a").status == PaymentStatus::failed);
  CHECK(read_payment(store.payments, "pay_bad").status == PaymentStatus::pending);
  CHECK(read_payment(store.payments, "pay_c").status == PaymentStatus::failed);
  CHECK(unpublished_ids(store.payments, "pay_bad").empty());
  CHECK_FALSE(processed(store.payments, "cmd-pay_bad"));
  CHECK(processed(store.payments, "cmd-pay_c"));
}

TEST_CASE("mark_published over many events marks exactly those") {
  Store store;
  std::vector<TransitionWrite> writes;
  for (const char* id : {"pay_1", "pay_2", "pay_3"}) {
    create_payment(store.payments, id);
    writes.push_back(write_over(read_payment(store.payments, id), PaymentStatus::processing));
  }
  REQUIRE(store.payments.apply_all(writes).size() == 3);

  REQUIRE(store.payments.mark_published(std::vector<std::string>{"evt-pay_1", "evt-pay_3", "evt-unknown"}));
  CHECK(unpublished_ids(store.payments, "pay_1").empty());
  CHECK(unpublished_ids(store.payments, "pay_2") == std::vector<std::string>{"evt-pay_2"});
  CHECK(unpublished_ids(store.payments, "pay_3").empty());
  CHECK(store.payments.mark_published(std::vector<std::string>{}));
}

TEST_CASE("lookup_all reads whether the command was applied and the payment as it stands") {
  Store store;
  auto nothing = store.payments.lookup_all({{"cmd-1", "pay_l"}});
  REQUIRE_MESSAGE(nothing, (nothing ? "" : nothing.error().message));
  REQUIRE(nothing->size() == 1);
  CHECK_FALSE(nothing->front().processed);
  CHECK_FALSE(nothing->front().payment.has_value());

  create_payment(store.payments, "pay_l", 4242);
  move_payment(store.payments, "pay_l", PaymentStatus::processing, "pi_lookup");
  REQUIRE(store.payments.record_processed(command_for("pay_l", "cmd-1")));

  auto both = store.payments.lookup_all({{"cmd-1", "pay_l"}, {"cmd-2", "pay_l"}});
  REQUIRE(both);
  REQUIRE(both->size() == 2);
  CHECK((*both)[0].processed);
  REQUIRE((*both)[0].payment.has_value());
  const auto expected = read_payment(store.payments, "pay_l");
  const auto& found = *(*both)[0].payment;
  CHECK(found.amount.minor() == 4242);
  CHECK(found.status == PaymentStatus::processing);
  CHECK(found.version == expected.version);
  CHECK(found.stripe_payment_intent_id == "pi_lookup");
  CHECK(found.created_at == expected.created_at);
  CHECK(found.request_json == expected.request_json);
  CHECK_FALSE((*both)[1].processed);  // another command about the same payment
  CHECK((*both)[1].payment.has_value());
}

TEST_CASE("create without a key writes the row as given, and answers exists for a taken id without touching it") {
  Store store;
  auto row = payment_row("pay_k", 500);
  row.status = PaymentStatus::processing;
  row.stripe_idempotency_key = "payments:pay_k:charge";
  auto created = store.payments.create(row, std::nullopt);
  REQUIRE_MESSAGE(created, (created ? "" : created.error().message));
  CHECK(created->outcome == CreateOutcome::created);

  auto again = store.payments.create(payment_row("pay_k", 999), std::nullopt);
  REQUIRE_MESSAGE(again, (again ? "" : again.error().message));
  CHECK(again->outcome == CreateOutcome::exists);

  const auto stored = read_payment(store.payments, "pay_k");
  CHECK(stored.status == PaymentStatus::processing);
  CHECK(stored.stripe_idempotency_key == "payments:pay_k:charge");
  CHECK(stored.amount.minor() == 500);
  CHECK(stored.version == 0);
}

TEST_CASE("lookup_all answers each (command, payment) pair in order, as lookup does one by one") {
  Store store;
  create_payment(store.payments, "pay_x", 700);
  create_payment(store.payments, "pay_y", 800);
  REQUIRE(store.payments.record_processed(command_for("pay_y", "cmd-y")));

  auto found = store.payments.lookup_all({{"cmd-none", "pay_missing"}, {"cmd-y", "pay_y"}, {"cmd-x", "pay_x"},
                                          {"cmd-y", "pay_missing"}});
  REQUIRE_MESSAGE(found, (found ? "" : found.error().message));
  REQUIRE(found->size() == 4);
  CHECK_FALSE((*found)[0].processed);
  CHECK_FALSE((*found)[0].payment.has_value());
  CHECK((*found)[1].processed);
  REQUIRE((*found)[1].payment.has_value());
  CHECK((*found)[1].payment->amount.minor() == 800);
  CHECK_FALSE((*found)[2].processed);
  REQUIRE((*found)[2].payment.has_value());
  CHECK((*found)[2].payment->id == "pay_x");
  CHECK((*found)[2].payment->created_at == read_payment(store.payments, "pay_x").created_at);
  CHECK((*found)[3].processed);
  CHECK_FALSE((*found)[3].payment.has_value());
}

TEST_CASE("create_all writes every new payment in one statement, and reports exists for all when one id is taken") {
  Store store;
  auto created = store.payments.create_all({{payment_row("pay_n1", 100), {}}, {payment_row("pay_n2", 200), {}}});
  REQUIRE(created.size() == 2);
  for (const auto& c : created) {
    REQUIRE_MESSAGE(c, (c ? "" : c.error().message));
    CHECK(c->outcome == CreateOutcome::created);
  }
  CHECK(read_payment(store.payments, "pay_n1").amount.minor() == 100);
  CHECK(read_payment(store.payments, "pay_n2").amount.minor() == 200);

  auto mixed = store.payments.create_all({{payment_row("pay_n3", 300), {}}, {payment_row("pay_n1", 999), {}}});
  REQUIRE(mixed.size() == 2);
  for (const auto& c : mixed) {
    REQUIRE(c);
    CHECK(c->outcome == CreateOutcome::exists);  // the caller reads them back
  }
  CHECK(read_payment(store.payments, "pay_n1").amount.minor() == 100);  // the taken id is left as it was
  CHECK(read_payment(store.payments, "pay_n3").amount.minor() == 300);

  // A row MySQL refuses fails alone; the others of its batch are written one by one.
  auto bad = payment_row("pay_bad", 1);
  bad.order_id = std::string(1000, 'o');  // longer than the column
  auto refused = store.payments.create_all({{payment_row("pay_n4", 400), {}}, {bad, {}}});
  REQUIRE(refused.size() == 2);
  REQUIRE(refused[0]);
  CHECK(refused[0]->outcome == CreateOutcome::created);
  CHECK_FALSE(refused[1]);
  auto none = store.payments.find("pay_bad");
  REQUIRE(none);
  CHECK_FALSE(none->has_value());
}

TEST_CASE("apply_all: of two writes to one payment from the same version, the first submitted wins") {
  Store store;
  create_payment(store.payments, "pay_twice");
  const auto read = read_payment(store.payments, "pay_twice");
  auto first = write_over(read, PaymentStatus::processing);
  auto second = write_over(read, PaymentStatus::canceled);
  second.transition.event = event_for("pay_twice", "evt-second");
  second.command = command_for("pay_twice", "cmd-second");

  auto results = store.payments.apply_all({first, second});
  REQUIRE(results.size() == 2);
  REQUIRE(results[0]);
  REQUIRE(results[1]);
  CHECK(results[0].value());
  CHECK_FALSE(results[1].value());
  CHECK(read_payment(store.payments, "pay_twice").status == PaymentStatus::processing);
  CHECK(unpublished_ids(store.payments, "pay_twice") == std::vector<std::string>{"evt-pay_twice"});
  CHECK_FALSE(processed(store.payments, "cmd-second"));
}

namespace {

IdempotencyRecord key_for(const std::string& key, const std::string& payment_id, char hash) {
  return {kMerchant, "payments.create", key, std::string(64, hash), payment_id, 202, R"({"payment_id":")" + payment_id + R"("})"};
}

}  // namespace

TEST_CASE("create_all with idempotency keys: new keys are recorded with their payments, used ones answer as create") {
  Store store;
  auto first = store.payments.create(payment_row("pay_k1"), key_for("key-1", "pay_k1", 'a'));
  REQUIRE(first);
  REQUIRE(first->outcome == CreateOutcome::created);
  auto second = store.payments.create(payment_row("pay_k2"), key_for("key-2", "pay_k2", 'a'));
  REQUIRE(second);

  auto results = store.payments.create_all({
      {payment_row("pay_new"), key_for("key-new", "pay_new", 'a')},
      {payment_row("pay_again"), key_for("key-1", "pay_again", 'a')},   // same request again
      {payment_row("pay_other"), key_for("key-2", "pay_other", 'b')},   // another request, same key
      {payment_row("pay_nokey"), std::nullopt},
  });
  REQUIRE(results.size() == 4);
  for (const auto& r : results) REQUIRE_MESSAGE(r, (r ? "" : r.error().message));
  CHECK(results[0]->outcome == CreateOutcome::created);
  CHECK(results[1]->outcome == CreateOutcome::replayed);
  REQUIRE(results[1]->previous.has_value());
  CHECK(results[1]->previous->resource_id == "pay_k1");
  CHECK(results[2]->outcome == CreateOutcome::conflict);
  CHECK(results[3]->outcome == CreateOutcome::created);

  CHECK(read_payment(store.payments, "pay_new").id == "pay_new");
  CHECK(read_payment(store.payments, "pay_nokey").id == "pay_nokey");
  for (const char* absent : {"pay_again", "pay_other"}) {
    auto none = store.payments.find(absent);
    REQUIRE(none);
    CHECK_FALSE(none->has_value());
  }
  // The new key now replays its payment.
  auto replay = store.payments.create(payment_row("pay_new_retry"), key_for("key-new", "pay_new_retry", 'a'));
  REQUIRE(replay);
  CHECK(replay->outcome == CreateOutcome::replayed);
  CHECK(replay->previous->resource_id == "pay_new");
}

TEST_CASE("create_all: two requests with one new key in a batch create one payment, and the other replays it") {
  Store store;
  auto results = store.payments.create_all({
      {payment_row("pay_r1"), key_for("key-race", "pay_r1", 'a')},
      {payment_row("pay_r2"), key_for("key-race", "pay_r2", 'a')},
  });
  REQUIRE(results.size() == 2);
  REQUIRE(results[0]);
  REQUIRE(results[1]);
  CHECK(results[0]->outcome == CreateOutcome::created);
  CHECK(results[1]->outcome == CreateOutcome::replayed);
  CHECK(results[1]->previous->resource_id == "pay_r1");
  auto loser = store.payments.find("pay_r2");
  REQUIRE(loser);
  CHECK_FALSE(loser->has_value());
}
