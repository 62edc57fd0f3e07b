#pragma once
// The Stripe idempotency keys, derived from our ids so that every retry, redelivery and restart of the same
// operation sends the same key and Stripe performs it at most once. Each key names the environment (the
// topic prefix, when one is set) and the merchant, so two environments or two merchants sharing one Stripe
// account can never send each other's keys.
//
// A key is recorded with its payment or refund before the first call and read back from there afterwards,
// so payments made before a change of this format keep the key they were first sent with.

#include <string>
#include <string_view>

namespace payments {

// Whose operations the keys are for.
struct StripeKeyOwner {
  std::string_view environment;  // KAFKA_TOPIC_PREFIX; may be empty
  std::string_view merchant_id;
};

inline std::string stripe_key_prefix(const StripeKeyOwner& owner) {
  std::string prefix = "payments:";
  prefix += owner.environment;
  prefix += owner.merchant_id;
  prefix += '/';
  return prefix;
}

inline std::string charge_idempotency_key(const StripeKeyOwner& owner, std::string_view payment_id) {
  return stripe_key_prefix(owner) + std::string(payment_id) + ":charge";
}

inline std::string cancel_idempotency_key(const StripeKeyOwner& owner, std::string_view payment_id) {
  return stripe_key_prefix(owner) + std::string(payment_id) + ":cancel";
}

inline std::string refund_idempotency_key(const StripeKeyOwner& owner, std::string_view payment_id,
                                          std::string_view refund_id) {
  return stripe_key_prefix(owner) + std::string(payment_id) + ":refund:" + std::string(refund_id);
}

}  // namespace payments
