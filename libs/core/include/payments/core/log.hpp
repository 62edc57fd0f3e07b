#pragma once
// One-line structured logs on stderr. Callers pass only fields that are safe to print: never a secret,
// a card number, a CVC or a one-time code.

#include <initializer_list>
#include <optional>
#include <string_view>
#include <utility>

namespace payments {

enum class LogLevel { debug = 0, info = 1, warn = 2, error = 3 };

std::optional<LogLevel> parse_log_level(std::string_view text) noexcept;

using LogField = std::pair<std::string_view, std::string_view>;

namespace log {

void set_level(LogLevel level) noexcept;
bool enabled(LogLevel level) noexcept;
// Writes `{"ts":..., "level":..., "msg":..., key: value...}` as one line, escaping every value.
void write(LogLevel level, std::string_view message, std::initializer_list<LogField> fields = {});

inline void debug(std::string_view m, std::initializer_list<LogField> f = {}) { write(LogLevel::debug, m, f); }
inline void info(std::string_view m, std::initializer_list<LogField> f = {}) { write(LogLevel::info, m, f); }
inline void warn(std::string_view m, std::initializer_list<LogField> f = {}) { write(LogLevel::warn, m, f); }
inline void error(std::string_view m, std::initializer_list<LogField> f = {}) { write(LogLevel::error, m, f); }

}  // namespace log
}  // namespace payments
