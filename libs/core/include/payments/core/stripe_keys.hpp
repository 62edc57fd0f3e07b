#pragma once
// The Stripe idempotency keys, derived from our ids so that every retry, redelivery and restart of the same
// operation sends the same key and Stripe performs it at most once.

#include <string>

namespace payments {

inline std::string charge_idempotency_key(const std::string& payment_id) {
  return "payments:" + payment_id + ":charge";
}

inline std::string cancel_idempotency_key(const std::string& payment_id) {
  return "payments:" + payment_id + ":cancel";
}

inline std::string refund_idempotency_key(const std::string& payment_id, const std::string& refund_id) {
  return "payments:" + payment_id + ":refund:" + refund_id;
}

}  // namespace payments
