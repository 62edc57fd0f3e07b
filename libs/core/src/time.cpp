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

std::optional<std::chrono::system_clock::time_point> parse_rfc3339(std::string_view text) {
  // Exactly YYYY-MM-DDTHH:MM:SS[.fraction]Z, digits where digits belong, a date that exists.
  auto digits = [&](std::size_t at, std::size_t count, int& out) {
    if (at + count > text.size()) return false;
    out = 0;
    for (std::size_t i = at; i < at + count; ++i) {
      if (text[i] < '0' || text[i] > '9') return false;
      out = out * 10 + (text[i] - '0');
    }
    return true;
  };
  auto at = [&](std::size_t i, char c) { return i < text.size() && text[i] == c; };
  std::tm tm{};
  int year = 0;
  int month = 0;
  if (!digits(0, 4, year) || !at(4, '-') || !digits(5, 2, month) || !at(7, '-') || !digits(8, 2, tm.tm_mday) ||
      !at(10, 'T') || !digits(11, 2, tm.tm_hour) || !at(13, ':') || !digits(14, 2, tm.tm_min) || !at(16, ':') ||
      !digits(17, 2, tm.tm_sec)) {
    return std::nullopt;
  }
  std::size_t i = 19;
  int millis = 0;
  if (at(i, '.')) {
    const std::size_t first = ++i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      if (i - first < 3) millis = millis * 10 + (text[i] - '0');
      ++i;
    }
    if (i == first || i - first > 9) return std::nullopt;
    for (auto n = i - first; n < 3; ++n) millis *= 10;
  }
  if (i + 1 != text.size() || text[i] != 'Z') return std::nullopt;
  if (month < 1 || month > 12 || tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 59) return std::nullopt;
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  const std::time_t seconds = timegm(&tm);
  std::tm check{};
  gmtime_r(&seconds, &check);
  if (check.tm_mday != tm.tm_mday || check.tm_mon != month - 1) return std::nullopt;  // e.g. February 31st
  return std::chrono::system_clock::from_time_t(seconds) + std::chrono::milliseconds(millis);
}

}  // namespace payments
