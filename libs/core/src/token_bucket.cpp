#include "payments/core/token_bucket.hpp"

#include <algorithm>

namespace payments {

namespace {
constexpr double kMinRate = 1e-6;
constexpr double kMinCapacity = 1.0;
}  // namespace

TokenBucket::TokenBucket(double rate, double capacity, Clock::time_point now) noexcept
    : rate_(std::max(kMinRate, rate)),
      capacity_(std::max(kMinCapacity, capacity)),
      tokens_(capacity_),
      updated_(now) {}

void TokenBucket::refill(Clock::time_point now) noexcept {
  if (now <= updated_) return;  // time never runs backwards here: a stale `now` adds nothing
  const double elapsed = std::chrono::duration<double>(now - updated_).count();
  tokens_ = std::min(capacity_, tokens_ + elapsed * rate_);
  updated_ = now;
}

bool TokenBucket::try_take(Clock::time_point now) noexcept {
  refill(now);
  if (tokens_ < 1.0) return false;
  tokens_ -= 1.0;
  return true;
}

TokenBucket::Clock::duration TokenBucket::reserve(Clock::time_point now) noexcept {
  refill(now);
  tokens_ -= 1.0;
  if (tokens_ >= 0.0) return Clock::duration::zero();
  return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(-tokens_ / rate_));
}

double TokenBucket::available(Clock::time_point now) noexcept {
  refill(now);
  return tokens_;
}

void TokenBucket::set_rate(double rate, double capacity, Clock::time_point now) noexcept {
  refill(now);
  rate_ = std::max(kMinRate, rate);
  capacity_ = std::max(kMinCapacity, capacity);
  tokens_ = std::min(tokens_, capacity_);
}

}  // namespace payments
