#include "payments/core/refund.hpp"

#include "payments/core/ids.hpp"
#include "payments/core/money.hpp"

namespace payments {

std::string_view to_string(RefundStatus status) noexcept {
  switch (status) {
    case RefundStatus::pending: return "pending";
    case RefundStatus::succeeded: return "succeeded";
    case RefundStatus::failed: return "failed";
  }
  return "pending";
}

std::optional<RefundStatus> parse_refund_status(std::string_view text) noexcept {
  if (text == "pending") return RefundStatus::pending;
  if (text == "succeeded") return RefundStatus::succeeded;
  if (text == "failed") return RefundStatus::failed;
  return std::nullopt;
}

Status validate(const RefundCommandData& request) {
  if (!is_valid_external_id(request.refund_id)) {
    return Error::validation("refund_id", "must be 1 to 64 characters of letters, digits, '_' or '-'");
  }
  if (request.amount && (*request.amount <= 0 || *request.amount > kMaxAmountMinor)) {
    return Error::validation("amount", "must be a positive integer of minor units, at most 99999999");
  }
  if (request.reason && *request.reason != "duplicate" && *request.reason != "fraudulent" &&
      *request.reason != "requested_by_customer") {
    return Error::validation("reason", "must be one of duplicate, fraudulent, requested_by_customer");
  }
  return Ok{};
}

RefundDecision decide_refund(PaymentStatus payment_status, const Money& paid, const Money& reserved,
                             std::optional<std::int64_t> requested) {
  RefundDecision d{.amount = Money::zero(paid.currency())};
  if (payment_status != PaymentStatus::succeeded && payment_status != PaymentStatus::partially_refunded &&
      payment_status != PaymentStatus::refunded) {
    d.failure_code = "payment_not_refundable";
    d.failure_message = "only a succeeded payment can be refunded; this one is " + std::string(to_string(payment_status));
    return d;
  }
  // Nothing left, or reservations the payment's amount cannot hold (more than it, or in another currency: a
  // broken ledger), leave nothing to refund.
  const auto available = paid.minus(reserved);
  if (!available || available->minor() == 0) {
    d.failure_code = "nothing_to_refund";
    d.failure_message = "the whole payment has already been refunded or is being refunded";
    return d;
  }
  const std::int64_t asked = requested.value_or(available->minor());
  if (asked > available->minor()) {
    d.failure_code = "amount_exceeds_refundable";
    d.failure_message = "refund of " + std::to_string(asked) + " exceeds the " + std::to_string(available->minor()) +
                        " still refundable";
    return d;
  }
  // Within what is available, so a valid amount in the payment's currency (validate() refused non-positive ones).
  d.amount = Money::amount(asked, paid.currency()).value();
  return d;
}

PaymentStatus status_after_refunds(const Money& paid, const Money& refunded_total) noexcept {
  if (refunded_total.minor() <= 0) return PaymentStatus::succeeded;
  return refunded_total >= paid ? PaymentStatus::refunded : PaymentStatus::partially_refunded;
}

}  // namespace payments
