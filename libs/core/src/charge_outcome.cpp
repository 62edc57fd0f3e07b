#include "payments/core/charge_outcome.hpp"

namespace payments {
namespace {

ChargeOutcome settled(PaymentStatus status, const PaymentIntent& intent) {
  ChargeOutcome out;
  out.kind = ChargeOutcome::Kind::settled;
  out.status = status;
  out.payment_intent_id = intent.id;
  return out;
}

ChargeOutcome failed(std::string intent_id, std::string code, std::string decline_code, std::string message) {
  ChargeOutcome out;
  out.kind = ChargeOutcome::Kind::settled;
  out.status = PaymentStatus::failed;
  out.payment_intent_id = std::move(intent_id);
  out.failure_code = code.empty() ? "card_declined" : std::move(code);
  out.failure_decline_code = std::move(decline_code);
  out.failure_message = std::move(message);
  return out;
}

// Why it was canceled, from Stripe's cancellation_reason: the same details whoever reports the cancellation.
ChargeOutcome canceled(const PaymentIntent& intent) {
  ChargeOutcome out = settled(PaymentStatus::canceled, intent);
  if (intent.cancellation_reason == "abandoned") {
    out.failure_code = "authentication_abandoned";
    out.failure_message = "the customer did not complete authentication (3-D Secure) in time; nothing was charged";
  } else {
    out.failure_code = "payment_canceled";
    out.failure_message = "the payment was canceled at Stripe" +
                          (intent.cancellation_reason.empty() ? std::string()
                                                              : " (" + intent.cancellation_reason.substr(0, 64) + ")") +
                          "; nothing was charged";
  }
  return out;
}

ChargeOutcome later(ChargeOutcome::Kind kind, std::string reason, std::string intent_id = {}) {
  ChargeOutcome out;
  out.kind = kind;
  out.reason = std::move(reason);
  out.payment_intent_id = std::move(intent_id);
  return out;
}

}  // namespace

ChargeOutcome charge_outcome(const StripeResult<PaymentIntent>& result) {
  if (result) {
    const PaymentIntent& intent = result.value();
    switch (classify_payment_intent(intent)) {
      case IntentProgress::succeeded: return settled(PaymentStatus::succeeded, intent);
      case IntentProgress::requires_action: {
        auto out = settled(PaymentStatus::requires_action, intent);
        out.redirect_url = intent.redirect_url.value_or("");
        return out;
      }
      case IntentProgress::failed: {
        const auto& e = intent.last_payment_error;
        return failed(intent.id, e ? e->code : "", e ? e->decline_code : "",
                      e ? e->message : "the payment method was declined");
      }
      case IntentProgress::canceled: return canceled(intent);
      case IntentProgress::requires_capture:
      case IntentProgress::processing:
        return later(ChargeOutcome::Kind::unresolved, "Stripe is still processing the payment", intent.id);
      case IntentProgress::incomplete:
      case IntentProgress::unknown:
        return later(ChargeOutcome::Kind::unresolved, "unexpected PaymentIntent status " + intent.status, intent.id);
    }
  }
  const StripeError& e = result.error();
  const std::string intent_id = e.payment_intent ? e.payment_intent->id : "";
  switch (e.kind) {
    case StripeFailureKind::declined: return failed(intent_id, e.code, e.decline_code, e.message);
    case StripeFailureKind::invalid_request:
    case StripeFailureKind::not_found:
      // Our request was refused as such (e.g. an unknown payment method): retrying cannot change that.
      return failed(intent_id, e.code.empty() ? "invalid_request" : e.code, "", e.message);
    case StripeFailureKind::idempotency_conflict:
    case StripeFailureKind::authentication:
      return later(ChargeOutcome::Kind::unresolved, "Stripe refused the call (" + std::string(to_string(e.kind)) +
                                                        "): " + e.message);
    case StripeFailureKind::rate_limited:
    case StripeFailureKind::transient:
    case StripeFailureKind::unknown_outcome:
      return later(ChargeOutcome::Kind::retry, std::string(to_string(e.kind)) + ": " + e.message);
  }
  return later(ChargeOutcome::Kind::retry, "unclassified Stripe failure");
}

}  // namespace payments
