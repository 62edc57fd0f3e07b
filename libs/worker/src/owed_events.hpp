#pragma once
// The events a payment or refund owes when it reaches a status, built for the outbox.

#include <optional>
#include <string>

#include "payments/events/topics.hpp"
#include "payments/store/payment_repository.hpp"
#include "payments/store/refund_repository.hpp"

namespace payments::worker {

struct FailureDetails {
  std::string code;
  std::string decline_code;
  std::string message;
};

// payment.succeeded for succeeded, payment.failed for failed and canceled, nothing for other statuses.
std::optional<store::OutboxEvent> payment_event(const events::TopicNames& topics, const store::PaymentRecord& payment,
                                                PaymentStatus status, const std::string& payment_intent_id,
                                                const FailureDetails& failure);

// payment.refunded for a succeeded refund, payment.refund_failed for a failed one, nothing while pending.
std::optional<store::OutboxEvent> refund_event(const events::TopicNames& topics, const store::PaymentRecord& payment,
                                               const store::RefundRecord& refund);

// payment.refund_failed for a refund refused because its payment was not found (refund.failure_code
// payment_not_found): there is no payment to describe, so its fields are empty and its status failed.
store::OutboxEvent unknown_payment_refund_event(const events::TopicNames& topics, const std::string& payment_id,
                                                const store::RefundRecord& refund);

}  // namespace payments::worker
