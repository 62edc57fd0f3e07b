#pragma once
// Per-credential token buckets. A bucket holds up to one second's worth of requests and refills at the
// credential's rate, so a caller may burst to its limit and then gets exactly its rate. Each API instance
// keeps its own buckets (no network round trip per request); N instances behind a balancer therefore allow
// up to N times the rate, which the README states.

#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "payments/core/token_bucket.hpp"

namespace payments::auth {

// What the RateLimit-* and Retry-After headers say (IETF draft-ietf-httpapi-ratelimit-headers).
struct RateDecision {
  bool allowed = true;
  int limit = 0;                       // RateLimit-Limit: requests per second
  int remaining = 0;                   // RateLimit-Remaining: whole requests left right now
  std::chrono::seconds reset{0};       // RateLimit-Reset: until the bucket is full again
  std::chrono::seconds retry_after{0};  // Retry-After, when refused: until one request is allowed
};

class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;
  // At most `max_buckets` credentials are tracked; beyond that, full (idle) buckets are dropped first.
  explicit RateLimiter(std::size_t max_buckets = 100'000) : max_buckets_(max_buckets) {}

  // Takes one token from `credential`'s bucket (rate `per_second`, at least 1) when there is one.
  RateDecision take(std::string_view credential, int per_second, Clock::time_point now = Clock::now());

 private:
  void evict_idle(Clock::time_point now);

  std::mutex mutex_;
  std::unordered_map<std::string, TokenBucket> buckets_;
  std::size_t max_buckets_;
};

}  // namespace payments::auth
