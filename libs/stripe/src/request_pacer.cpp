#include "payments/stripe/request_pacer.hpp"

#include <algorithm>

namespace payments::stripe {

RequestPacer::RequestPacer(PacingOptions options, Clock::time_point now) noexcept
    : options_(options),
      bucket_(std::max(options.max_rate, 1.0), burst_for(std::max(options.max_rate, 1.0)), now),
      grown_at_(now),
      decreased_at_(now) {}

double RequestPacer::burst_for(double rate) const noexcept { return std::max(1.0, rate * options_.burst_seconds); }

void RequestPacer::grow(Clock::time_point now) noexcept {
  if (now <= grown_at_) return;
  const double rate = bucket_.rate();
  if (rate < options_.max_rate) {
    const double elapsed = std::chrono::duration<double>(now - grown_at_).count();
    const double grown = std::min(options_.max_rate, rate + elapsed * options_.recovery_per_second * options_.max_rate);
    bucket_.set_rate(grown, burst_for(grown), now);
  }
  grown_at_ = now;
}

RequestPacer::Clock::duration RequestPacer::reserve(Clock::time_point now) noexcept {
  if (!enabled()) return Clock::duration::zero();
  grow(now);
  return bucket_.reserve(now);
}

bool RequestPacer::on_rate_limited(Clock::time_point now) noexcept {
  if (!enabled()) return false;
  if (ever_decreased_ && now - decreased_at_ < options_.decrease_interval) return false;  // the same burst of 429s
  grow(now);
  const double floor = std::max(options_.max_rate * options_.min_fraction, 1e-3);
  const double lower = std::max(floor, bucket_.rate() * options_.decrease_factor);
  bucket_.set_rate(lower, burst_for(lower), now);
  decreased_at_ = now;
  ever_decreased_ = true;
  return true;
}

double RequestPacer::current_rate(Clock::time_point now) noexcept {
  if (!enabled()) return 0;
  grow(now);
  return bucket_.rate();
}

}  // namespace payments::stripe
