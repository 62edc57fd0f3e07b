#include <doctest/doctest.h>

#include <soci/mysql/soci-mysql.h>
#include <soci/soci.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "payments/core/time.hpp"
#include "payments/store/database.hpp"
#include "payments/store/mysql_errors.hpp"
#include "payments/store/payment_repository.hpp"
#include "payments/store/refund_repository.hpp"
#include "support/test_env.hpp"
#include "store_fixture.hpp"

using namespace payments;
using namespace payments::store;
using namespace payments::testing;

TEST_CASE("the project's migrations apply once and a second run applies nothing") {
  ScratchDatabase scratch;
  auto migrations = load_migrations(schema_dir());
  REQUIRE(migrations);
  REQUIRE_FALSE(migrations->empty());

  auto first = migrate(scratch.db(), migrations.value());
  REQUIRE_MESSAGE(first, (first ? "" : first.error().message));
  CHECK(first->applied.size() == migrations->size());

  auto second = migrate(scratch.db(), migrations.value());
  REQUIRE(second);
  CHECK(second->applied.empty());
  CHECK(second->already_applied == migrations->size());
}

TEST_CASE("a migration edited after it was applied is refused by name") {
  ScratchDatabase scratch;
  auto migrations = load_migrations(schema_dir());
  REQUIRE(migrations);
  REQUIRE(migrate(scratch.db(), migrations.value()));

  auto edited = migrations.value();
  edited.front().checksum = std::string(64, '0');
  auto refused = migrate(scratch.db(), edited);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().message.find(edited.front().name) != std::string::npos);
  CHECK(refused.error().message.find("changed after it was applied") != std::string::npos);
}

TEST_CASE("a folder with a stray file is refused") {
  const auto dir = std::filesystem::temp_directory_path() / testing::unique_name("migrations");
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "V001__ok.sql") << "SELECT 1;\n";
  std::ofstream(dir / "notes.txt") << "hello\n";
  auto loaded = load_migrations(dir);
  REQUIRE_FALSE(loaded);
  CHECK(loaded.error().message.find("notes.txt") != std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST_CASE("a payment row written through SOCI reads back with its integer amount intact") {
  ScratchDatabase scratch;
  REQUIRE(migrate(scratch.db(), load_migrations(schema_dir()).value()));
  const long long amount = 99'999'999;
  REQUIRE(scratch.db().with_session([&](soci::session& sql) {
    soci::transaction tx(sql);
    sql << "INSERT INTO payments (id, merchant_id, order_id, amount, currency, payment_method, status, request_hash,"
           " request_json, created_at, updated_at) VALUES ('pay_1', 'm_store', 'order_1', :amount, 'jpy', 'pm_card_visa', 'pending',"
           " REPEAT('a', 64), '{}', NOW(6), NOW(6))",
        soci::use(amount);
    tx.commit();
  }));

  long long read_amount = 0;
  std::string currency;
  std::string status;
  REQUIRE(scratch.db().with_session([&](soci::session& sql) {
    sql << "SELECT amount, currency, status FROM payments WHERE id = 'pay_1'", soci::into(read_amount),
        soci::into(currency), soci::into(status);
  }));
  CHECK(read_amount == amount);
  CHECK(currency == "jpy");
  CHECK(status == "pending");

  // The primary key refuses a second payment with the same id: one payment id, one row. The server's error
  // number is the typed code the store acts on; escaping with_session, it is an internal error (not retryable).
  std::optional<MysqlErrc> refused;
  const auto insert_again = [&](soci::session& sql) {
    sql << "INSERT INTO payments (id, merchant_id, order_id, amount, currency, payment_method, status, request_hash,"
           " request_json, created_at, updated_at) VALUES ('pay_1', 'm_store', 'order_2', 100, 'usd', 'pm_card_visa', 'pending',"
           " REPEAT('b', 64), '{}', NOW(6), NOW(6))";
  };
  REQUIRE(scratch.db().with_session([&](soci::session& sql) {
    try {
      insert_again(sql);
    } catch (const soci::mysql_soci_error& e) {
      refused = mysql_errc(e.err_num_);
    }
  }));
  CHECK(refused == MysqlErrc::duplicate_key);
  auto duplicate = scratch.db().with_session(insert_again);
  REQUIRE_FALSE(duplicate);
  CHECK(duplicate.error().code == ErrorCode::internal);
  CHECK(duplicate.error().message.rfind("MySQL error 1062: ", 0) == 0);
}

TEST_CASE("a row lock held too long is a lock wait timeout: unavailable, retry later, and the session still works") {
  ScratchDatabase scratch;
  REQUIRE(scratch.db().with_session([](soci::session& sql) {
    sql << "CREATE TABLE locked (id INT PRIMARY KEY, n INT) ENGINE=InnoDB";
    sql << "INSERT INTO locked VALUES (1, 0)";
  }));
  // One session holds the row; the other (the pool's second) gives up after the shortest wait InnoDB allows.
  Status waited = Ok{};
  REQUIRE(scratch.db().with_session([&](soci::session& holder) {
    soci::transaction tx(holder);
    holder << "UPDATE locked SET n = 1 WHERE id = 1";
    waited = scratch.db().with_session([](soci::session& sql) {
      sql << "SET SESSION innodb_lock_wait_timeout = 1";
      sql << "UPDATE locked SET n = 2 WHERE id = 1";
    });
    tx.rollback();
  }));
  REQUIRE_FALSE(waited);
  CAPTURE(waited.error().message);
  CHECK(waited.error().code == ErrorCode::unavailable);
  CHECK(waited.error().message.rfind("MySQL error 1205: ", 0) == 0);
  CHECK(scratch.db().ping());
}

TEST_CASE("an unreachable database is reported in one line naming where, without the password") {
  auto settings = testing::mysql_admin("payments");
  settings.port = 1;
  settings.password = Secret("hunter2-secret");
  auto db = Database::connect({.mysql = settings, .pool_size = 1, .connect_timeout = std::chrono::seconds(2)});
  REQUIRE_FALSE(db);
  CHECK(db.error().code == ErrorCode::unavailable);
  CHECK(db.error().message.rfind("MySQL unreachable at " + settings.host + ":1/payments as ", 0) == 0);
  CHECK(db.error().message.find("hunter2") == std::string::npos);
  CHECK(db.error().message.find('\n') == std::string::npos);
}

// ---------------------------------------------------------------------------------------------------------------
// The repositories against the real schema: what Stripe's follow-ups (webhooks, disputes, reconciliation,
// late refund failures) read and write.

namespace {

// pending -> processing (with its intent) -> succeeded.
void succeeded_payment(PaymentRepository& payments, const std::string& id, std::int64_t amount = 1000) {
  create_payment(payments, id, amount);
  move_payment(payments, id, PaymentStatus::processing, "pi_" + id);
  move_payment(payments, id, PaymentStatus::succeeded);
}

// A refund the worker accepted against its payment (pending, amount reserved).
RefundRecord reserved_refund(RefundRepository& refunds, const std::string& id, const std::string& payment_id,
                             std::optional<std::int64_t> amount) {
  RefundRecord r;
  r.merchant_id = kMerchant;
  r.id = id;
  r.payment_id = payment_id;
  r.requested_amount = amount;
  r.status = RefundStatus::pending;
  r.request_hash = std::string(64, 'b');
  r.stripe_idempotency_key = "payments:" + id + ":refund";
  auto reservation = refunds.reserve(r, {});
  REQUIRE_MESSAGE(reservation, (reservation ? "" : reservation.error().message));
  REQUIRE(reservation->refund.status == RefundStatus::pending);
  REQUIRE(reservation->refund.reserved);
  return reservation->refund;
}

RefundRecord read_refund(RefundRepository& refunds, const std::string& id) {
  auto found = refunds.find(id);
  REQUIRE_MESSAGE(found, (found ? "" : found.error().message));
  REQUIRE_MESSAGE(found->has_value(), "no refund " << id);
  return *found.value();
}

// What the event factory was handed, and the event it then owes.
struct FactoryCalls {
  int calls = 0;
  std::optional<PaymentRecord> payment;
  RefundRecord refund;
};
RefundEventFactory recording_factory(FactoryCalls& seen, std::string event_id) {
  return [&seen, event_id](const PaymentRecord& payment, const RefundRecord& refund) -> std::optional<OutboxEvent> {
    ++seen.calls;
    seen.payment = payment;
    seen.refund = refund;
    return OutboxEvent{event_id, payment.id, "payment-refunded",
                       R"({"refund_id":")" + refund.id + R"(","status":")" + std::string(to_string(refund.status)) +
                           R"("})"};
  };
}

std::vector<std::string> ids_of(const std::vector<PaymentRecord>& rows) {
  std::vector<std::string> ids;
  for (const auto& r : rows) ids.push_back(r.id);
  std::sort(ids.begin(), ids.end());
  return ids;
}
std::vector<std::string> ids_of(const std::vector<RefundRecord>& rows) {
  std::vector<std::string> ids;
  for (const auto& r : rows) ids.push_back(r.id);
  std::sort(ids.begin(), ids.end());
  return ids;
}

using Ids = std::vector<std::string>;
using std::chrono::seconds;

// Past a one-second check interval, or past a min_age of one second.
void wait_past_a_second() { std::this_thread::sleep_for(std::chrono::milliseconds(1150)); }

}  // namespace

TEST_CASE("find_by_intent finds the payment whose intent was recorded by a transition, and nothing else") {
  Store store;
  create_payment(store.payments, "pay_a");
  create_payment(store.payments, "pay_b");

  auto before = store.payments.find_by_intent("pi_3PTxqLLkdIwHu7ix0HQmxvUJ");
  REQUIRE(before);
  CHECK_FALSE(before->has_value());

  move_payment(store.payments, "pay_b", PaymentStatus::processing, "pi_3PTxqLLkdIwHu7ix0HQmxvUJ");
  auto found = store.payments.find_by_intent("pi_3PTxqLLkdIwHu7ix0HQmxvUJ");
  REQUIRE(found);
  REQUIRE(found->has_value());
  CHECK(*found.value() == "pay_b");

  // Still found after later transitions that do not touch the intent.
  move_payment(store.payments, "pay_b", PaymentStatus::succeeded);
  found = store.payments.find_by_intent("pi_3PTxqLLkdIwHu7ix0HQmxvUJ");
  REQUIRE(found);
  REQUIRE(found->has_value());
  CHECK(*found.value() == "pay_b");

  for (const char* other : {"pi_3PTxqLLkdIwHu7ix0HQmxvUK", "pi_3PTxqLLkdIwHu7ix0HQmxvU", "", "pay_b"}) {
    CAPTURE(other);
    auto none = store.payments.find_by_intent(other);
    REQUIRE(none);
    CHECK_FALSE(none->has_value());
  }
}

TEST_CASE("a stored amount or currency this version cannot read makes the row an error, never a default") {
  Store store;
  succeeded_payment(store.payments, "pay_x");
  const auto unreadable = [&](const std::string& update) {
    REQUIRE(store.db().with_session([&](soci::session& sql) { sql << update; }));
    auto found = store.payments.find("pay_x");
    REQUIRE_FALSE(found);
    CHECK(found.error().code == ErrorCode::internal);
    return found.error().message;
  };
  CHECK(unreadable("UPDATE payments SET currency = 'xyz' WHERE id = 'pay_x'").find("payments.amount") !=
        std::string::npos);
  CHECK(unreadable("UPDATE payments SET currency = 'usd', amount_refunded = 100000000 WHERE id = 'pay_x'")
            .find("payments.amount_refunded") != std::string::npos);

  // A refund that never met its payment is the one row with no currency; any other row without one is broken.
  RefundRecord orphan;
  orphan.merchant_id = kMerchant;
  orphan.id = "ref_orphan";
  orphan.payment_id = "pay_nobody";
  orphan.requested_amount = 100;
  orphan.request_hash = std::string(64, 'e');
  orphan.stripe_idempotency_key = "payments:ref_orphan:refund";
  auto refused = store.refunds.reserve(orphan, {});
  REQUIRE_MESSAGE(refused, (refused ? "" : refused.error().message));
  CHECK(refused->refund.failure_code == "payment_not_found");
  CHECK_FALSE(refused->refund.amount.has_value());
  CHECK(refused->refund.requested_amount == 100);
  REQUIRE(store.db().with_session([](soci::session& sql) {
    sql << "UPDATE refunds SET status = 'pending' WHERE id = 'ref_orphan'";
  }));
  auto broken = store.refunds.find("ref_orphan");
  REQUIRE_FALSE(broken);
  CHECK(broken.error().code == ErrorCode::internal);
}

TEST_CASE("record_dispute keeps the first dispute of a payment, and the same one again changes nothing") {
  Store store;
  succeeded_payment(store.payments, "pay_d", 1999);
  CHECK_FALSE(read_payment(store.payments, "pay_d").dispute.has_value());
  const auto status_before = read_payment(store.payments, "pay_d");

  const PaymentDispute first{"dp_1PU0dYLkdIwHu7ixkq4Zt1Ht", "warning_needs_response", "fraudulent", usd(1999), ""};
  auto recorded = store.payments.record_dispute("pay_d", first);
  REQUIRE_MESSAGE(recorded, (recorded ? "" : recorded.error().message));
  CHECK(recorded.value());

  auto seen = read_payment(store.payments, "pay_d");
  REQUIRE(seen.dispute.has_value());
  CHECK(seen.dispute->id == "dp_1PU0dYLkdIwHu7ixkq4Zt1Ht");
  CHECK(seen.dispute->status == "warning_needs_response");
  CHECK(seen.dispute->reason == "fraudulent");
  CHECK(seen.dispute->amount.minor() == 1999);
  // When this service learnt of it: a real, current UTC timestamp in the service's format.
  const auto disputed_at = parse_rfc3339(seen.dispute->disputed_at);
  REQUIRE_MESSAGE(disputed_at.has_value(), seen.dispute->disputed_at);
  CHECK(seen.dispute->disputed_at.size() == std::string("2026-11-22T10:00:00.412Z").size());
  CHECK(std::chrono::abs(std::chrono::system_clock::now() - *disputed_at) < std::chrono::minutes(5));
  // The payment itself is as it was: a dispute is not a status move.
  CHECK(seen.status == PaymentStatus::succeeded);
  CHECK(seen.version == status_before.version);
  CHECK(seen.amount_refunded.minor() == 0);

  // Stripe delivers charge.dispute.created again: accepted, and disputed_at stays the first time.
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  auto again = store.payments.record_dispute("pay_d", first);
  REQUIRE(again);
  CHECK(again.value());
  auto after_again = read_payment(store.payments, "pay_d");
  REQUIRE(after_again.dispute.has_value());
  CHECK(after_again.dispute->id == first.id);
  CHECK(after_again.dispute->disputed_at == seen.dispute->disputed_at);
  CHECK(after_again.dispute->amount.minor() == 1999);

  // Another dispute on the same payment: refused, and the first is kept whole.
  const PaymentDispute second{"dp_1PU9zzLkdIwHu7ixAAAAAAAA", "needs_response", "product_not_received", usd(500), ""};
  auto other = store.payments.record_dispute("pay_d", second);
  REQUIRE(other);
  CHECK_FALSE(other.value());
  auto kept = read_payment(store.payments, "pay_d");
  REQUIRE(kept.dispute.has_value());
  CHECK(kept.dispute->id == "dp_1PU0dYLkdIwHu7ixkq4Zt1Ht");
  CHECK(kept.dispute->status == "warning_needs_response");
  CHECK(kept.dispute->reason == "fraudulent");
  CHECK(kept.dispute->amount.minor() == 1999);
  CHECK(kept.dispute->disputed_at == seen.dispute->disputed_at);

  // No such payment: nothing to record it on.
  auto unknown = store.payments.record_dispute("pay_nobody", first);
  REQUIRE(unknown);
  CHECK_FALSE(unknown.value());
  CHECK_FALSE(store.payments.find("pay_nobody").value().has_value());
  // And a dispute on one payment shows on no other.
  create_payment(store.payments, "pay_e");
  CHECK_FALSE(read_payment(store.payments, "pay_e").dispute.has_value());
}

TEST_CASE("claim_for_check returns payments of that status unchanged for min_age, once until their next check") {
  Store store;
  create_payment(store.payments, "pay_pending");
  create_payment(store.payments, "pay_processing");
  move_payment(store.payments, "pay_processing", PaymentStatus::processing, "pi_processing");
  succeeded_payment(store.payments, "pay_done");

  // Too young for the age asked for.
  auto young = store.payments.claim_for_check(PaymentStatus::processing, seconds(3600), 10, seconds(60), seconds(600));
  REQUIRE_MESSAGE(young, (young ? "" : young.error().message));
  CHECK(young->empty());
  auto not_yet = store.payments.claim_for_check(PaymentStatus::processing, seconds(1), 10, seconds(60), seconds(600));
  REQUIRE(not_yet);
  CHECK(not_yet->empty());

  wait_past_a_second();
  auto claimed = store.payments.claim_for_check(PaymentStatus::processing, seconds(1), 10, seconds(60), seconds(600));
  REQUIRE(claimed);
  REQUIRE(claimed->size() == 1);
  // The record as it stands, with what reconciliation needs to ask Stripe.
  CHECK(claimed->front().id == "pay_processing");
  CHECK(claimed->front().status == PaymentStatus::processing);
  CHECK(claimed->front().stripe_payment_intent_id == "pi_processing");
  CHECK(claimed->front().amount.minor() == 1000);

  // Claimed: not again until its next check, a minute away.
  auto repeat = store.payments.claim_for_check(PaymentStatus::processing, seconds(0), 10, seconds(60), seconds(600));
  REQUIRE(repeat);
  CHECK(repeat->empty());
  // Still old enough for the other statuses, each on its own.
  auto pending = store.payments.claim_for_check(PaymentStatus::pending, seconds(1), 10, seconds(60), seconds(600));
  REQUIRE(pending);
  CHECK(ids_of(pending.value()) == Ids{"pay_pending"});
  auto succeeded = store.payments.claim_for_check(PaymentStatus::succeeded, seconds(1), 10, seconds(60), seconds(600));
  REQUIRE(succeeded);
  CHECK(ids_of(succeeded.value()) == Ids{"pay_done"});
  auto none = store.payments.claim_for_check(PaymentStatus::requires_action, seconds(0), 10, seconds(60), seconds(600));
  REQUIRE(none);
  CHECK(none->empty());
  // Claiming is not a change: the payment's status, version and updated_at stay as they were.
  const auto after = read_payment(store.payments, "pay_processing");
  CHECK(after.status == PaymentStatus::processing);
  CHECK(after.version == claimed->front().version);
  CHECK(after.updated_at == claimed->front().updated_at);
}

TEST_CASE("claim_for_check backs off: first_retry doubled per check, at most max_retry") {
  Store store;
  create_payment(store.payments, "pay_doubling");
  move_payment(store.payments, "pay_doubling", PaymentStatus::processing, "pi_doubling");
  create_payment(store.payments, "pay_capped");
  move_payment(store.payments, "pay_capped", PaymentStatus::processing, "pi_capped");
  move_payment(store.payments, "pay_capped", PaymentStatus::requires_action);

  auto doubling = [&] {
    auto r = store.payments.claim_for_check(PaymentStatus::processing, seconds(0), 10, seconds(1), seconds(600));
    REQUIRE_MESSAGE(r, (r ? "" : r.error().message));
    return ids_of(r.value());
  };
  auto capped = [&] {
    auto r = store.payments.claim_for_check(PaymentStatus::requires_action, seconds(0), 10, seconds(1), seconds(1));
    REQUIRE_MESSAGE(r, (r ? "" : r.error().message));
    return ids_of(r.value());
  };

  CHECK(doubling() == Ids{"pay_doubling"});  // next check in 1 s
  CHECK(capped() == Ids{"pay_capped"});      // next check in 1 s
  CHECK(doubling().empty());
  CHECK(capped().empty());
  wait_past_a_second();
  CHECK(doubling() == Ids{"pay_doubling"});  // next check in 2 s
  CHECK(capped() == Ids{"pay_capped"});      // next check in min(2 s, 1 s)
  wait_past_a_second();
  CHECK(doubling().empty());
  CHECK(capped() == Ids{"pay_capped"});
}

TEST_CASE("claim_for_check respects limit and never hands out a payment twice") {
  Store store;
  for (int i = 0; i < 5; ++i) {
    const std::string id = "pay_" + std::to_string(i);
    create_payment(store.payments, id);
    move_payment(store.payments, id, PaymentStatus::processing, "pi_" + std::to_string(i));
  }
  std::set<std::string> seen;
  for (const std::size_t expected : {2U, 2U, 1U, 0U}) {
    auto batch = store.payments.claim_for_check(PaymentStatus::processing, seconds(0), 2, seconds(60), seconds(600));
    REQUIRE_MESSAGE(batch, (batch ? "" : batch.error().message));
    CHECK(batch->size() == expected);
    for (const auto& p : batch.value()) CHECK_MESSAGE(seen.insert(p.id).second, p.id << " claimed twice");
  }
  CHECK(seen.size() == 5);
}

TEST_CASE("two workers claiming at once never get the same payment, and between them get every one") {
  Store store;
  constexpr int kPayments = 60;
  for (int i = 0; i < kPayments; ++i) {
    const std::string id = "pay_c" + std::to_string(i);
    create_payment(store.payments, id);
    move_payment(store.payments, id, PaymentStatus::processing, "pi_c" + std::to_string(i));
  }

  // Both threads wait for each other, then claim the whole backlog at the same moment through one Database.
  std::atomic<int> ready{0};
  std::array<Result<std::vector<PaymentRecord>>, 2> results{Error::internal("not run"), Error::internal("not run")};
  auto claimer = [&](std::size_t slot) {
    ready.fetch_add(1);
    while (ready.load() < 2) std::this_thread::yield();
    results[slot] =
        store.payments.claim_for_check(PaymentStatus::processing, seconds(0), kPayments, seconds(60), seconds(600));
  };
  std::thread a(claimer, 0);
  std::thread b(claimer, 1);
  a.join();
  b.join();

  REQUIRE_MESSAGE(results[0], (results[0] ? "" : results[0].error().message));
  REQUIRE_MESSAGE(results[1], (results[1] ? "" : results[1].error().message));
  const auto first = ids_of(results[0].value());
  const auto second = ids_of(results[1].value());
  MESSAGE("claimed " << first.size() << " and " << second.size());
  std::vector<std::string> both;
  std::set_intersection(first.begin(), first.end(), second.begin(), second.end(), std::back_inserter(both));
  CHECK_MESSAGE(both.empty(), both.size() << " payments claimed by both, e.g. " << (both.empty() ? "" : both.front()));
  std::set<std::string> all(first.begin(), first.end());
  all.insert(second.begin(), second.end());
  CHECK(all.size() == static_cast<std::size_t>(kPayments));
}

TEST_CASE("a status change clears the check schedule: the payment is claimable again, backing off from the start") {
  Store store;
  create_payment(store.payments, "pay_s");
  move_payment(store.payments, "pay_s", PaymentStatus::processing, "pi_s");

  auto claim = [&](PaymentStatus status) {
    auto r = store.payments.claim_for_check(status, seconds(0), 10, seconds(1), seconds(600));
    REQUIRE_MESSAGE(r, (r ? "" : r.error().message));
    return r.value();
  };
  CHECK(ids_of(claim(PaymentStatus::processing)) == Ids{"pay_s"});  // next check in 1 s
  wait_past_a_second();
  CHECK(ids_of(claim(PaymentStatus::processing)) == Ids{"pay_s"});  // next check in 2 s
  CHECK(claim(PaymentStatus::processing).empty());

  // Stripe asks for 3-D Secure: the move is the worker's, and the old schedule no longer holds.
  move_payment(store.payments, "pay_s", PaymentStatus::requires_action);
  auto claimed = claim(PaymentStatus::requires_action);
  REQUIRE(claimed.size() == 1);
  CHECK(claimed.front().id == "pay_s");
  CHECK(claimed.front().status == PaymentStatus::requires_action);
  CHECK(claim(PaymentStatus::processing).empty());
  // The back-off starts again from first_retry (1 s), not from where the old status had got to (4 s).
  wait_past_a_second();
  CHECK(ids_of(claim(PaymentStatus::requires_action)) == Ids{"pay_s"});
}

TEST_CASE("settle: a refund that succeeds is added to the payment, and one Stripe fails later is taken off again") {
  Store store;
  succeeded_payment(store.payments, "pay_r", 1000);
  const auto refund = reserved_refund(store.refunds, "ref_1", "pay_r", 300);
  CHECK(refund.amount == usd(300));
  // Reserved, not yet refunded: the payment shows nothing refunded.
  CHECK(read_payment(store.payments, "pay_r").amount_refunded.minor() == 0);
  CHECK(read_payment(store.payments, "pay_r").status == PaymentStatus::succeeded);

  FactoryCalls succeeded_seen;
  auto settled = store.refunds.settle("ref_1", RefundStatus::succeeded, "re_1", "", "",
                                      recording_factory(succeeded_seen, "evt-ref_1-succeeded"));
  REQUIRE_MESSAGE(settled, (settled ? "" : settled.error().message));
  CHECK(settled.value());
  auto payment = read_payment(store.payments, "pay_r");
  CHECK(payment.amount_refunded.minor() == 300);
  CHECK(payment.status == PaymentStatus::partially_refunded);
  auto row = read_refund(store.refunds, "ref_1");
  CHECK(row.status == RefundStatus::succeeded);
  CHECK(row.stripe_refund_id == "re_1");
  CHECK(row.amount == usd(300));
  // The factory saw both as they are after the change, and the event it built is owed.
  CHECK(succeeded_seen.calls == 1);
  CHECK(succeeded_seen.refund.status == RefundStatus::succeeded);
  CHECK(succeeded_seen.refund.stripe_refund_id == "re_1");
  CHECK(succeeded_seen.payment->amount_refunded.minor() == 300);
  CHECK(succeeded_seen.payment->status == PaymentStatus::partially_refunded);

  // The same outcome again: nothing moves, no second event.
  FactoryCalls repeat_seen;
  auto repeated = store.refunds.settle("ref_1", RefundStatus::succeeded, "re_1", "", "",
                                       recording_factory(repeat_seen, "evt-ref_1-succeeded-again"));
  REQUIRE(repeated);
  CHECK_FALSE(repeated.value());
  CHECK(repeat_seen.calls == 0);
  CHECK(read_payment(store.payments, "pay_r").amount_refunded.minor() == 300);

  // refund.failed after it had succeeded (the card was closed): the money did not go back after all.
  FactoryCalls failed_seen;
  auto reversed = store.refunds.settle("ref_1", RefundStatus::failed, "", "expired_or_canceled_card",
                                       "the customer's card was closed", recording_factory(failed_seen, "evt-ref_1-failed"));
  REQUIRE(reversed);
  CHECK(reversed.value());
  payment = read_payment(store.payments, "pay_r");
  CHECK(payment.amount_refunded.minor() == 0);
  CHECK(payment.status == PaymentStatus::succeeded);
  row = read_refund(store.refunds, "ref_1");
  CHECK(row.status == RefundStatus::failed);
  CHECK(row.failure_code == "expired_or_canceled_card");
  CHECK(row.failure_message == "the customer's card was closed");
  CHECK(row.stripe_refund_id == "re_1");  // kept when the failure does not repeat it
  CHECK(failed_seen.calls == 1);
  CHECK(failed_seen.refund.status == RefundStatus::failed);
  CHECK(failed_seen.refund.failure_code == "expired_or_canceled_card");
  CHECK(failed_seen.payment->amount_refunded.minor() == 0);
  CHECK(failed_seen.payment->status == PaymentStatus::succeeded);

  // refund.failed delivered again: once is enough.
  FactoryCalls failed_again_seen;
  auto failed_again = store.refunds.settle("ref_1", RefundStatus::failed, "", "expired_or_canceled_card", "again",
                                           recording_factory(failed_again_seen, "evt-ref_1-failed-again"));
  REQUIRE(failed_again);
  CHECK_FALSE(failed_again.value());
  CHECK(failed_again_seen.calls == 0);
  CHECK(read_payment(store.payments, "pay_r").amount_refunded.minor() == 0);
  CHECK(read_refund(store.refunds, "ref_1").failure_message == "the customer's card was closed");

  // A late refund.updated saying succeeded cannot bring a failed refund back.
  FactoryCalls revived_seen;
  auto revived = store.refunds.settle("ref_1", RefundStatus::succeeded, "re_1", "", "",
                                      recording_factory(revived_seen, "evt-ref_1-revived"));
  REQUIRE(revived);
  CHECK_FALSE(revived.value());
  CHECK(revived_seen.calls == 0);
  CHECK(read_refund(store.refunds, "ref_1").status == RefundStatus::failed);
  payment = read_payment(store.payments, "pay_r");
  CHECK(payment.amount_refunded.minor() == 0);
  CHECK(payment.status == PaymentStatus::succeeded);

  // Exactly the two events of the two real changes are owed.
  auto owed = store.payments.unpublished_events("pay_r");
  REQUIRE(owed);
  std::vector<std::string> event_ids;
  for (const auto& e : owed.value()) event_ids.push_back(e.event_id);
  std::sort(event_ids.begin(), event_ids.end());
  CHECK(event_ids == Ids{"evt-ref_1-failed", "evt-ref_1-succeeded"});
}

TEST_CASE("settle: a full refund failed later puts the payment back to succeeded, and frees the amount") {
  Store store;
  succeeded_payment(store.payments, "pay_f", 1000);
  const auto refund = reserved_refund(store.refunds, "ref_full", "pay_f", std::nullopt);
  CHECK(refund.amount == usd(1000));  // no amount: the whole payment
  REQUIRE(store.refunds.settle("ref_full", RefundStatus::succeeded, "re_full", "", "", {}).value());
  auto payment = read_payment(store.payments, "pay_f");
  CHECK(payment.amount_refunded.minor() == 1000);
  CHECK(payment.status == PaymentStatus::refunded);

  // Nothing more can be refunded while the full refund stands.
  RefundRecord more;
  more.merchant_id = kMerchant;
  more.id = "ref_more";
  more.payment_id = "pay_f";
  more.request_hash = std::string(64, 'c');
  more.stripe_idempotency_key = "payments:ref_more:refund";
  auto refused = store.refunds.reserve(more, {});
  REQUIRE(refused);
  CHECK(refused->refund.status == RefundStatus::failed);
  CHECK(refused->refund.failure_code == "nothing_to_refund");

  REQUIRE(store.refunds.settle("ref_full", RefundStatus::failed, "", "lost_or_stolen_card", "", {}).value());
  payment = read_payment(store.payments, "pay_f");
  CHECK(payment.amount_refunded.minor() == 0);
  CHECK(payment.status == PaymentStatus::succeeded);

  // The amount is refundable again.
  const auto retry = reserved_refund(store.refunds, "ref_retry", "pay_f", std::nullopt);
  CHECK(retry.amount == usd(1000));
}

TEST_CASE("settle: with two refunds, failing one later leaves the other counted") {
  Store store;
  succeeded_payment(store.payments, "pay_two", 1000);
  reserved_refund(store.refunds, "ref_a", "pay_two", 400);
  reserved_refund(store.refunds, "ref_b", "pay_two", 600);
  REQUIRE(store.refunds.settle("ref_a", RefundStatus::succeeded, "re_a", "", "", {}).value());
  CHECK(read_payment(store.payments, "pay_two").status == PaymentStatus::partially_refunded);
  REQUIRE(store.refunds.settle("ref_b", RefundStatus::succeeded, "re_b", "", "", {}).value());
  auto payment = read_payment(store.payments, "pay_two");
  CHECK(payment.amount_refunded.minor() == 1000);
  CHECK(payment.status == PaymentStatus::refunded);

  FactoryCalls seen;
  REQUIRE(store.refunds.settle("ref_b", RefundStatus::failed, "", "expired_or_canceled_card", "",
                               recording_factory(seen, "evt-ref_b-failed"))
              .value());
  payment = read_payment(store.payments, "pay_two");
  CHECK(payment.amount_refunded.minor() == 400);
  CHECK(payment.status == PaymentStatus::partially_refunded);
  CHECK(seen.calls == 1);
  CHECK(seen.refund.id == "ref_b");
  CHECK(seen.refund.status == RefundStatus::failed);
  CHECK(seen.payment->amount_refunded.minor() == 400);
  CHECK(seen.payment->status == PaymentStatus::partially_refunded);
  CHECK(read_refund(store.refunds, "ref_a").status == RefundStatus::succeeded);

  // What ref_b held is refundable again; ref_a's 400 is not.
  const auto rest = reserved_refund(store.refunds, "ref_c", "pay_two", std::nullopt);
  CHECK(rest.amount == usd(600));

  REQUIRE(store.refunds.settle("ref_a", RefundStatus::failed, "", "expired_or_canceled_card", "", {}).value());
  payment = read_payment(store.payments, "pay_two");
  CHECK(payment.amount_refunded.minor() == 0);
  CHECK(payment.status == PaymentStatus::succeeded);
}

TEST_CASE("settle: a pending refund that fails leaves the payment alone and releases its reservation") {
  Store store;
  succeeded_payment(store.payments, "pay_p", 1000);
  reserved_refund(store.refunds, "ref_p", "pay_p", 700);
  const auto version_before = read_payment(store.payments, "pay_p").version;

  FactoryCalls seen;
  auto failed = store.refunds.settle("ref_p", RefundStatus::failed, "re_p", "charge_for_pending_refund_disputed",
                                     "disputed", recording_factory(seen, "evt-ref_p-failed"));
  REQUIRE(failed);
  CHECK(failed.value());
  auto payment = read_payment(store.payments, "pay_p");
  CHECK(payment.amount_refunded.minor() == 0);
  CHECK(payment.status == PaymentStatus::succeeded);
  CHECK(payment.version == version_before);
  CHECK(seen.calls == 1);
  CHECK(seen.refund.status == RefundStatus::failed);
  CHECK(read_refund(store.refunds, "ref_p").stripe_refund_id == "re_p");
  CHECK(reserved_refund(store.refunds, "ref_q", "pay_p", std::nullopt).amount == usd(1000));

  // A refund never reserved (the API's row whose command never reached the worker) cannot be settled.
  RefundRecord unreserved;
  unreserved.merchant_id = kMerchant;
  unreserved.id = "ref_u";
  unreserved.payment_id = "pay_p";
  unreserved.requested_amount = 100;
  unreserved.request_hash = std::string(64, 'd');
  unreserved.stripe_idempotency_key = "payments:ref_u:refund";
  REQUIRE(store.refunds.create(unreserved, std::nullopt));
  auto not_reserved = store.refunds.settle("ref_u", RefundStatus::succeeded, "re_u", "", "", {});
  REQUIRE(not_reserved);
  CHECK_FALSE(not_reserved.value());
  CHECK(read_payment(store.payments, "pay_p").amount_refunded.minor() == 0);
  auto unknown = store.refunds.settle("ref_nobody", RefundStatus::succeeded, "re_x", "", "", {});
  REQUIRE(unknown);
  CHECK_FALSE(unknown.value());
}

TEST_CASE("find_by_stripe_id finds the refund Stripe's id was recorded on") {
  Store store;
  succeeded_payment(store.payments, "pay_s", 1000);
  reserved_refund(store.refunds, "ref_noted", "pay_s", 100);
  reserved_refund(store.refunds, "ref_settled", "pay_s", 200);
  reserved_refund(store.refunds, "ref_other", "pay_s", 300);

  auto none = store.refunds.find_by_stripe_id("re_3PTxqLLkdIwHu7ix0Xa1bC2d");
  REQUIRE(none);
  CHECK_FALSE(none->has_value());

  REQUIRE(store.refunds.note_stripe_refund("ref_noted", "re_3PTxqLLkdIwHu7ix0Xa1bC2d"));
  REQUIRE(store.refunds.settle("ref_settled", RefundStatus::succeeded, "re_3PTxqLLkdIwHu7ix0Zz9yY8x", "", "", {}).value());

  auto noted = store.refunds.find_by_stripe_id("re_3PTxqLLkdIwHu7ix0Xa1bC2d");
  REQUIRE(noted);
  REQUIRE(noted->has_value());
  CHECK(noted.value()->id == "ref_noted");
  CHECK(noted.value()->payment_id == "pay_s");
  CHECK(noted.value()->amount == usd(100));
  CHECK(noted.value()->status == RefundStatus::pending);

  auto settled = store.refunds.find_by_stripe_id("re_3PTxqLLkdIwHu7ix0Zz9yY8x");
  REQUIRE(settled);
  REQUIRE(settled->has_value());
  CHECK(settled.value()->id == "ref_settled");
  CHECK(settled.value()->status == RefundStatus::succeeded);

  for (const char* other : {"re_3PTxqLLkdIwHu7ix0Xa1bC2e", "", "ref_other"}) {
    CAPTURE(other);
    auto missing = store.refunds.find_by_stripe_id(other);
    REQUIRE(missing);
    CHECK_FALSE(missing->has_value());
  }
}

TEST_CASE("refund claim_for_check returns pending refunds unchanged for min_age, once until their next check") {
  Store store;
  succeeded_payment(store.payments, "pay_rc", 1000);
  // The settled ones are the oldest: a claim that looked at them would fill its limit with them.
  reserved_refund(store.refunds, "ref_done", "pay_rc", 100);
  REQUIRE(store.refunds.settle("ref_done", RefundStatus::succeeded, "re_done", "", "", {}).value());
  reserved_refund(store.refunds, "ref_failed", "pay_rc", 100);
  REQUIRE(store.refunds.settle("ref_failed", RefundStatus::failed, "re_failed", "declined", "", {}).value());
  reserved_refund(store.refunds, "ref_pending_1", "pay_rc", 100);
  reserved_refund(store.refunds, "ref_pending_2", "pay_rc", 100);
  reserved_refund(store.refunds, "ref_pending_3", "pay_rc", 100);

  auto young = store.refunds.claim_for_check(seconds(3600), 10, seconds(60), seconds(600));
  REQUIRE_MESSAGE(young, (young ? "" : young.error().message));
  CHECK(young->empty());
  auto not_yet = store.refunds.claim_for_check(seconds(1), 10, seconds(60), seconds(600));
  REQUIRE(not_yet);
  CHECK(not_yet->empty());

  wait_past_a_second();
  auto first = store.refunds.claim_for_check(seconds(1), 2, seconds(60), seconds(600));
  REQUIRE(first);
  CHECK(first->size() == 2);  // limit
  auto second = store.refunds.claim_for_check(seconds(1), 2, seconds(60), seconds(600));
  REQUIRE(second);
  auto claimed = ids_of(first.value());
  const auto rest = ids_of(second.value());
  claimed.insert(claimed.end(), rest.begin(), rest.end());
  std::sort(claimed.begin(), claimed.end());
  // Only the pending ones, each once.
  CHECK(claimed == Ids{"ref_pending_1", "ref_pending_2", "ref_pending_3"});
  for (const auto& r : first.value()) {
    CHECK(r.status == RefundStatus::pending);
    CHECK(r.amount == usd(100));
    CHECK(r.payment_id == "pay_rc");
  }
  auto again = store.refunds.claim_for_check(seconds(0), 10, seconds(60), seconds(600));
  REQUIRE(again);
  CHECK(again->empty());
}

TEST_CASE("two workers claiming refunds at once never get the same refund, and between them get every one") {
  Store store;
  constexpr int kRefunds = 40;
  succeeded_payment(store.payments, "pay_rcc", 100 * kRefunds);
  for (int i = 0; i < kRefunds; ++i) reserved_refund(store.refunds, "ref_c" + std::to_string(i), "pay_rcc", 100);

  std::atomic<int> ready{0};
  std::array<Result<std::vector<RefundRecord>>, 2> results{Error::internal("not run"), Error::internal("not run")};
  auto claimer = [&](std::size_t slot) {
    ready.fetch_add(1);
    while (ready.load() < 2) std::this_thread::yield();
    results[slot] = store.refunds.claim_for_check(seconds(0), kRefunds, seconds(60), seconds(600));
  };
  std::thread a(claimer, 0);
  std::thread b(claimer, 1);
  a.join();
  b.join();

  REQUIRE_MESSAGE(results[0], (results[0] ? "" : results[0].error().message));
  REQUIRE_MESSAGE(results[1], (results[1] ? "" : results[1].error().message));
  const auto first = ids_of(results[0].value());
  const auto second = ids_of(results[1].value());
  std::vector<std::string> both;
  std::set_intersection(first.begin(), first.end(), second.begin(), second.end(), std::back_inserter(both));
  CHECK_MESSAGE(both.empty(), both.size() << " refunds claimed by both, e.g. " << (both.empty() ? "" : both.front()));
  std::set<std::string> all(first.begin(), first.end());
  all.insert(second.begin(), second.end());
  CHECK(all.size() == static_cast<std::size_t>(kRefunds));
}
