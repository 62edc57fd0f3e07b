#pragma once
// JSON views of stored payments, as the REST API shows them.

#include <string>

#include "payments/store/payment_repository.hpp"

namespace payments::api {

std::string status_url(const std::string& payment_id);
// POST /api/v1/payments answer: {"payment_id", "status", "status_url"}.
std::string accepted_view(const std::string& payment_id);
// GET /api/v1/payments/{id}/status.
std::string status_view(const store::PaymentRecord& payment);
// GET /api/v1/payments/{id}.
std::string payment_view(const store::PaymentRecord& payment);

}  // namespace payments::api
