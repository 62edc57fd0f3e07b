#pragma once
// Timestamps as the service writes them everywhere: RFC 3339, UTC, milliseconds ("2026-11-22T10:00:00.412Z").

#include <chrono>
#include <string>

namespace payments {

std::string format_rfc3339(std::chrono::system_clock::time_point time);
inline std::string rfc3339_now() { return format_rfc3339(std::chrono::system_clock::now()); }

}  // namespace payments
