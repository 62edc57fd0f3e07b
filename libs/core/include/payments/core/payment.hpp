#pragma once
// A payment's lifecycle: its statuses and which moves between them are allowed. Every write of a status
// goes through can_transition, so an old or repeated command can never move a payment backwards.

#include <optional>
#include <string_view>

namespace payments {

enum class PaymentStatus {
  pending,             // accepted, not yet charged
  otp_required,        // waiting for a verified one-time code before any charge
  processing,          // the charge is under way at Stripe (or its outcome is not known yet)
  requires_action,     // the customer must authenticate (3-D Secure)
  succeeded,
  failed,
  canceled,
  partially_refunded,
  refunded,
};

std::string_view to_string(PaymentStatus status) noexcept;
std::optional<PaymentStatus> parse_payment_status(std::string_view text) noexcept;

// No further charge attempt will happen (refund statuses follow a succeeded payment).
bool is_final(PaymentStatus status) noexcept;

// The allowed moves:
//   pending         -> otp_required, processing, failed, canceled
//   otp_required    -> processing, failed, canceled
//   processing      -> requires_action, succeeded, failed, canceled
//   requires_action -> processing, succeeded, failed, canceled
//   succeeded       -> partially_refunded, refunded
//   partially_refunded -> partially_refunded (another partial), refunded, succeeded (a refund failed later)
//   refunded        -> partially_refunded, succeeded (a refund failed later)
// Everything else, including staying in place (except partial after partial), is refused.
bool can_transition(PaymentStatus from, PaymentStatus to) noexcept;

// Whether the charge's outcome is still open (processing, requires_action): the only statuses a
// PaymentIntent reported by Stripe may move. Once refunds have begun, the intent (still "succeeded" at
// Stripe) must not move a partially refunded or refunded payment back to succeeded: only refunds do that.
bool awaits_charge_outcome(PaymentStatus status) noexcept;

}  // namespace payments
