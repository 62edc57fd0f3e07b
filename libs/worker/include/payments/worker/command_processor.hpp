#pragma once
// Applies one command to its payment, idempotently: the same command twice, a crash at any point and a
// redelivery all end in the same state, with at most one Stripe charge (the idempotency key is derived from
// the payment and recorded before the call) and every owed event published (through the outbox).

#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>

#include <chrono>
#include <string>

#include "payments/core/charge_outcome.hpp"
#include "payments/core/clock.hpp"
#include "payments/core/metrics.hpp"
#include "payments/core/otp.hpp"
#include "payments/core/random.hpp"
#include "payments/core/stripe_keys.hpp"
#include "payments/core/stripe_gateway.hpp"
#include "payments/events/commands.hpp"
#include "payments/events/event_publisher.hpp"
#include "payments/events/kafka.hpp"
#include "payments/events/payment_events.hpp"
#include "payments/events/topics.hpp"
#include "payments/runtime/batcher.hpp"
#include "payments/store/otp_store.hpp"
#include "payments/store/payment_store.hpp"
#include "payments/store/refund_store.hpp"

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

// Everything outside the processor, as narrow interfaces: the MySQL repositories, the Kafka producer and the
// Stripe client in production, in-memory fakes in the unit tests (tests/unit/worker/fakes.hpp).
struct ProcessorDependencies {
  store::PaymentStore& payments;
  store::RefundStore& refunds;
  store::OtpStore& otps;
  const OtpHasher& otp_hasher;
  RandomSource& random;
  StripeGateway& stripe;
  events::EventPublisher& producer;
  // Where the blocking store calls run, off the coroutines' threads.
  boost::asio::thread_pool& blocking;
  MetricsRegistry& metrics;
  events::TopicNames topics;
  const Clock& clock = system_wall_clock();
};

class CommandProcessor {
 public:
  CommandProcessor(ProcessorDependencies dependencies, ProcessorOptions options);

  // Never throws. An error says why the command could not be finished (a dependency down, a row that cannot
  // be read, ...): the caller must not commit past it, and decides from the error's code whether to run it
  // again or give it up (failure_policy.hpp).
  boost::asio::awaitable<Status> process(events::CommandEnvelope command);

  // The end of a command the failure policy gave up on, after `rounds` failed rounds ending in `cause`:
  // it goes to payment-commands-dlq with the reason and the error code, and is not recorded as processed
  // (so that `payments-admin dlq replay` runs it afresh once the cause is fixed). A payment.create whose
  // payment Stripe was never asked about (none yet, or pending / otp_required) fails with
  // failure.code = internal_error and its payment-failed event; one Stripe may have been asked about
  // (processing, requires_action) stays for reconciliation: never guessed. An error only when the DLQ
  // could not be written (Kafka down): the caller retries the give-up.
  boost::asio::awaitable<Status> give_up(const events::CommandEnvelope& command, const Error& cause, int rounds);

  // Fails the payments whose one-time code expired with nobody verifying it. Returns how many.
  boost::asio::awaitable<int> expire_due_otps();

  // One round of reconciliation (see ReconcileOptions). Safe with several workers: a row is claimed by one of
  // them at a time, every Stripe call reuses the idempotency key recorded before the first, and every status
  // write is a compare-and-set. Returns how many payments and refunds it looked at.
  boost::asio::awaitable<int> reconcile_once();

  // Sends a command that cannot be understood to payment-commands-dlq, unchanged (but redacted), with the
  // reason, the error code and the replay count (`dlq-replayed` of `message`, when it was replayed) in headers.
  boost::asio::awaitable<Status> dead_letter(events::IncomingMessage message, std::string reason,
                                             ErrorCode code = ErrorCode::validation_error);

 private:
  struct Context;
  boost::asio::awaitable<Status> create_payment(const events::CommandEnvelope& command);
  // A command to be recorded as processed in the same transaction as the outcome it leads to, when there is
  // one; `recorded` tells whether that happened.
  struct Completion {
    store::ProcessedCommand command;
    bool recorded = false;
  };
  // Moves the payment as far as it can go now. `known`: the payment as just read, when the caller has it.
  boost::asio::awaitable<Status> drive(const std::string& payment_id, std::optional<store::PaymentRecord> known = {},
                                     Completion* completion = nullptr);
  // What one step on a payment came to.
  enum class Progress {
    moved,        // this step moved the payment (and published the event it owed)
    raced,        // another writer moved it first: read it again
    stuck,        // nothing more can be learnt now (Stripe's answer unknown): reconciliation takes it
  };
  // One Stripe call (the client retries it by Stripe's rules within STRIPE_RETRY_DEADLINE_SECONDS); an error
  // only when MySQL or Kafka failed.
  boost::asio::awaitable<Result<Progress>> charge(const store::PaymentRecord& payment,
                                                  Completion* completion = nullptr);
  // Writes a settled outcome over `payment` (as read) and publishes the event it owes.
  boost::asio::awaitable<Result<Progress>> record_outcome(const store::PaymentRecord& payment, const ChargeOutcome& outcome,
                                                  Completion* completion = nullptr);
  // A status write over `from` (as read), group-committed with other commands' writes. False: another writer
  // moved the payment first; an error: MySQL failed.
  boost::asio::awaitable<Result<bool>> write_transition(const store::PaymentRecord& from, store::Transition transition,
                                                        Completion* completion = nullptr);
  // Moves the payment to where `intent` (as Stripe reports it) says, if that is a move forward.
  boost::asio::awaitable<Status> apply_intent(const std::string& payment_id, const PaymentIntent& intent);
  boost::asio::awaitable<StripeResult<PaymentIntent>> retrieve_intent(std::string payment_intent_id);
  // Asks Stripe where a reserved refund with a Stripe id stands and settles it accordingly. A refund Stripe
  // does not answer about is left as it is (reconciliation asks again); false only when MySQL failed.
  boost::asio::awaitable<Status> refresh_refund(const store::RefundRecord& refund);
  boost::asio::awaitable<Status> reject(const events::CommandEnvelope& command, const Error& error);
  boost::asio::awaitable<Status> create_refund(const events::CommandEnvelope& command);
  boost::asio::awaitable<Status> refund_at_stripe(const store::PaymentRecord& payment,
                                                  const store::RefundRecord& refund);
  // Settles `refund` as `stripe_refund` says, when that Refund is really this one (refund_mismatch in
  // core/stripe_trust.hpp; `payment_intent` is the payment's, consulted while no Stripe id is recorded).
  boost::asio::awaitable<Status> apply_refund_progress(const store::RefundRecord& refund, const Refund& stripe_refund,
                                                     std::string_view payment_intent);
  // Counts and logs (ids only) a Stripe object refused by core/stripe_trust.hpp.
  void note_mismatch(std::string_view reason, std::string_view payment_id, std::string_view stripe_id);
  struct RefundSettlement {
    RefundStatus outcome;
    std::string stripe_refund_id;
    std::string failure_code;
    std::string failure_message;
  };
  boost::asio::awaitable<Status> settle_refund(const store::RefundRecord& refund, const RefundSettlement& settlement);
  // stripe_event_flow.cpp
  boost::asio::awaitable<Status> apply_stripe_event(const events::CommandEnvelope& command);
  boost::asio::awaitable<Status> apply_refund_event(const std::string& payment_id, const StripeEvent& event);
  boost::asio::awaitable<Status> check_pending_refunds(const std::string& payment_id);
  boost::asio::awaitable<Status> record_dispute(const std::string& payment_id, const Dispute& dispute);
  // reconcile_flow.cpp
  boost::asio::awaitable<Status> reconcile_processing(const store::PaymentRecord& payment);
  boost::asio::awaitable<Status> expire_requires_action(const store::PaymentRecord& payment);
  boost::asio::awaitable<Status> republish(const std::string& payment_id, const std::string& merchant_id,
                                         events::CommandType type, std::string data_json);
  boost::asio::awaitable<Status> reconcile_refund(const store::RefundRecord& refund);
  boost::asio::awaitable<Status> start_otp(const store::PaymentRecord& payment, const OtpDelivery& delivery);
  boost::asio::awaitable<Status> deliver_otp(const store::PaymentRecord& payment);
  // A payment waiting for its code, with its challenge; or why a command about codes has nothing to do.
  struct WaitingChallenge {
    enum class Kind { unavailable, ignored, waiting };
    Kind kind = Kind::unavailable;
    Error error;         // for unavailable
    std::string reason;  // for ignored
    store::PaymentRecord payment;
    store::StoredChallenge stored;
  };
  boost::asio::awaitable<WaitingChallenge> load_waiting(const std::string& payment_id, const std::string& merchant_id);
  boost::asio::awaitable<Status> send_otp(const events::CommandEnvelope& command);
  boost::asio::awaitable<Status> verify_otp_code(const events::CommandEnvelope& command);
  boost::asio::awaitable<Status> publish_code(const store::PaymentRecord& payment, const OtpChallenge& challenge,
                                            const std::string& channel, const std::string& destination,
                                            const std::string& code);
  boost::asio::awaitable<Status> dead_letter_command(const events::CommandEnvelope& command, std::string reason);
  // The Kafka record a command was read from (or its serialized form), with its replay count, for the DLQ.
  [[nodiscard]] events::IncomingMessage original_of(const events::CommandEnvelope& command) const;
  // give_up's part for a payment.create: fail the payment if Stripe was never asked about it.
  boost::asio::awaitable<void> fail_unasked(const events::CommandEnvelope& command);
  // A payment-failed event for `command` without a payment row behind it; `step` makes its event id.
  [[nodiscard]] events::OutgoingMessage failed_event(const events::CommandEnvelope& command, std::string_view step,
                                                     events::Failure failure, bool echo_request) const;
  boost::asio::awaitable<Status> flush_outbox(const std::string& payment_id);
  // Publishes one outbox event and marks it published.
  boost::asio::awaitable<Status> publish_owed(const store::OutboxEvent& event);
  boost::asio::awaitable<Status> publish(events::OutgoingMessage message);
  // Records the command as processed (unless `recorded` says that happened already) and counts it.
  boost::asio::awaitable<Status> finish(const events::CommandEnvelope& command, std::string outcome,
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
