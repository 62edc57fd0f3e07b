#include "payments/core/stripe_trust.hpp"

namespace payments {

std::optional<std::string_view> intent_mismatch(const PaymentFacts& payment, const PaymentIntent& intent,
                                                bool live_key) {
  if (!payment.intent_id.empty()) {
    if (intent.id != payment.intent_id) return "intent";
  } else {
    const bool names_payment = intent.metadata_payment_id == payment.payment_id;
    const bool names_merchant = intent.metadata_merchant_id == payment.merchant_id ||
                                (intent.metadata_merchant_id.empty() && payment.merchant_id == kLegacyMerchant);
    if (!names_payment || !names_merchant) return "metadata";
  }
  // Currencies compare as parsed (Currency::from_code folds case), so "USD" and "usd" are one currency.
  if (intent.amount.minor() != payment.amount.minor()) return "amount";
  if (!(intent.amount.currency() == payment.amount.currency())) return "currency";
  if (intent.livemode != live_key) return "livemode";
  return std::nullopt;
}

std::optional<std::string_view> refund_mismatch(const RefundFacts& refund, const Refund& stripe_refund) {
  if (!refund.stripe_refund_id.empty()) {
    if (stripe_refund.id != refund.stripe_refund_id) return "refund_id";
  } else if (refund.payment_intent.empty() || stripe_refund.payment_intent != refund.payment_intent) {
    return "refund_intent";
  }
  if (stripe_refund.amount.minor() != refund.amount.minor()) return "refund_amount";
  if (!(stripe_refund.amount.currency() == refund.amount.currency())) return "refund_currency";
  return std::nullopt;
}

bool is_live_key(std::string_view secret_key) noexcept {
  return secret_key.rfind("sk_live_", 0) == 0 || secret_key.rfind("rk_live_", 0) == 0;
}

}  // namespace payments
