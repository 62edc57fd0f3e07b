#pragma once
// stripe.event: a Stripe event the API verified on its webhook endpoint, read off the stripe-events topic and
// applied to the payment or refund it concerns. Stripe delivers events at least once and in any order, so an
// event is applied only as a move forward (a late payment_intent.payment_failed after succeeded changes
// nothing), and its command id, derived from the event id, makes a repeated delivery a no-op.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>

#include <string>

#include "payments/core/metrics.hpp"
#include "payments/core/result.hpp"
#include "payments/core/stripe_gateway.hpp"
#include "payments/events/commands.hpp"
#include "payments/store/payment_store.hpp"
#include "payments/store/refund_store.hpp"
#include "outbox.hpp"
#include "payment_driver.hpp"
#include "stripe_refunds.hpp"

namespace payments::worker {

class StripeEventFlow {
 public:
  StripeEventFlow(store::PaymentStore& payments, store::RefundStore& refunds, MetricsRegistry& metrics,
                  boost::asio::thread_pool& blocking, Outbox& outbox, PaymentDriver& driver,
                  StripeRefunds& stripe_refunds);

  boost::asio::awaitable<Status> apply_stripe_event(const events::CommandEnvelope& command);

 private:
  boost::asio::awaitable<Status> apply_refund_event(const std::string& payment_id, const StripeEvent& event);
  // A Charge carries only totals: the refunds it counts are settled by asking Stripe about each pending one.
  boost::asio::awaitable<Status> check_pending_refunds(const std::string& payment_id);
  boost::asio::awaitable<Status> record_dispute(const std::string& payment_id, const Dispute& dispute);

  store::PaymentStore& payments_;
  store::RefundStore& refunds_;
  MetricsRegistry& metrics_;
  boost::asio::thread_pool& blocking_;
  Outbox& outbox_;
  PaymentDriver& driver_;
  StripeRefunds& stripe_refunds_;
};

}  // namespace payments::worker
