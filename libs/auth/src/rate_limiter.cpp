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
    it = buckets_.emplace(std::string(credential), TokenBucket(rate, rate, now)).first;
  } else if (it->second.rate() != rate) {
    it->second.set_rate(rate, rate, now);  // the credential's limit changed
  }
  TokenBucket& bucket = it->second;
  const bool allowed = bucket.try_take(now);
  const double tokens = bucket.available(now);

  RateDecision decision;
  decision.limit = static_cast<int>(rate);
  decision.allowed = allowed;
  decision.remaining = static_cast<int>(tokens);
  decision.reset = ceil_seconds((rate - tokens) / rate);
  if (!decision.allowed) {
    decision.retry_after = std::max(std::chrono::seconds(1), ceil_seconds((1.0 - tokens) / rate));
  }
  return decision;
}

void RateLimiter::evict_idle(Clock::time_point now) {
  // A bucket idle for a second is full again: forgetting it changes nothing for its credential.
  std::erase_if(buckets_, [now](const auto& entry) { return now - entry.second.updated() >= std::chrono::seconds(1); });
  if (buckets_.size() >= max_buckets_) buckets_.clear();  // a flood of distinct credentials: start over
}

}  // namespace payments::auth
