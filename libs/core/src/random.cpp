#include "payments/core/random.hpp"

#include <mutex>
#include <random>

namespace payments {
namespace {

class SystemRandom final : public RandomSource {
 public:
  void fill(std::span<std::uint8_t> out) override {
    std::lock_guard lock(mutex_);
    for (std::size_t i = 0; i < out.size();) {
      auto word = device_();
      for (int b = 0; b < 4 && i < out.size(); ++b, ++i) {
        out[i] = static_cast<std::uint8_t>(word & 0xffU);
        word >>= 8U;
      }
    }
  }

 private:
  std::mutex mutex_;
  std::random_device device_{"/dev/urandom"};
};

}  // namespace

RandomSource& system_random() {
  static SystemRandom instance;
  return instance;
}

}  // namespace payments
