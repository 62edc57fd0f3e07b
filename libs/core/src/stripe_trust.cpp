#include "payments/core/stripe_trust.hpp"

#include <algorithm>
#include <cctype>

namespace payments {
namespace {

bool same_currency(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace

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
  if (intent.amount != payment.amount) return "amount";
  if (!same_currency(intent.currency, payment.currency)) return "currency";
  if (intent.livemode != live_key) return "livemode";
  return std::nullopt;
}

std::optional<std::string_view> refund_mismatch(const RefundFacts& refund, const Refund& stripe_refund) {
  if (!refund.stripe_refund_id.empty()) {
    if (stripe_refund.id != refund.stripe_refund_id) return "refund_id";
  } else if (refund.payment_intent.empty() || stripe_refund.payment_intent != refund.payment_intent) {
    return "refund_intent";
  }
  if (stripe_refund.amount != refund.amount) return "refund_amount";
  if (!same_currency(stripe_refund.currency, refund.currency)) return "refund_currency";
  return std::nullopt;
}

bool is_live_key(std::string_view secret_key) noexcept {
  return secret_key.rfind("sk_live_", 0) == 0 || secret_key.rfind("rk_live_", 0) == 0;
}

}  // namespace payments
