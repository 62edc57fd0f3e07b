#pragma once
// Fault injection for the simulator's API: a seeded choice per request between answering normally,
// a 429 rate limit, a 500, or a "timeout" (the operation happens, the answer never comes); and a rate
// limit like Stripe's own, which answers 429 to whatever exceeds N requests a second.

#include <cstdint>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>

#include "payments/core/result.hpp"
#include "payments/core/token_bucket.hpp"

namespace payments::stripe_sim {

struct FaultSettings {
  double fail_rate = 0;        // 500 api_error before doing anything
  double timeout_rate = 0;     // do the work, record it, never answer
  double rate_limit_rate = 0;  // 429 with Stripe-Should-Retry: true
  std::int64_t latency_ms = 0; // added to every API answer
  // Requests a second Stripe's rate limit allows (a token bucket holding one second's worth); beyond it,
  // 429 rate_limit with Stripe-Should-Retry: true. 0: no limit.
  int rate_limit = 0;
};

// How many requests each fault answered since start-up (or the last reset).
struct FaultCounts {
  std::int64_t rate_limited = 0;  // by the rate limit and by rate_limit_rate together
  std::int64_t failed = 0;
  std::int64_t timed_out = 0;
};

enum class Fault { none, rate_limit, fail, timeout };

class FaultInjector {
 public:
  FaultInjector(FaultSettings settings, std::uint64_t seed);

  // One per request: the rate limit first, then one independent draw, in which rate limiting wins over
  // failing and failing over timing out.
  Fault next(TokenBucket::Clock::time_point now = TokenBucket::Clock::now());
  [[nodiscard]] FaultSettings settings() const;
  [[nodiscard]] FaultCounts counts() const;
  void set(FaultSettings settings);
  void restore_initial();  // back to the start-up settings, counts to zero

  // Checks rates are within [0, 1], latency within [0, 600000] ms and the rate limit within [0, 100000];
  // the error names the field.
  static Status validate(const FaultSettings& settings);
  // Applies a JSON object with any of fail_rate, timeout_rate, rate_limit_rate, latency_ms, rate_limit to
  // `base`.
  static Result<FaultSettings> parse_json(std::string_view json, FaultSettings base);
  // The settings, and the counts when given ("injected": {...}).
  static std::string to_json(const FaultSettings& settings, const std::optional<FaultCounts>& counts = {});

 private:
  mutable std::mutex mutex_;
  FaultSettings initial_;
  FaultSettings current_;
  FaultCounts counts_;
  std::optional<TokenBucket> limit_;  // while current_.rate_limit > 0
  std::mt19937_64 random_;
  Fault draw();
  void apply_rate_limit();
};

}  // namespace payments::stripe_sim
