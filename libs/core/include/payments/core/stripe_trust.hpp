#pragma once
// Whether a PaymentIntent Stripe reports (in a webhook event, a retrieval or a search) is really this
// payment's: the one place that decides what may move a payment from outside the worker's own call. A
// forged event (signed by another integration on the same account) or a foreign intent that names our
// payment in its metadata must change nothing.

#include <optional>
#include <string>
#include <string_view>

#include "payments/core/money.hpp"
#include "payments/core/stripe_gateway.hpp"

namespace payments {

// What the payment says about itself.
struct PaymentFacts {
  std::string_view payment_id;
  std::string_view merchant_id;
  std::string_view intent_id;  // the recorded PaymentIntent; empty when none is recorded yet
  Money amount;
};

// Merchants whose payments predate merchant metadata on Stripe (KAFKA_DEFAULT_MERCHANT's rows migrated from
// before merchants existed) are matched on the payment id alone.
inline constexpr std::string_view kLegacyMerchant = "default";

// Why `intent` cannot speak for `payment`: "intent" (another PaymentIntent than the recorded one), "metadata"
// (none recorded, and its metadata does not name this payment and merchant), "amount", "currency",
// "livemode" (test data against a live key or the reverse); nullopt when it may.
std::optional<std::string_view> intent_mismatch(const PaymentFacts& payment, const PaymentIntent& intent,
                                                bool live_key);

// What a refund says about itself.
struct RefundFacts {
  std::string_view stripe_refund_id;  // the recorded Stripe Refund; empty when none is recorded yet
  std::string_view payment_intent;    // the payment's recorded PaymentIntent
  Money amount;
};

// Why `stripe_refund` cannot speak for `refund`: "refund_id" (another Refund than the recorded one),
// "refund_intent" (none recorded, and it refunds another PaymentIntent than the payment's), "refund_amount" (not
// the amount this refund asked for), "refund_currency"; nullopt when it may.
std::optional<std::string_view> refund_mismatch(const RefundFacts& refund, const Refund& stripe_refund);

// Whether a Stripe secret key is a live one (sk_live_, rk_live_).
bool is_live_key(std::string_view secret_key) noexcept;

}  // namespace payments
