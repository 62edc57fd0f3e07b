#pragma once
// Base64 (RFC 4648): the standard alphabet for values the project stores (sealed columns, keys in settings),
// the URL-safe one for JWTs (RFC 7515).

#include <optional>
#include <string>
#include <string_view>

namespace payments::crypto {

// Standard alphabet, with padding.
std::string base64_encode(std::string_view bytes);
// Standard alphabet; the padding may be there or not; anything else outside the alphabet is refused.
std::optional<std::string> base64_decode(std::string_view text);

// URL-safe alphabet without padding (JWT segments); '=' is refused like any other character outside it.
std::optional<std::string> base64url_decode(std::string_view text);
bool is_base64url_char(char c) noexcept;

}  // namespace payments::crypto
