#pragma once
// The project's one backoff: how long to wait before try number `retry` of anything (a Stripe request, a
// command whose dependency is down). Exponential from `initial_delay`, capped at `max_delay`, with jitter
// so that many waiters that failed together do not come back together.

#include <chrono>

namespace payments {

struct BackoffPolicy {
  std::chrono::milliseconds initial_delay{500};
  std::chrono::milliseconds max_delay{5000};
};

// Delay before retry number `retry` (1 = the first retry): initial_delay * 2^(retry-1), capped at max_delay,
// then scaled by a jitter factor in [0.5, 1.0]: `jitter01` in [0, 1) picks where in that range.
std::chrono::milliseconds backoff_delay(const BackoffPolicy& policy, int retry, double jitter01) noexcept;

}  // namespace payments
