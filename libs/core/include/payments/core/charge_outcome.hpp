#pragma once
// What a Stripe answer to "create and confirm this PaymentIntent" means for the payment: the one place
// Stripe outcomes become payment statuses.

#include <optional>
#include <string>

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

}  // namespace payments
