#include "payments/core/stripe_gateway.hpp"

namespace payments {

std::string_view to_string(StripeFailureKind kind) noexcept {
  switch (kind) {
    case StripeFailureKind::declined: return "declined";
    case StripeFailureKind::invalid_request: return "invalid_request";
    case StripeFailureKind::not_found: return "not_found";
    case StripeFailureKind::idempotency_conflict: return "idempotency_conflict";
    case StripeFailureKind::authentication: return "authentication";
    case StripeFailureKind::rate_limited: return "rate_limited";
    case StripeFailureKind::transient: return "transient";
    case StripeFailureKind::unknown_outcome: return "unknown_outcome";
  }
  return "unknown_outcome";
}

StripeFailureKind classify_stripe_error(int http_status, std::string_view type, std::string_view code) noexcept {
  if (http_status == 0) return StripeFailureKind::transient;
  // A concurrent request with the same key is still running: the lock clears, so it is worth retrying.
  if (code == "idempotency_key_in_use" || code == "lock_timeout") return StripeFailureKind::transient;
  if (type == "idempotency_error") return StripeFailureKind::idempotency_conflict;
  if (http_status == 429) return StripeFailureKind::rate_limited;
  if (http_status >= 500 || http_status == 409 || http_status == 424) return StripeFailureKind::transient;
  if (type == "card_error") return StripeFailureKind::declined;
  if (http_status == 401 || http_status == 403) return StripeFailureKind::authentication;
  if (http_status == 404) return StripeFailureKind::not_found;
  if (type == "api_error") return StripeFailureKind::transient;
  return StripeFailureKind::invalid_request;
}

bool is_retryable(StripeFailureKind kind) noexcept {
  return kind == StripeFailureKind::rate_limited || kind == StripeFailureKind::transient ||
         kind == StripeFailureKind::unknown_outcome;
}

void classify(StripeError& error) noexcept {
  error.kind = classify_stripe_error(error.http_status, error.type, error.code);
  error.retryable = is_retryable(error.kind);
}

IntentProgress classify_payment_intent(const PaymentIntent& intent) noexcept {
  const std::string_view s = intent.status;
  if (s == "succeeded") return IntentProgress::succeeded;
  if (s == "requires_capture") return IntentProgress::requires_capture;
  if (s == "processing") return IntentProgress::processing;
  if (s == "requires_action") return IntentProgress::requires_action;
  if (s == "canceled") return IntentProgress::canceled;
  if (s == "requires_payment_method") {
    return intent.last_payment_error ? IntentProgress::failed : IntentProgress::incomplete;
  }
  if (s == "requires_confirmation") return IntentProgress::incomplete;
  return IntentProgress::unknown;
}

std::string_view to_string(IntentProgress progress) noexcept {
  switch (progress) {
    case IntentProgress::succeeded: return "succeeded";
    case IntentProgress::requires_capture: return "requires_capture";
    case IntentProgress::processing: return "processing";
    case IntentProgress::requires_action: return "requires_action";
    case IntentProgress::failed: return "failed";
    case IntentProgress::incomplete: return "incomplete";
    case IntentProgress::canceled: return "canceled";
    case IntentProgress::unknown: return "unknown";
  }
  return "unknown";
}

StripeEventUse stripe_event_use(std::string_view type) noexcept {
  static constexpr std::pair<std::string_view, StripeEventUse> kUses[] = {
      {"payment_intent.succeeded", StripeEventUse::intent_update},
      {"payment_intent.payment_failed", StripeEventUse::intent_update},
      {"payment_intent.canceled", StripeEventUse::intent_update},
      {"payment_intent.requires_action", StripeEventUse::intent_update},
      {"refund.created", StripeEventUse::refund_update},
      {"refund.updated", StripeEventUse::refund_update},
      {"charge.refund.updated", StripeEventUse::refund_update},
      {"refund.failed", StripeEventUse::refund_update},
      {"charge.refunded", StripeEventUse::charge_refunded},
      {"charge.dispute.created", StripeEventUse::dispute_created},
  };
  for (const auto& [name, use] : kUses) {
    if (name == type) return use;
  }
  return StripeEventUse::unused;
}

RefundProgress classify_refund(const Refund& refund) noexcept {
  if (refund.status == "succeeded") return RefundProgress::succeeded;
  if (refund.status == "failed" || refund.status == "canceled") return RefundProgress::failed;
  return RefundProgress::pending;
}

}  // namespace payments
