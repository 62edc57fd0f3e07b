#include "owed_events.hpp"

#include "payments/events/commands.hpp"
#include "payments/events/payment_events.hpp"

namespace payments::worker {

std::optional<store::OutboxEvent> payment_event(const events::TopicNames& topics, const store::PaymentRecord& p,
                                                PaymentStatus status, const std::string& payment_intent_id,
                                                const FailureDetails& failure) {
  events::PaymentEvent e;
  switch (status) {
    case PaymentStatus::succeeded: e.type = events::event_type::kSucceeded; break;
    case PaymentStatus::failed:
    case PaymentStatus::canceled: e.type = events::event_type::kFailed; break;
    default: return std::nullopt;
  }
  e.event_id = events::event_id_for(p.id, to_string(status));
  e.merchant_id = p.merchant_id;
  e.payment_id = p.id;
  e.order_id = p.order_id;
  e.amount = p.amount;
  e.status = std::string(to_string(status));
  e.stripe_payment_intent_id = payment_intent_id.empty() ? p.stripe_payment_intent_id : payment_intent_id;
  e.occurred_at = rfc3339_now();
  if (status != PaymentStatus::succeeded) {
    e.failure = events::Failure{failure.code.empty() ? "canceled" : failure.code, failure.decline_code,
                                failure.message};
  }
  return store::OutboxEvent{e.event_id, p.id, topics.for_event(e.type), events::serialize(e)};
}

namespace {

// What a settled refund's event says of the refund itself; the payment's fields are left to the caller.
events::PaymentEvent settled_refund(const std::string& payment_id, const store::RefundRecord& r) {
  events::PaymentEvent e;
  const bool succeeded = r.status == RefundStatus::succeeded;
  e.type = succeeded ? events::event_type::kRefunded : events::event_type::kRefundFailed;
  e.event_id = events::event_id_for(payment_id, "refund/" + r.id + "/" + std::string(to_string(r.status)));
  e.merchant_id = r.merchant_id;  // who asked for the refund, whom a refusal is for
  e.payment_id = payment_id;
  e.occurred_at = rfc3339_now();
  e.refund_id = r.id;
  // A reserved refund's own amount; else what was asked for, as asked (none: the whole rest, which was nothing).
  if (r.reserved && r.amount) {
    e.refund_amount = *r.amount;
  } else {
    e.refund_amount = events::EchoedAmount{r.requested_amount.value_or(0), {}};
  }
  if (!succeeded) e.failure = events::Failure{r.failure_code, "", r.failure_message};
  return e;
}

store::OutboxEvent for_outbox(const events::TopicNames& topics, const events::PaymentEvent& e) {
  return store::OutboxEvent{e.event_id, e.payment_id, topics.for_event(e.type), events::serialize(e)};
}

}  // namespace

std::optional<store::OutboxEvent> refund_event(const events::TopicNames& topics, const store::PaymentRecord& p,
                                               const store::RefundRecord& r) {
  if (r.status == RefundStatus::pending) return std::nullopt;
  events::PaymentEvent e = settled_refund(p.id, r);
  e.order_id = p.order_id;
  e.amount = p.amount;
  e.status = std::string(to_string(p.status));
  e.stripe_payment_intent_id = p.stripe_payment_intent_id;
  e.amount_refunded = p.amount_refunded;
  return for_outbox(topics, e);
}

store::OutboxEvent unknown_payment_refund_event(const events::TopicNames& topics, const std::string& payment_id,
                                                const store::RefundRecord& r) {
  events::PaymentEvent e = settled_refund(payment_id, r);
  e.status = std::string(to_string(PaymentStatus::failed));
  e.amount_refunded = events::EchoedAmount{};  // nothing: there is no payment
  return for_outbox(topics, e);
}

}  // namespace payments::worker
