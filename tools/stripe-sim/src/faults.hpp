#pragma once
// Fault injection for the simulator's API: a seeded choice per request between answering normally,
// a 429 rate limit, a 500, or a "timeout" (the operation happens, the answer never comes).

#include <cstdint>
#include <mutex>
#include <random>
#include <string>
#include <string_view>

#include "payments/core/result.hpp"

namespace payments::stripe_sim {

struct FaultSettings {
  double fail_rate = 0;        // 500 api_error before doing anything
  double timeout_rate = 0;     // do the work, record it, never answer
  double rate_limit_rate = 0;  // 429 with Stripe-Should-Retry: true
  std::int64_t latency_ms = 0; // added to every API answer
};

enum class Fault { none, rate_limit, fail, timeout };

class FaultInjector {
 public:
  FaultInjector(FaultSettings settings, std::uint64_t seed);

  // One independent draw per request. Rate limiting wins over failing, failing over timing out.
  Fault next();
  [[nodiscard]] FaultSettings settings() const;
  void set(FaultSettings settings);
  void restore_initial();  // back to the start-up settings

  // Checks rates are within [0, 1] and latency within [0, 600000] ms; the error names the field.
  static Status validate(const FaultSettings& settings);
  // Applies a JSON object with any of fail_rate, timeout_rate, rate_limit_rate, latency_ms to `base`.
  static Result<FaultSettings> parse_json(std::string_view json, FaultSettings base);
  static std::string to_json(const FaultSettings& settings);

 private:
  mutable std::mutex mutex_;
  FaultSettings initial_;
  FaultSettings current_;
  std::mt19937_64 random_;
};

}  // namespace payments::stripe_sim
