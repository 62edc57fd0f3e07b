#pragma once
// The one source of randomness the domain uses, injectable so tests are deterministic.

#include <cstdint>
#include <span>

namespace payments {

class RandomSource {
 public:
  virtual ~RandomSource() = default;
  // Fills `out` with unpredictable bytes. Implementations used for ids and codes must be a CSPRNG.
  virtual void fill(std::span<std::uint8_t> out) = 0;
};

// The kernel's CSPRNG (getrandom(2) through std::random_device).
RandomSource& system_random();

}  // namespace payments
