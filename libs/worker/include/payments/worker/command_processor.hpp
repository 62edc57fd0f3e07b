#pragma once
// Applies one command to its payment, idempotently: the same command twice, a crash at any point and a
// redelivery all end in the same state, with at most one Stripe charge (the idempotency key is derived from
// the payment and recorded before the call) and every owed event published (through the outbox).

#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>

#include <chrono>
#include <string>

#include "payments/core/charge_outcome.hpp"
#include "payments/core/metrics.hpp"
#include "payments/core/otp.hpp"
#include "payments/core/random.hpp"
#include "payments/core/stripe_keys.hpp"
#include "payments/core/stripe_gateway.hpp"
#include "payments/events/commands.hpp"
#include "payments/events/kafka.hpp"
#include "payments/events/topics.hpp"
#include "payments/runtime/batcher.hpp"
#include "payments/store/payment_repository.hpp"
#include "payments/store/otp_repository.hpp"
#include "payments/store/refund_repository.hpp"

namespace payments::worker {

// Reconciliation: how the worker finds payments and refunds whose outcome is not known or that nobody will
// move on, and asks Stripe. Every round looks at no more than `batch` of each kind, so its Stripe calls are
// bounded; a row looked at is not looked at again before `first_retry` (doubling up to `max_retry`).
struct ReconcileOptions {
  // Payments `pending` or `processing`, and refunds `pending`, unchanged this long are stuck.
  std::chrono::seconds unsettled_after{300};
  // A `requires_action` payment unchanged this long is abandoned: canceled at Stripe and reported canceled.
  std::chrono::seconds requires_action_timeout{3600};
  int batch = 20;
  std::chrono::seconds first_retry{30};
  std::chrono::seconds max_retry{3600};
};

struct ProcessorOptions {
  // How long a payment keeps retrying Stripe after transient failures before it is left `processing` for
  // reconciliation.
  std::chrono::milliseconds retry_deadline{60'000};
  std::chrono::milliseconds retry_initial_delay{500};
  std::chrono::milliseconds retry_max_delay{10'000};
  OtpPolicy otp_policy;
  ReconcileOptions reconcile;
  // Whose a command without a merchant_id is (KAFKA_DEFAULT_MERCHANT).
  std::string default_merchant = "default";
  // Named in every Stripe idempotency key and in Stripe metadata (KAFKA_TOPIC_PREFIX), so environments that
  // share a Stripe account never collide.
  std::string environment;
  // Whether STRIPE_SECRET_KEY is a live key: a PaymentIntent reported from the other mode changes nothing.
  bool stripe_live = false;
};

struct ProcessorDependencies {
  store::PaymentRepository& payments;
  store::RefundRepository& refunds;
  store::OtpRepository& otps;
  const OtpHasher& otp_hasher;
  RandomSource& random;
  StripeGateway& stripe;
  events::Producer& producer;
  boost::asio::thread_pool& blocking;
  MetricsRegistry& metrics;
  events::TopicNames topics;
};

class CommandProcessor {
 public:
  CommandProcessor(ProcessorDependencies dependencies, ProcessorOptions options);

  // Never throws. Returns false when the command could not be finished because a dependency (MySQL, Kafka)
  // is unavailable: the caller must not commit past it and should retry it.
  boost::asio::awaitable<bool> process(events::CommandEnvelope command);

  // Fails the payments whose one-time code expired with nobody verifying it. Returns how many.
  boost::asio::awaitable<int> expire_due_otps();

  // One round of reconciliation (see ReconcileOptions). Safe with several workers: a row is claimed by one of
  // them at a time, every Stripe call reuses the idempotency key recorded before the first, and every status
  // write is a compare-and-set. Returns how many payments and refunds it looked at.
  boost::asio::awaitable<int> reconcile_once();

  // Sends a command that cannot be understood to payment-commands-dlq, unchanged, with the reason in headers.
  boost::asio::awaitable<bool> dead_letter(events::IncomingMessage message, std::string reason);

 private:
  struct Context;
  boost::asio::awaitable<bool> create_payment(const events::CommandEnvelope& command);
  // A command to be recorded as processed in the same transaction as the outcome it leads to, when there is
  // one; `recorded` tells whether that happened.
  struct Completion {
    store::ProcessedCommand command;
    bool recorded = false;
  };
  // Moves the payment as far as it can go now. `known`: the payment as just read, when the caller has it.
  boost::asio::awaitable<bool> drive(const std::string& payment_id, std::optional<store::PaymentRecord> known = {},
                                     Completion* completion = nullptr);
  // What one step on a payment came to.
  enum class Progress {
    unavailable,  // MySQL or Kafka failed: the command must be retried
    moved,        // this step moved the payment (and published the event it owed)
    raced,        // another writer moved it first: read it again
    stuck,        // nothing more can be learnt now (Stripe's answer unknown): reconciliation takes it
  };
  // `retry`: keep retrying transient failures until the retry deadline; else one attempt (reconciliation).
  boost::asio::awaitable<Progress> charge(const store::PaymentRecord& payment, bool retry = true,
                                          Completion* completion = nullptr);
  // Writes a settled outcome over `payment` (as read) and publishes the event it owes.
  boost::asio::awaitable<Progress> record_outcome(const store::PaymentRecord& payment, const ChargeOutcome& outcome,
                                                  Completion* completion = nullptr);
  // A status write over `from` (as read), group-committed with other commands' writes. False: another writer
  // moved the payment first; an error: MySQL failed.
  boost::asio::awaitable<Result<bool>> write_transition(const store::PaymentRecord& from, store::Transition transition,
                                                        Completion* completion = nullptr);
  // Moves the payment to where `intent` (as Stripe reports it) says, if that is a move forward.
  boost::asio::awaitable<bool> apply_intent(const std::string& payment_id, const PaymentIntent& intent);
  boost::asio::awaitable<StripeResult<PaymentIntent>> retrieve_intent(std::string payment_intent_id);
  // Asks Stripe where a reserved refund with a Stripe id stands and settles it accordingly. A refund Stripe
  // does not answer about is left as it is (reconciliation asks again); false only when MySQL failed.
  boost::asio::awaitable<bool> refresh_refund(const store::RefundRecord& refund);
  boost::asio::awaitable<bool> reject(const events::CommandEnvelope& command, const Error& error);
  boost::asio::awaitable<bool> create_refund(const events::CommandEnvelope& command);
  boost::asio::awaitable<bool> refund_at_stripe(const store::PaymentRecord& payment, const store::RefundRecord& refund,
                                                bool retry = true);
  // Settles `refund` as `stripe_refund` says, when that Refund is really this one (refund_mismatch in
  // core/stripe_trust.hpp; `payment_intent` is the payment's, consulted while no Stripe id is recorded).
  boost::asio::awaitable<bool> apply_refund_progress(const store::RefundRecord& refund, const Refund& stripe_refund,
                                                     std::string_view payment_intent);
  // Counts and logs (ids only) a Stripe object refused by core/stripe_trust.hpp.
  void note_mismatch(std::string_view reason, std::string_view payment_id, std::string_view stripe_id);
  struct RefundSettlement {
    RefundStatus outcome;
    std::string stripe_refund_id;
    std::string failure_code;
    std::string failure_message;
  };
  boost::asio::awaitable<bool> settle_refund(const store::RefundRecord& refund, const RefundSettlement& settlement);
  // stripe_event_flow.cpp
  boost::asio::awaitable<bool> apply_stripe_event(const events::CommandEnvelope& command);
  boost::asio::awaitable<bool> apply_refund_event(const std::string& payment_id, const StripeEvent& event);
  boost::asio::awaitable<bool> check_pending_refunds(const std::string& payment_id);
  boost::asio::awaitable<bool> record_dispute(const std::string& payment_id, const Dispute& dispute);
  // reconcile_flow.cpp
  boost::asio::awaitable<bool> reconcile_processing(const store::PaymentRecord& payment);
  boost::asio::awaitable<bool> expire_requires_action(const store::PaymentRecord& payment);
  boost::asio::awaitable<bool> republish(const std::string& payment_id, const std::string& merchant_id,
                                         events::CommandType type, std::string data_json);
  boost::asio::awaitable<bool> reconcile_refund(const store::RefundRecord& refund);
  boost::asio::awaitable<bool> start_otp(const store::PaymentRecord& payment, const OtpDelivery& delivery);
  boost::asio::awaitable<bool> deliver_otp(const store::PaymentRecord& payment);
  // A payment waiting for its code, with its challenge; or why a command about codes has nothing to do.
  struct WaitingChallenge {
    enum class Kind { unavailable, ignored, waiting };
    Kind kind = Kind::unavailable;
    std::string reason;  // for ignored
    store::PaymentRecord payment;
    store::StoredChallenge stored;
  };
  boost::asio::awaitable<WaitingChallenge> load_waiting(const std::string& payment_id, const std::string& merchant_id);
  boost::asio::awaitable<bool> send_otp(const events::CommandEnvelope& command);
  boost::asio::awaitable<bool> verify_otp_code(const events::CommandEnvelope& command);
  boost::asio::awaitable<bool> publish_code(const store::PaymentRecord& payment, const OtpChallenge& challenge,
                                            const std::string& channel, const std::string& destination,
                                            const std::string& code);
  boost::asio::awaitable<bool> dead_letter_command(const events::CommandEnvelope& command, std::string reason);
  boost::asio::awaitable<bool> flush_outbox(const std::string& payment_id);
  // Publishes one outbox event and marks it published.
  boost::asio::awaitable<bool> publish_owed(const store::OutboxEvent& event);
  boost::asio::awaitable<Status> publish(events::OutgoingMessage message);
  // Records the command as processed (unless `recorded` says that happened already) and counts it.
  boost::asio::awaitable<bool> finish(const events::CommandEnvelope& command, std::string outcome,
                                      bool recorded = false);
  void count(const events::CommandEnvelope& command, const std::string& outcome);
  // Whose Stripe keys a merchant's operations use (see stripe_keys.hpp).
  [[nodiscard]] StripeKeyOwner key_owner(const std::string& merchant_id) const {
    return {options_.environment, merchant_id};
  }
  [[nodiscard]] const std::string& merchant_of(const events::CommandEnvelope& command) const {
    return command.merchant_or(options_.default_merchant);
  }

  ProcessorDependencies deps_;
  ProcessorOptions options_;
  // The hot path's database work, batched across commands (see runtime::Batcher): a new command's first
  // read, new payments' rows, status writes with their events and commands (one commit for a batch), and
  // events marked published.
  runtime::Batcher<std::pair<std::string, std::string>, Result<store::CommandLookup>> lookups_;
  runtime::Batcher<store::NewPayment, Result<store::CreateResult>> creates_;
  runtime::Batcher<store::TransitionWrite, Result<bool>> transitions_;
  runtime::Batcher<std::string, Status> published_;
};

}  // namespace payments::worker
