#include "payments/core/ids.hpp"

#include <array>
#include <cstdint>

namespace payments {

bool is_valid_external_id(std::string_view text) noexcept {
  if (text.empty() || text.size() > kMaxIdLength) return false;
  for (char c : text) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::string random_token(RandomSource& random) {
  static constexpr std::string_view kAlphabet = "abcdefghijklmnopqrstuvwxyz234567";
  std::array<std::uint8_t, 16> bytes{};
  random.fill(bytes);
  std::string out;
  out.reserve(26);
  std::uint32_t buffer = 0;
  int bits = 0;
  for (std::uint8_t byte : bytes) {
    buffer = (buffer << 8U) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out.push_back(kAlphabet[(buffer >> static_cast<unsigned>(bits)) & 0x1fU]);
    }
  }
  if (bits > 0) out.push_back(kAlphabet[(buffer << static_cast<unsigned>(5 - bits)) & 0x1fU]);
  return out;
}

std::string new_uuid_v4(RandomSource& random) {
  std::array<std::uint8_t, 16> b{};
  random.fill(b);
  b[6] = static_cast<std::uint8_t>((b[6] & 0x0fU) | 0x40U);  // version 4
  b[8] = static_cast<std::uint8_t>((b[8] & 0x3fU) | 0x80U);  // RFC 4122 variant
  static constexpr std::string_view kHex = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (std::size_t i = 0; i < b.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    out.push_back(kHex[b[i] >> 4U]);
    out.push_back(kHex[b[i] & 0x0fU]);
  }
  return out;
}

bool is_uuid(std::string_view text) noexcept {
  if (text.size() != 36) return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return false;
    } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
      return false;
    }
  }
  return true;
}

}  // namespace payments
