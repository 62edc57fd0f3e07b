#pragma once
// Applies one command to its payment, idempotently: the same command twice, a crash at any point and a
// redelivery all end in the same state, with at most one Stripe charge (the idempotency key is derived from
// the payment and recorded before the call) and every owed event published (through the outbox).
// A façade: each command type, the OTP sweeper and reconciliation are handed to their own flow
// (libs/worker/src: create_flow, refund_flow, otp_flow, stripe_event_flow, reconcile_flow), which share the
// payment driver, the Stripe refunds and the outbox.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>

#include <memory>
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
#include "payments/store/otp_store.hpp"
#include "payments/store/payment_store.hpp"
#include "payments/store/refund_store.hpp"
#include "payments/worker/reconcile_options.hpp"

namespace payments::worker {

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
  ~CommandProcessor();
  CommandProcessor(const CommandProcessor&) = delete;
  CommandProcessor& operator=(const CommandProcessor&) = delete;

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
  // One unit per flow, over only the interfaces it needs (libs/worker/src/*_flow.hpp and what they share).
  struct Flows;
  std::unique_ptr<Flows> flows_;
};

}  // namespace payments::worker
