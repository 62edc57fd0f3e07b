#include "payments/core/time.hpp"

#include <cstdio>
#include <ctime>

namespace payments {

std::string format_rfc3339(std::chrono::system_clock::time_point time) {
  using namespace std::chrono;
  const auto since_epoch = duration_cast<milliseconds>(time.time_since_epoch()).count();
  const auto seconds = static_cast<std::time_t>(since_epoch / 1000);
  const auto millis = static_cast<int>(since_epoch % 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buf[40];
  const auto n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(buf + n, sizeof buf - n, ".%03dZ", millis);
  return buf;
}

}  // namespace payments
