#include "payments/worker/failure_policy.hpp"

namespace payments::worker {

FailureClass classify(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::unavailable:
    case ErrorCode::rate_limited: return FailureClass::transient;
    case ErrorCode::internal: return FailureClass::suspect;
    case ErrorCode::validation_error:
    case ErrorCode::raw_card_data:
    case ErrorCode::not_found:
    case ErrorCode::idempotency_conflict:
    case ErrorCode::invalid_state:
    case ErrorCode::unauthenticated:
    case ErrorCode::forbidden: return FailureClass::permanent;
  }
  return FailureClass::suspect;  // a code added without a decision here is retried, boundedly
}

std::string_view to_string(FailureClass kind) noexcept {
  switch (kind) {
    case FailureClass::transient: return "transient";
    case FailureClass::suspect: return "suspect";
    case FailureClass::permanent: return "permanent";
  }
  return "suspect";
}

CommandRetries::Decision CommandRetries::after(const Error& error) {
  ++failed_rounds_;
  const bool same = failed_rounds_ > 1 && error.code == last_code_ && error.message == last_message_;
  same_error_rounds_ = same ? same_error_rounds_ + 1 : 1;
  last_code_ = error.code;
  last_message_ = error.message;

  const FailureClass kind = classify(error.code);
  if (kind == FailureClass::permanent) return {true, {}};
  if (kind == FailureClass::suspect && same_error_rounds_ >= policy_.max_same_error_rounds) return {true, {}};
  const BackoffPolicy& backoff = kind == FailureClass::transient ? policy_.transient : policy_.suspect;
  const double jitter = std::uniform_real_distribution<double>(0.0, 1.0)(jitter_);
  // Transient rounds back off from the first failure; a run of suspect errors from the first of its run.
  const int retry = kind == FailureClass::transient ? failed_rounds_ : same_error_rounds_;
  return {false, backoff_delay(backoff, retry, jitter)};
}

}  // namespace payments::worker
