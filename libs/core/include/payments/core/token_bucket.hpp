#pragma once
// The project's one token bucket: `rate` tokens a second flow in, up to `capacity`. Pure arithmetic on the
// time points it is given, so callers decide the clock and the locking (none here). Used for the API's
// per-credential rate limits, for pacing requests to Stripe, and by the Stripe simulator's rate limit.

#include <chrono>

namespace payments {

class TokenBucket {
 public:
  using Clock = std::chrono::steady_clock;

  // Starts full. `rate` and `capacity` are clamped to at least a millionth and one token.
  TokenBucket(double rate, double capacity, Clock::time_point now) noexcept;

  // Takes one token when a whole one is there; false (and nothing taken) otherwise.
  bool try_take(Clock::time_point now) noexcept;

  // Takes one token whether or not it is there yet, and says how long until it will have been: zero when
  // one was available. Reservations queue up behind each other (the balance goes negative), so callers that
  // each wait their answer go out at exactly `rate`, in the order they reserved.
  Clock::duration reserve(Clock::time_point now) noexcept;

  // Tokens at `now`: negative while reservations are outstanding.
  [[nodiscard]] double available(Clock::time_point now) noexcept;

  // Changes the rate (and capacity) from `now` on; what flowed in before `now` counts at the old rate.
  void set_rate(double rate, double capacity, Clock::time_point now) noexcept;

  [[nodiscard]] double rate() const noexcept { return rate_; }
  [[nodiscard]] double capacity() const noexcept { return capacity_; }
  [[nodiscard]] Clock::time_point updated() const noexcept { return updated_; }

 private:
  void refill(Clock::time_point now) noexcept;

  double rate_;
  double capacity_;
  double tokens_;
  Clock::time_point updated_;
};

}  // namespace payments
