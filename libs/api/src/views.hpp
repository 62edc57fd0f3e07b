#pragma once
// JSON views of stored payments, as the REST API shows them.

#include <string>

#include <vector>

#include "payments/store/payment_repository.hpp"
#include "payments/store/otp_repository.hpp"
#include "payments/store/refund_repository.hpp"

namespace payments::api {

std::string status_url(const std::string& payment_id);
// POST /api/v1/payments answer: {"payment_id", "status", "status_url"}.
std::string accepted_view(const std::string& payment_id);
// GET /api/v1/payments/{id}/status, with the one-time-code challenge when there is one.
std::string status_view(const store::PaymentRecord& payment, const std::optional<store::StoredChallenge>& otp);
// GET /api/v1/payments/{id}, with its refunds.
std::string payment_view(const store::PaymentRecord& payment, const std::vector<store::RefundRecord>& refunds);
// GET /api/v1/refunds/{id}.
std::string refund_view(const store::RefundRecord& refund);
// GET /api/v1/payments/{id}/refunds: {"payment_id", "data": [...]}.
std::string refund_list_view(const std::string& payment_id, const std::vector<store::RefundRecord>& refunds);
// POST .../refunds answer: {"refund_id", "status": "pending"}.
std::string refund_accepted_view(const std::string& refund_id);

}  // namespace payments::api
