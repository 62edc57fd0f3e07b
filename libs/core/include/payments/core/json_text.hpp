#pragma once
// JSON string quoting for the few places that write JSON without a JSON library (log lines, the HTTP
// server's own error bodies).

#include <string>
#include <string_view>

namespace payments {

// Appends `text` as a quoted JSON string, escaping quotes, backslashes and control characters.
void append_json_string(std::string& out, std::string_view text);

}  // namespace payments
