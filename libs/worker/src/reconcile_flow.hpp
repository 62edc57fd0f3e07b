#pragma once
// Reconciliation: payments and refunds whose outcome nobody will report, resolved by asking Stripe with the
// ids and idempotency keys recorded before each call, instead of being left where they are or guessed.
//   processing      the charge's answer never came (timeout, crash, Stripe down past the retry deadline)
//   requires_action the customer never came back from 3-D Secure: canceled once it is too old
//   pending         the API recorded the payment but its command never reached Kafka: published again
//   refund pending  as processing; or, never reserved, its command never reached Kafka: published again

#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>

#include <string>

#include "payments/core/clock.hpp"
#include "payments/core/metrics.hpp"
#include "payments/core/random.hpp"
#include "payments/core/result.hpp"
#include "payments/core/stripe_gateway.hpp"
#include "payments/events/commands.hpp"
#include "payments/store/payment_store.hpp"
#include "payments/store/refund_store.hpp"
#include "payments/worker/reconcile_options.hpp"
#include "outbox.hpp"
#include "payment_driver.hpp"
#include "stripe_refunds.hpp"

namespace payments::worker {

class Reconciliation {
 public:
  Reconciliation(store::PaymentStore& payments, store::RefundStore& refunds, StripeGateway& stripe,
                 RandomSource& random, const Clock& clock, MetricsRegistry& metrics, ReconcileOptions options,
                 boost::asio::thread_pool& blocking, Outbox& outbox, PaymentDriver& driver,
                 StripeRefunds& stripe_refunds);

  // See CommandProcessor::reconcile_once.
  boost::asio::awaitable<int> reconcile_once();

 private:
  boost::asio::awaitable<Status> reconcile_processing(const store::PaymentRecord& payment);
  boost::asio::awaitable<Status> expire_requires_action(const store::PaymentRecord& payment);
  boost::asio::awaitable<Status> republish(const std::string& payment_id, const std::string& merchant_id,
                                           events::CommandType type, std::string data_json);
  boost::asio::awaitable<Status> reconcile_refund(const store::RefundRecord& refund);
  boost::asio::awaitable<StripeResult<PaymentIntent>> retrieve_intent(std::string payment_intent_id);

  store::PaymentStore& payments_;
  store::RefundStore& refunds_;
  StripeGateway& stripe_;
  RandomSource& random_;
  const Clock& clock_;
  MetricsRegistry& metrics_;
  ReconcileOptions options_;
  boost::asio::thread_pool& blocking_;
  Outbox& outbox_;
  PaymentDriver& driver_;
  StripeRefunds& stripe_refunds_;
};

}  // namespace payments::worker
