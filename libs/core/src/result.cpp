#include "payments/core/result.hpp"

namespace payments {

std::string_view to_string(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::validation_error: return "validation_error";
    case ErrorCode::raw_card_data: return "raw_card_data";
    case ErrorCode::not_found: return "not_found";
    case ErrorCode::idempotency_conflict: return "idempotency_conflict";
    case ErrorCode::invalid_state: return "invalid_state";
    case ErrorCode::unavailable: return "unavailable";
    case ErrorCode::internal: return "internal_error";
    case ErrorCode::unauthenticated: return "unauthenticated";
    case ErrorCode::forbidden: return "forbidden";
    case ErrorCode::rate_limited: return "rate_limited";
  }
  return "internal_error";
}

bool is_retryable(ErrorCode code) noexcept { return code == ErrorCode::unavailable || code == ErrorCode::rate_limited; }

}  // namespace payments
