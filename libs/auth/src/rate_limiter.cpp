#include "payments/auth/rate_limiter.hpp"

#include <algorithm>
#include <cmath>

namespace payments::auth {
namespace {

std::chrono::seconds ceil_seconds(double seconds) {
  return std::chrono::seconds(static_cast<long long>(std::ceil(std::max(0.0, seconds))));
}

}  // namespace

RateDecision RateLimiter::take(std::string_view credential, int per_second, Clock::time_point now) {
  const double rate = std::max(1, per_second);
  std::lock_guard lock(mutex_);
  auto it = buckets_.find(std::string(credential));
  if (it == buckets_.end()) {
    if (buckets_.size() >= max_buckets_) evict_idle(now);
    it = buckets_.emplace(std::string(credential), Bucket{rate, now}).first;
  }
  Bucket& bucket = it->second;
  const double elapsed = std::chrono::duration<double>(now - bucket.updated).count();
  bucket.tokens = std::min(rate, bucket.tokens + std::max(0.0, elapsed) * rate);
  bucket.updated = now;

  RateDecision decision;
  decision.limit = static_cast<int>(rate);
  decision.allowed = bucket.tokens >= 1.0;
  if (decision.allowed) bucket.tokens -= 1.0;
  decision.remaining = static_cast<int>(bucket.tokens);
  decision.reset = ceil_seconds((rate - bucket.tokens) / rate);
  if (!decision.allowed) {
    decision.retry_after = std::max(std::chrono::seconds(1), ceil_seconds((1.0 - bucket.tokens) / rate));
  }
  return decision;
}

void RateLimiter::evict_idle(Clock::time_point now) {
  // A bucket idle for a second is full again: forgetting it changes nothing for its credential.
  std::erase_if(buckets_, [now](const auto& entry) { return now - entry.second.updated >= std::chrono::seconds(1); });
  if (buckets_.size() >= max_buckets_) buckets_.clear();  // a flood of distinct credentials: start over
}

}  // namespace payments::auth
