#pragma once
// Pacing of requests to Stripe: a token bucket in front of every request one client sends, so that a worker
// with hundreds of commands in flight sends at most its share of the account's rate limit instead of
// meeting a wall of 429s. Stripe allows 100 requests a second in live mode and 25 in test mode per account
// (https://docs.stripe.com/rate-limits); the defaults below leave headroom under both.
//
// The rate adapts the way TCP's congestion control does (additive increase, multiplicative decrease): a 429
// that says the rate was exceeded halves it, at most once a second so one burst of 429s counts once, and it
// then grows back linearly to the configured rate over a few seconds.
//
// Pure arithmetic on the time points it is given; the client calls it on its strand, so it takes no lock.

#include <chrono>

#include "payments/core/token_bucket.hpp"

namespace payments::stripe {

// STRIPE_MAX_REQUESTS_PER_SECOND's default, by the kind of key.
inline constexpr double kLiveModeRequestsPerSecond = 90;
inline constexpr double kTestModeRequestsPerSecond = 20;

struct PacingOptions {
  double max_rate = 0;  // requests a second; 0: no pacing at all
  // How long a full bucket lets requests go out back to back, as a share of a second's rate.
  double burst_seconds = 0.2;
  // After a 429 the rate is multiplied by this, no more often than every `decrease_interval`, and never
  // below max_rate * min_fraction.
  double decrease_factor = 0.5;
  std::chrono::milliseconds decrease_interval{1000};
  double min_fraction = 0.05;
  // Growth back: this share of max_rate per second (a halved rate is whole again after 5 s).
  double recovery_per_second = 0.1;
};

class RequestPacer {
 public:
  using Clock = std::chrono::steady_clock;

  RequestPacer(PacingOptions options, Clock::time_point now) noexcept;

  [[nodiscard]] bool enabled() const noexcept { return options_.max_rate > 0; }

  // Books the next request: how long it must wait before it is sent (zero when it may go now, or when pacing
  // is off). Requests booked one after another go out in that order, at the current rate.
  Clock::duration reserve(Clock::time_point now) noexcept;

  // Stripe answered 429 because the rate was exceeded (not a lock_timeout): slow down. True when this
  // lowered the rate (false within a second of the last decrease, or with pacing off).
  bool on_rate_limited(Clock::time_point now) noexcept;

  // The rate requests go out at now, after any decrease and the growth since.
  [[nodiscard]] double current_rate(Clock::time_point now) noexcept;

 private:
  void grow(Clock::time_point now) noexcept;
  [[nodiscard]] double burst_for(double rate) const noexcept;

  PacingOptions options_;
  TokenBucket bucket_;
  Clock::time_point grown_at_;
  Clock::time_point decreased_at_;
  bool ever_decreased_ = false;
};

}  // namespace payments::stripe
