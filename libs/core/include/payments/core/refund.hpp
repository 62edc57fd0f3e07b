#pragma once
// Refunds: their statuses, the request rules, and the ledger rule that the refunds of a payment never add up
// to more than was paid.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "payments/core/money.hpp"
#include "payments/core/payment.hpp"
#include "payments/core/result.hpp"

namespace payments {

enum class RefundStatus { pending, succeeded, failed };

std::string_view to_string(RefundStatus status) noexcept;
std::optional<RefundStatus> parse_refund_status(std::string_view text) noexcept;

struct RefundCommandData {
  std::string refund_id;
  std::optional<std::int64_t> amount;  // none: everything not yet refunded or reserved
  std::optional<std::string> reason;   // duplicate, fraudulent, requested_by_customer (Stripe's reasons)
};

// Field rules: refund_id an external id, amount a positive integer of at most eight digits, reason one of
// Stripe's three.
Status validate(const RefundCommandData& request);

// Why a refund cannot be accepted against its payment; empty when it can.
struct RefundDecision {
  Money amount;              // what will be refunded, in the payment's currency; zero when refused
  std::string failure_code;  // payment_not_refundable, amount_exceeds_refundable, nothing_to_refund
  std::string failure_message;
  [[nodiscard]] bool accepted() const { return failure_code.empty(); }
};

// `reserved` is the sum of the payment's refunds already accepted that are pending or succeeded, in `paid`'s
// currency; `requested` is what the caller asked for, in minor units of that currency (none: all that is left).
RefundDecision decide_refund(PaymentStatus payment_status, const Money& paid, const Money& reserved,
                             std::optional<std::int64_t> requested);

// The payment's status once `refunded_total` of `paid` has been refunded successfully.
PaymentStatus status_after_refunds(const Money& paid, const Money& refunded_total) noexcept;

}  // namespace payments
