#pragma once
// refund.create: accept (reserve) the refund against its payment, refund at Stripe with a key derived from
// the refund, settle it with the event it owes. Every step is idempotent, as for payments.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>

#include <string>

#include "payments/core/result.hpp"
#include "payments/events/commands.hpp"
#include "payments/store/payment_store.hpp"
#include "payments/store/refund_store.hpp"
#include "outbox.hpp"
#include "stripe_refunds.hpp"

namespace payments::worker {

class RefundFlow {
 public:
  // environment: named in the refund's Stripe idempotency key.
  RefundFlow(store::PaymentStore& payments, store::RefundStore& refunds, boost::asio::thread_pool& blocking,
             std::string environment, Outbox& outbox, StripeRefunds& stripe_refunds);

  boost::asio::awaitable<Status> create_refund(const events::CommandEnvelope& command);

 private:
  store::PaymentStore& payments_;
  store::RefundStore& refunds_;
  boost::asio::thread_pool& blocking_;
  std::string environment_;
  Outbox& outbox_;
  StripeRefunds& stripe_refunds_;
};

}  // namespace payments::worker
