#pragma once
// A reserved refund at Stripe: asked for (with the idempotency key derived from the refund), asked about,
// and settled as Stripe's answer says, with the event it owes. Used by refund.create, by Stripe events and by
// reconciliation.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>

#include <string>
#include <string_view>

#include "payments/core/metrics.hpp"
#include "payments/core/result.hpp"
#include "payments/core/stripe_gateway.hpp"
#include "payments/events/topics.hpp"
#include "payments/store/payment_store.hpp"
#include "payments/store/refund_store.hpp"

namespace payments::worker {

class StripeRefunds {
 public:
  StripeRefunds(store::RefundStore& refunds, StripeGateway& stripe, MetricsRegistry& metrics,
                boost::asio::thread_pool& blocking, events::TopicNames topics);

  // Asks Stripe to refund `refund` of `payment`. A refusal fails the refund; an answer that never came
  // leaves it pending for reconciliation. An error only when MySQL failed.
  boost::asio::awaitable<Status> refund_at_stripe(const store::PaymentRecord& payment,
                                                  const store::RefundRecord& refund);
  // Asks Stripe where a reserved refund with a Stripe id stands and settles it accordingly. A refund Stripe
  // does not answer about is left as it is (reconciliation asks again); an error only when MySQL failed.
  boost::asio::awaitable<Status> refresh_refund(const store::RefundRecord& refund);
  // Settles `refund` as `stripe_refund` says, when that Refund is really this one (refund_mismatch in
  // core/stripe_trust.hpp; `payment_intent` is the payment's, consulted while no Stripe id is recorded).
  boost::asio::awaitable<Status> apply_refund_progress(const store::RefundRecord& refund, const Refund& stripe_refund,
                                                       std::string_view payment_intent);

 private:
  struct RefundSettlement {
    RefundStatus outcome;
    std::string stripe_refund_id;
    std::string failure_code;
    std::string failure_message;
  };
  boost::asio::awaitable<Status> settle_refund(const store::RefundRecord& refund, const RefundSettlement& settlement);

  store::RefundStore& refunds_;
  StripeGateway& stripe_;
  MetricsRegistry& metrics_;
  boost::asio::thread_pool& blocking_;
  events::TopicNames topics_;
};

}  // namespace payments::worker
