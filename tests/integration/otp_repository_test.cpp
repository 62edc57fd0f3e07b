// One-time codes per destination against the real MariaDB: what OtpRepository counts, and that the limit
// holds when several workers (each with connections of its own) issue codes to one destination at once.
#include <doctest/doctest.h>

#include <soci/soci.h>

#include <atomic>
#include <latch>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "payments/store/otp_repository.hpp"
#include "store_fixture.hpp"

using namespace payments;
using namespace payments::store;
using namespace payments::testing;
using namespace std::chrono_literals;

namespace {

const OtpTime kNow = OtpTime{} + std::chrono::hours(24 * 365 * 56);

std::string dest(char c) { return std::string(64, c); }  // stands for an OtpHasher::destination_hash

// A challenge whose code was sent at `sent_at`, counted under `destination_hash`.
StoredChallenge challenge_for(const std::string& payment_id, const std::string& destination_hash, OtpTime sent_at) {
  StoredChallenge s;
  s.challenge.payment_id = payment_id;
  s.challenge.code_hash = std::string(64, 'c');
  s.challenge.seq = 1;
  s.challenge.issued_at = sent_at;
  s.challenge.last_sent_at = sent_at;
  s.challenge.expires_at = sent_at + 5min;
  s.challenge.attempts_left = 5;
  s.channel = "sms";
  s.destination_masked = "+1******0123";
  s.last_result = "issued";
  s.max_resends = 5;
  s.destination_hash = destination_hash;
  return s;
}

Transition to_otp_required(PaymentRepository& payments, const std::string& id) {
  return Transition{.payment_id = id, .expected_version = read_payment(payments, id).version,
                    .to = PaymentStatus::otp_required};
}

Transition rate_limited(PaymentRepository& payments, const std::string& id) {
  return Transition{.payment_id = id,
                    .expected_version = read_payment(payments, id).version,
                    .to = PaymentStatus::failed,
                    .failure_code = std::string(kOtpRateLimited),
                    .failure_message = "too many codes",
                    .event = OutboxEvent{"evt_" + id, id, "payment-failed", R"({"status":"failed"})"}};
}

// Creates payment `id` and starts its challenge to `destination_hash` at `sent_at`.
CodeSendOutcome start_one(Store& store, OtpRepository& otps, const std::string& id,
                          const std::string& destination_hash, OtpTime sent_at, int max_codes) {
  create_payment(store.payments, id);
  auto started = otps.start(to_otp_required(store.payments, id), challenge_for(id, destination_hash, sent_at),
                            DestinationLimit{.max_codes = max_codes, .since = sent_at - 1h},
                            rate_limited(store.payments, id));
  REQUIRE_MESSAGE(started, (started ? "" : started.error().message));
  return started.value();
}

int sent_since(OtpRepository& otps, const std::string& destination_hash, OtpTime since) {
  auto n = otps.codes_sent_since(destination_hash, since);
  REQUIRE_MESSAGE(n, (n ? "" : n.error().message));
  return n.value();
}

}  // namespace

TEST_CASE("codes_sent_since counts one destination's codes across payments from a time on") {
  Store store;
  OtpRepository otps(store.db());
  CHECK(sent_since(otps, dest('a'), kNow - 1h) == 0);

  CHECK(start_one(store, otps, "pay_old", dest('a'), kNow - 2h, 10) == CodeSendOutcome::sent);
  CHECK(start_one(store, otps, "pay_one", dest('a'), kNow - 30min, 10) == CodeSendOutcome::sent);
  CHECK(start_one(store, otps, "pay_two", dest('a'), kNow, 10) == CodeSendOutcome::sent);
  CHECK(start_one(store, otps, "pay_other", dest('b'), kNow, 10) == CodeSendOutcome::sent);

  CHECK(sent_since(otps, dest('a'), kNow - 1h) == 2);
  CHECK(sent_since(otps, dest('a'), kNow - 30min) == 2);  // from `since` on, inclusive
  CHECK(sent_since(otps, dest('a'), kNow - 3h) == 3);
  CHECK(sent_since(otps, dest('a'), kNow + 1ms) == 0);
  CHECK(sent_since(otps, dest('b'), kNow - 1h) == 1);

  // The challenge keeps its destination hash, and a resend counts as one more code.
  auto found = otps.find("pay_two");
  REQUIRE(found);
  REQUIRE(found->has_value());
  CHECK(found.value()->destination_hash == dest('a'));
  StoredChallenge resent = *found.value();
  resent.challenge.seq = 2;
  resent.challenge.last_sent_at = kNow + 1min;
  resent.last_result = "resent";
  StoredChallenge refused = *found.value();
  refused.last_result = "rate_limited";
  auto sent = otps.send_code(resent, refused, found.value()->version, {.max_codes = 10, .since = kNow - 1h});
  REQUIRE(sent);
  CHECK(sent.value() == CodeSendOutcome::sent);
  CHECK(sent_since(otps, dest('a'), kNow - 1h) == 3);
}

TEST_CASE("at the limit the first code fails the payment with otp_rate_limited, in the same transaction") {
  Store store;
  OtpRepository otps(store.db());
  CHECK(start_one(store, otps, "pay_1", dest('a'), kNow, 2) == CodeSendOutcome::sent);
  CHECK(start_one(store, otps, "pay_2", dest('a'), kNow, 2) == CodeSendOutcome::sent);
  CHECK(start_one(store, otps, "pay_3", dest('a'), kNow, 2) == CodeSendOutcome::rate_limited);
  CHECK(start_one(store, otps, "pay_4", dest('b'), kNow, 2) == CodeSendOutcome::sent);

  CHECK(read_payment(store.payments, "pay_2").status == PaymentStatus::otp_required);
  const auto failed = read_payment(store.payments, "pay_3");
  CHECK(failed.status == PaymentStatus::failed);
  CHECK(failed.failure_code == "otp_rate_limited");
  auto events = store.payments.unpublished_events("pay_3");
  REQUIRE(events);
  REQUIRE(events->size() == 1);
  CHECK(events->front().topic == "payment-failed");
  // No challenge for a code that was never sent, and it was not counted.
  auto challenge = otps.find("pay_3");
  REQUIRE(challenge);
  CHECK_FALSE(challenge->has_value());
  CHECK(sent_since(otps, dest('a'), kNow - 1h) == 2);

  // A code older than the window no longer counts.
  create_payment(store.payments, "pay_5");
  auto later = otps.start(to_otp_required(store.payments, "pay_5"), challenge_for("pay_5", dest('a'), kNow + 61min),
                          {.max_codes = 2, .since = kNow + 1min}, rate_limited(store.payments, "pay_5"));
  REQUIRE(later);
  CHECK(later.value() == CodeSendOutcome::sent);

  // A payment that moved meanwhile is left alone.
  create_payment(store.payments, "pay_6");
  auto stale = to_otp_required(store.payments, "pay_6");
  auto stale_refusal = rate_limited(store.payments, "pay_6");
  move_payment(store.payments, "pay_6", PaymentStatus::canceled);
  auto raced = otps.start(stale, challenge_for("pay_6", dest('c'), kNow), {.max_codes = 2, .since = kNow - 1h},
                          stale_refusal);
  REQUIRE(raced);
  CHECK(raced.value() == CodeSendOutcome::raced);
  CHECK(sent_since(otps, dest('c'), kNow - 1h) == 0);
}

TEST_CASE("at the limit a resend stores the refusal, keeps the code and counts nothing") {
  Store store;
  OtpRepository otps(store.db());
  CHECK(start_one(store, otps, "pay_1", dest('a'), kNow, 2) == CodeSendOutcome::sent);
  CHECK(start_one(store, otps, "pay_2", dest('a'), kNow, 2) == CodeSendOutcome::sent);
  const StoredChallenge before = *otps.find("pay_1").value();

  StoredChallenge resent = before;
  resent.challenge.seq = 2;
  resent.challenge.code_hash = std::string(64, 'd');
  resent.challenge.last_sent_at = kNow + 1min;
  resent.last_result = "resent";
  StoredChallenge refused = before;
  refused.last_result = "rate_limited";
  auto outcome = otps.send_code(resent, refused, before.version, {.max_codes = 2, .since = kNow - 1h});
  REQUIRE_MESSAGE(outcome, (outcome ? "" : outcome.error().message));
  CHECK(outcome.value() == CodeSendOutcome::rate_limited);

  const StoredChallenge after = *otps.find("pay_1").value();
  CHECK(after.last_result == "rate_limited");
  CHECK(after.challenge == before.challenge);  // same code, same seq, same expiry
  CHECK(after.version == before.version + 1);
  CHECK(sent_since(otps, dest('a'), kNow - 1h) == 2);
  CHECK(read_payment(store.payments, "pay_1").status == PaymentStatus::otp_required);

  // An old version is a race: nothing written.
  auto raced = otps.send_code(resent, refused, before.version, {.max_codes = 10, .since = kNow - 1h});
  REQUIRE(raced);
  CHECK(raced.value() == CodeSendOutcome::raced);
  CHECK(otps.find("pay_1").value()->version == after.version);
  CHECK(sent_since(otps, dest('a'), kNow - 1h) == 2);
}

TEST_CASE("workers issuing codes to one destination at the same moment never pass the limit together") {
  Store store;
  constexpr int kWorkers = 8;
  constexpr int kLimit = 3;
  constexpr int kRounds = 5;
  // Each worker has a connection pool of its own, as separate processes would.
  std::vector<std::unique_ptr<Database>> pools;
  std::vector<std::unique_ptr<OtpRepository>> workers;
  for (int w = 0; w < kWorkers; ++w) {
    auto db = Database::connect(
        {.mysql = store.db().options().mysql, .pool_size = 1, .data_cipher = store.db().options().data_cipher});
    REQUIRE_MESSAGE(db, (db ? "" : db.error().message));
    pools.push_back(std::move(db).value());
    workers.push_back(std::make_unique<OtpRepository>(*pools.back()));
  }

  for (int round = 0; round < kRounds; ++round) {
    CAPTURE(round);
    const std::string destination = dest(static_cast<char>('a' + round));
    std::vector<Transition> waits;
    std::vector<Transition> refusals;
    std::vector<StoredChallenge> challenges;
    for (int w = 0; w < kWorkers; ++w) {
      const std::string id = "pay_r" + std::to_string(round) + "_w" + std::to_string(w);
      create_payment(store.payments, id);
      waits.push_back(to_otp_required(store.payments, id));
      refusals.push_back(rate_limited(store.payments, id));
      challenges.push_back(challenge_for(id, destination, kNow));
    }

    std::latch go(kWorkers);
    std::atomic<int> sent{0};
    std::atomic<int> limited{0};
    std::atomic<int> errors{0};
    std::vector<std::thread> threads;
    for (int w = 0; w < kWorkers; ++w) {
      threads.emplace_back([&, w] {
        go.arrive_and_wait();
        auto outcome = workers[static_cast<std::size_t>(w)]->start(
            waits[static_cast<std::size_t>(w)], challenges[static_cast<std::size_t>(w)],
            {.max_codes = kLimit, .since = kNow - 1h}, refusals[static_cast<std::size_t>(w)]);
        if (!outcome) {
          ++errors;
        } else if (outcome.value() == CodeSendOutcome::sent) {
          ++sent;
        } else if (outcome.value() == CodeSendOutcome::rate_limited) {
          ++limited;
        }
      });
    }
    for (auto& t : threads) t.join();

    CHECK(errors.load() == 0);
    CHECK(sent.load() == kLimit);
    CHECK(limited.load() == kWorkers - kLimit);
    CHECK(sent_since(*workers[0], destination, kNow - 1h) == kLimit);
  }
}
