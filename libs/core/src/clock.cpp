#include "payments/core/clock.hpp"

namespace payments {
namespace {

class SystemClock final : public Clock {
 public:
  [[nodiscard]] std::chrono::system_clock::time_point now() const override { return std::chrono::system_clock::now(); }
};

}  // namespace

const Clock& system_wall_clock() {
  static const SystemClock instance;
  return instance;
}

}  // namespace payments
