#include "payments/stripe/retry_policy.hpp"

#include <algorithm>

namespace payments::stripe {

bool should_retry(const AttemptOutcome& outcome) noexcept {
  if (!outcome.got_response) return true;  // connection error: safe, the idempotency key guards POSTs
  if (outcome.should_retry.has_value()) return *outcome.should_retry;
  if (outcome.http_status == 409) return true;  // lock timeout, concurrent use of the same idempotency key
  if (outcome.http_status >= 500) return true;
  return false;  // 429 without the header, and every other status
}

std::chrono::milliseconds backoff_delay(const BackoffPolicy& policy, int retry, double jitter01) noexcept {
  using std::chrono::milliseconds;
  const auto initial = std::max<milliseconds::rep>(policy.initial_delay.count(), 0);
  const auto cap = std::max<milliseconds::rep>(policy.max_delay.count(), 0);
  milliseconds::rep delay = initial;
  for (int i = 1; i < retry && delay < cap; ++i) delay *= 2;
  delay = std::min(delay, cap);
  const double jitter = std::clamp(jitter01, 0.0, 1.0);
  const double factor = 0.5 + 0.5 * jitter;
  return milliseconds(static_cast<milliseconds::rep>(static_cast<double>(delay) * factor));
}

}  // namespace payments::stripe
