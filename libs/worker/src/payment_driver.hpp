#pragma once
// Moves one payment along its states: the recovery point before Stripe, the charge (at most one, by the
// idempotency key recorded before the call), the outcome's write (a compare-and-set, group-committed) with
// the event it owes, and the moves Stripe reports on its own (webhooks, reconciliation). Used by the
// payment.create command, by one-time-code verification, by Stripe events and by reconciliation.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>

#include <optional>
#include <string>

#include "payments/core/charge_outcome.hpp"
#include "payments/core/metrics.hpp"
#include "payments/core/result.hpp"
#include "payments/core/stripe_gateway.hpp"
#include "payments/core/stripe_keys.hpp"
#include "payments/runtime/batcher.hpp"
#include "payments/store/payment_store.hpp"
#include "otp_issuer.hpp"
#include "outbox.hpp"

namespace payments::worker {

class PaymentDriver {
 public:
  // environment: named in Stripe idempotency keys and metadata; stripe_live: whether the Stripe key is live.
  PaymentDriver(store::PaymentStore& payments, StripeGateway& stripe, MetricsRegistry& metrics,
                boost::asio::thread_pool& blocking, Outbox& outbox, OtpIssuer& otp, std::string environment,
                bool stripe_live);

  // A command to be recorded as processed in the same transaction as the outcome it leads to, when there is
  // one; `recorded` tells whether that happened.
  struct Completion {
    store::ProcessedCommand command;
    bool recorded = false;
  };
  // What one step on a payment came to.
  enum class Progress {
    moved,  // this step moved the payment (and published the event it owed)
    raced,  // another writer moved it first: read it again
    stuck,  // nothing more can be learnt now (Stripe's answer unknown): reconciliation takes it
  };

  // Moves the payment as far as it can go now. `known`: the payment as just read, when the caller has it.
  boost::asio::awaitable<Status> drive(const std::string& payment_id, std::optional<store::PaymentRecord> known = {},
                                       Completion* completion = nullptr);
  // One Stripe call (the client retries it by Stripe's rules within STRIPE_RETRY_DEADLINE_SECONDS); an error
  // only when MySQL or Kafka failed.
  boost::asio::awaitable<Result<Progress>> charge(const store::PaymentRecord& payment,
                                                  Completion* completion = nullptr);
  // Moves the payment to where `intent` (as Stripe reports it) says, if that is a move forward.
  boost::asio::awaitable<Status> apply_intent(const std::string& payment_id, const PaymentIntent& intent);
  // A status write over `from` (as read), group-committed with other commands' writes. False: another writer
  // moved the payment first; an error: MySQL failed.
  boost::asio::awaitable<Result<bool>> write_transition(const store::PaymentRecord& from, store::Transition transition,
                                                        Completion* completion = nullptr);

  // Whose Stripe keys a merchant's operations use (see stripe_keys.hpp).
  [[nodiscard]] StripeKeyOwner key_owner(const std::string& merchant_id) const { return {environment_, merchant_id}; }

 private:
  // Writes a settled outcome over `payment` (as read) and publishes the event it owes.
  boost::asio::awaitable<Result<Progress>> record_outcome(const store::PaymentRecord& payment,
                                                          const ChargeOutcome& outcome,
                                                          Completion* completion = nullptr);

  store::PaymentStore& payments_;
  StripeGateway& stripe_;
  MetricsRegistry& metrics_;
  boost::asio::thread_pool& blocking_;
  Outbox& outbox_;
  OtpIssuer& otp_;
  std::string environment_;
  bool stripe_live_;
  // Status writes with their events and commands, one commit for a batch (see runtime::Batcher).
  runtime::Batcher<store::TransitionWrite, Result<bool>> transitions_;
};

}  // namespace payments::worker
