#pragma once
// What a Stripe answer to "create and confirm this PaymentIntent" means for the payment: the one place
// Stripe outcomes become payment statuses.

#include <array>
#include <optional>
#include <string>
#include <string_view>

#include "payments/core/payment.hpp"
#include "payments/core/stripe_gateway.hpp"

namespace payments {

struct ChargeOutcome {
  enum class Kind {
    settled,      // move the payment to `status` (succeeded, failed, requires_action, canceled)
    retry,        // a transient failure: call again later with the same idempotency key
    unresolved,   // nothing more this attempt can learn (Stripe still processing, an operator must act):
                  // the payment stays `processing` for reconciliation
  };
  Kind kind = Kind::retry;
  PaymentStatus status = PaymentStatus::processing;
  std::string payment_intent_id;
  std::string failure_code;
  std::string failure_decline_code;
  std::string failure_message;
  std::string redirect_url;
  std::string reason;  // for logs: why retry or unresolved
};

ChargeOutcome charge_outcome(const StripeResult<PaymentIntent>& result);

// The failure codes of a card the issuer or Stripe refused: what a card tester collects. A credential whose
// payments end in too many of these gets no more payments for a while (API_DECLINE_LIMIT).
inline constexpr std::array<std::string_view, 9> kCardDeclineCodes = {
    "card_declined",        "incorrect_cvc",       "invalid_cvc",     "expired_card",  "incorrect_number",
    "invalid_number",       "invalid_expiry_month", "invalid_expiry_year", "incorrect_zip"};

}  // namespace payments
