#pragma once
// The wall clock the domain decides by (a code's expiry, a payment stuck for long enough), injectable so
// tests can stand at any moment. Timestamps only written down (an event's occurred_at) use rfc3339_now().

#include <chrono>

namespace payments {

class Clock {
 public:
  virtual ~Clock() = default;
  [[nodiscard]] virtual std::chrono::system_clock::time_point now() const = 0;
};

// std::chrono::system_clock.
const Clock& system_wall_clock();

}  // namespace payments
