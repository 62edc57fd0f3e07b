#include "payments/core/backoff.hpp"

#include <algorithm>

namespace payments {

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

}  // namespace payments
