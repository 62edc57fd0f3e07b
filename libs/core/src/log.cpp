#include "payments/core/log.hpp"

#include "payments/core/json_text.hpp"
#include "payments/core/time.hpp"

#include <atomic>
#include <cstdio>
#include <string>

namespace payments {
namespace {

std::atomic<int> g_level{static_cast<int>(LogLevel::info)};

std::string_view level_name(LogLevel level) {
  switch (level) {
    case LogLevel::debug: return "debug";
    case LogLevel::info: return "info";
    case LogLevel::warn: return "warn";
    case LogLevel::error: return "error";
  }
  return "info";
}


}  // namespace

std::optional<LogLevel> parse_log_level(std::string_view text) noexcept {
  if (text == "debug") return LogLevel::debug;
  if (text == "info") return LogLevel::info;
  if (text == "warn" || text == "warning") return LogLevel::warn;
  if (text == "error") return LogLevel::error;
  return std::nullopt;
}

namespace log {

void set_level(LogLevel level) noexcept { g_level.store(static_cast<int>(level), std::memory_order_relaxed); }

bool enabled(LogLevel level) noexcept { return static_cast<int>(level) >= g_level.load(std::memory_order_relaxed); }

void write(LogLevel level, std::string_view message, std::initializer_list<LogField> fields) {
  if (!enabled(level)) return;
  std::string line;
  line.reserve(128);
  line += "{\"ts\":";
  append_json_string(line, rfc3339_now());
  line += ",\"level\":";
  append_json_string(line, level_name(level));
  line += ",\"msg\":";
  append_json_string(line, message);
  for (const auto& [key, value] : fields) {
    line.push_back(',');
    append_json_string(line, key);
    line.push_back(':');
    append_json_string(line, value);
  }
  line += "}\n";
  std::fwrite(line.data(), 1, line.size(), stderr);  // one write call: lines from threads do not interleave
}

}  // namespace log
}  // namespace payments
