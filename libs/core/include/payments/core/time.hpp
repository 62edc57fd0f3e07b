#pragma once
// Timestamps as the service writes them everywhere: RFC 3339, UTC, milliseconds ("2026-11-22T10:00:00.412Z").

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace payments {

std::string format_rfc3339(std::chrono::system_clock::time_point time);
// Reads what format_rfc3339 writes (fractional seconds optional); nullopt for anything else.
std::optional<std::chrono::system_clock::time_point> parse_rfc3339(std::string_view text);
inline std::string rfc3339_now() { return format_rfc3339(std::chrono::system_clock::now()); }

}  // namespace payments
