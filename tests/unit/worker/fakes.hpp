#pragma once
// In-memory stand-ins for everything outside the CommandProcessor (the interfaces of ProcessorDependencies), so
// that every flow's outcomes can be unit-tested without MySQL, Kafka or Stripe:
//  - FakeStores: payments, refunds and one-time-code challenges in one state, with the repositories' rules
//    (every payment write a compare-and-set on the version read and allowed by can_transition, its event in
//    the outbox and its command recorded in the same step; refunds reserved and settled by the ledger rules);
//  - FakePublisher: records what was sent, per topic; can be told that Kafka is down;
//  - FakeStripe: answers each call as scripted (succeed, decline, 3-D Secure, transient error, unknown
//    outcome, throw), and counts the calls.
// Any store call can be told to fail with an Error or to throw (Faults).

#include <atomic>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "payments/core/clock.hpp"
#include "payments/core/random.hpp"
#include "payments/core/stripe_gateway.hpp"
#include "payments/events/event_publisher.hpp"
#include "payments/store/otp_store.hpp"
#include "payments/store/payment_store.hpp"
#include "payments/store/refund_store.hpp"

namespace payments::worker::testing {

// What store calls fail, by operation name ("payments.find", "refunds.reserve", "otps.start", ... or "*" for
// every call). Thread-safe: store calls run on the pool.
class Faults {
 public:
  // The next `times` calls of `operation` (-1: every one) end in `error`.
  void fail(std::string operation, Error error, int times = -1);
  // The next `times` calls of `operation` throw a std::runtime_error.
  void throw_on(std::string operation, int times = -1);
  void clear();
  // Called by each fake store call: the error it must end in, if any; throws when told to.
  std::optional<Error> check(std::string_view operation);

 private:
  struct Fault {
    std::optional<Error> error;  // none: throw
    int times = -1;
  };
  std::mutex mutex_;
  std::map<std::string, Fault, std::less<>> faults_;
};

struct OutboxRow {
  store::OutboxEvent event;
  bool published = false;
};

// The state the three fake stores share, as one database would. Read it in tests under no concurrent
// processing (after the io_context has run).
struct StoreState {
  std::mutex mutex;
  Faults faults;
  std::map<std::string, store::PaymentRecord> payments;
  std::map<std::string, store::ProcessedCommand> processed;
  std::vector<OutboxRow> outbox;
  std::map<std::string, store::RefundRecord> refunds;
  std::map<std::string, store::StoredChallenge> challenges;
  std::vector<std::pair<std::string, OtpTime>> destination_sends;  // (destination hash, when)

  [[nodiscard]] std::optional<store::PaymentRecord> payment(const std::string& id);
  [[nodiscard]] std::vector<store::OutboxEvent> unpublished(const std::string& payment_id);
};

class FakePaymentStore final : public store::PaymentStore {
 public:
  explicit FakePaymentStore(StoreState& state) : s_(state) {}

  Result<std::optional<store::PaymentRecord>> find(const std::string& payment_id) override;
  Result<std::vector<store::CommandLookup>> lookup_all(
      const std::vector<std::pair<std::string, std::string>>& commands) override;
  std::vector<Result<store::CreateResult>> create_all(const std::vector<store::NewPayment>& payments) override;
  std::vector<Result<bool>> apply_all(const std::vector<store::TransitionWrite>& writes) override;
  Result<bool> record_dispute(const std::string& payment_id, const store::PaymentDispute& dispute) override;
  Result<std::vector<store::PaymentRecord>> claim_for_check(PaymentStatus status, std::chrono::seconds min_age,
                                                            int limit, std::chrono::seconds first_retry,
                                                            std::chrono::seconds max_retry) override;
  Result<bool> is_processed(const std::string& command_id) override;
  Status record_processed(const store::ProcessedCommand& command) override;
  Result<std::vector<store::OutboxEvent>> unpublished_events(const std::string& payment_id) override;
  Result<std::vector<store::OutboxEvent>> stale_unpublished_events(std::chrono::seconds min_age, int limit) override;
  Status mark_published(const std::string& event_id) override;
  Status mark_published(const std::vector<std::string>& event_ids) override;

 private:
  StoreState& s_;
};

class FakeRefundStore final : public store::RefundStore {
 public:
  explicit FakeRefundStore(StoreState& state) : s_(state) {}

  Result<std::optional<store::RefundRecord>> find(const std::string& refund_id) override;
  Result<std::optional<store::RefundRecord>> find_by_stripe_id(const std::string& stripe_refund_id) override;
  Result<std::vector<store::RefundRecord>> for_payment(const std::string& payment_id) override;
  Result<Reservation> reserve(const store::RefundRecord& proposed, const store::RefundEventFactory& on_rejected) override;
  Status note_stripe_refund(const std::string& refund_id, const std::string& stripe_refund_id) override;
  Result<bool> settle(const std::string& refund_id, RefundStatus outcome, const std::string& stripe_refund_id,
                      const std::string& failure_code, const std::string& failure_message,
                      const store::RefundEventFactory& event) override;
  Result<std::vector<store::RefundRecord>> claim_for_check(std::chrono::seconds min_age, int limit,
                                                           std::chrono::seconds first_retry,
                                                           std::chrono::seconds max_retry) override;

 private:
  StoreState& s_;
};

class FakeOtpStore final : public store::OtpStore {
 public:
  explicit FakeOtpStore(StoreState& state) : s_(state) {}

  Result<std::optional<store::StoredChallenge>> find(const std::string& payment_id) override;
  Result<store::CodeSendOutcome> start(const store::Transition& transition, const store::StoredChallenge& challenge,
                                       const store::DestinationLimit& limit, const store::Transition& refusal) override;
  Result<bool> update(const store::StoredChallenge& challenge, int expected_version,
                      const std::optional<store::Transition>& payment_transition) override;
  Result<store::CodeSendOutcome> send_code(const store::StoredChallenge& sent, const store::StoredChallenge& refused,
                                           int expected_version, const store::DestinationLimit& limit) override;
  Status mark_delivered(const std::string& payment_id, std::uint32_t seq) override;
  Result<std::vector<store::StoredChallenge>> due(OtpTime now, int limit) override;

 private:
  StoreState& s_;
};

// All three over one state.
struct FakeStores {
  StoreState state;
  FakePaymentStore payments{state};
  FakeRefundStore refunds{state};
  FakeOtpStore otps{state};
};

// Records every message, per topic; delivers (or refuses, while `down`) on another thread's turn, as Kafka does.
class FakePublisher final : public events::EventPublisher {
 public:
  explicit FakePublisher(boost::asio::io_context& io) : io_(io) {}

  void produce(events::OutgoingMessage message, DeliveryCallback on_delivery) override;

  // While set, every message is refused with ErrorCode::unavailable and not recorded.
  std::atomic<bool> down{false};

  [[nodiscard]] std::vector<events::OutgoingMessage> on(const std::string& topic);
  [[nodiscard]] std::size_t count(const std::string& topic) { return on(topic).size(); }

 private:
  boost::asio::io_context& io_;
  std::mutex mutex_;
  std::vector<events::OutgoingMessage> sent_;
};

// Answers Stripe calls from a script, one answer per call, in order; with nothing scripted, a PaymentIntent
// succeeds and a refund succeeds. Answers come on a later turn of `io`, never inline (as the interface asks).
class FakeStripe final : public StripeGateway {
 public:
  enum class Answer { succeed, decline, requires_action, transient_error, unknown_outcome, throw_now };

  explicit FakeStripe(boost::asio::io_context& io) : io_(io) {}

  void script(Answer answer) { std::lock_guard lock(mutex_); script_.push_back(answer); }

  void create_payment_intent(PaymentIntentRequest request, StripeCallback<PaymentIntent> done) override;
  void retrieve_payment_intent(std::string id, StripeCallback<PaymentIntent> done) override;
  void cancel_payment_intent(std::string id, std::string reason, std::string idempotency_key,
                             StripeCallback<PaymentIntent> done) override;
  void search_payment_intents_by_metadata(std::string key, std::string value,
                                          StripeCallback<std::vector<PaymentIntent>> done) override;
  void create_refund(RefundRequest request, StripeCallback<Refund> done) override;
  void retrieve_refund(std::string id, StripeCallback<Refund> done) override;

  // The currency of the refunds it reports (Stripe's lower case); the tests' payments are in EUR.
  std::string refund_currency = "eur";
  std::atomic<int> intents_created{0};
  std::atomic<int> refunds_created{0};
  // The requests as sent, for their idempotency keys and amounts.
  std::vector<PaymentIntentRequest> intent_requests;
  std::vector<RefundRequest> refund_requests;

 private:
  Answer next();
  boost::asio::io_context& io_;
  std::mutex mutex_;
  std::deque<Answer> script_;
};

// A clock that stands still until moved.
class FixedClock final : public Clock {
 public:
  [[nodiscard]] std::chrono::system_clock::time_point now() const override { return now_; }
  void advance(std::chrono::system_clock::duration by) { now_ += by; }

 private:
  std::chrono::system_clock::time_point now_ = std::chrono::system_clock::now();
};

// Deterministic bytes (a counter), so codes and ids repeat from run to run.
class CountingRandom final : public RandomSource {
 public:
  void fill(std::span<std::uint8_t> out) override {
    for (auto& b : out) b = static_cast<std::uint8_t>(next_++);
  }

 private:
  std::uint32_t next_ = 7;
};

}  // namespace payments::worker::testing
