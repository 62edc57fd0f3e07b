#include "payments/core/payment.hpp"

#include <array>
#include <utility>

namespace payments {
namespace {

constexpr std::array<std::pair<PaymentStatus, std::string_view>, 9> kNames{{
    {PaymentStatus::pending, "pending"},
    {PaymentStatus::otp_required, "otp_required"},
    {PaymentStatus::processing, "processing"},
    {PaymentStatus::requires_action, "requires_action"},
    {PaymentStatus::succeeded, "succeeded"},
    {PaymentStatus::failed, "failed"},
    {PaymentStatus::canceled, "canceled"},
    {PaymentStatus::partially_refunded, "partially_refunded"},
    {PaymentStatus::refunded, "refunded"},
}};

}  // namespace

std::string_view to_string(PaymentStatus status) noexcept {
  for (const auto& [value, name] : kNames) {
    if (value == status) return name;
  }
  return "unknown";
}

std::optional<PaymentStatus> parse_payment_status(std::string_view text) noexcept {
  for (const auto& [value, name] : kNames) {
    if (name == text) return value;
  }
  return std::nullopt;
}

bool is_final(PaymentStatus status) noexcept {
  switch (status) {
    case PaymentStatus::succeeded:
    case PaymentStatus::failed:
    case PaymentStatus::canceled:
    case PaymentStatus::partially_refunded:
    case PaymentStatus::refunded: return true;
    default: return false;
  }
}

bool awaits_charge_outcome(PaymentStatus status) noexcept {
  return status == PaymentStatus::processing || status == PaymentStatus::requires_action;
}

bool can_transition(PaymentStatus from, PaymentStatus to) noexcept {
  using S = PaymentStatus;
  switch (from) {
    case S::pending: return to == S::otp_required || to == S::processing || to == S::failed || to == S::canceled;
    case S::otp_required: return to == S::processing || to == S::failed || to == S::canceled;
    case S::processing:
      return to == S::requires_action || to == S::succeeded || to == S::failed || to == S::canceled;
    case S::requires_action:
      return to == S::processing || to == S::succeeded || to == S::failed || to == S::canceled;
    case S::succeeded: return to == S::partially_refunded || to == S::refunded;
    case S::partially_refunded: return to == S::partially_refunded || to == S::refunded || to == S::succeeded;
    case S::refunded: return to == S::partially_refunded || to == S::succeeded;
    case S::failed:
    case S::canceled: return false;
  }
  return false;
}

}  // namespace payments
