#include "payments/crypto/base64.hpp"

#include <array>

namespace payments::crypto {
namespace {

constexpr std::string_view kStandard = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::string_view kUrlSafe = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr unsigned char kOutside = 64;

// Each character's 6-bit value in `alphabet`, kOutside for a character not in it.
using Table = std::array<unsigned char, 256>;
constexpr Table table_of(std::string_view alphabet) {
  Table table{};
  table.fill(kOutside);
  for (std::size_t i = 0; i < alphabet.size(); ++i) {
    table[static_cast<unsigned char>(alphabet[i])] = static_cast<unsigned char>(i);
  }
  return table;
}
constexpr Table kStandardValues = table_of(kStandard);
constexpr Table kUrlSafeValues = table_of(kUrlSafe);

std::optional<std::string> decode(std::string_view text, const Table& values) {
  if (text.size() % 4 == 1) return std::nullopt;  // no byte string encodes to that length
  std::string out;
  out.reserve(text.size() * 3 / 4);
  unsigned buffer = 0;
  unsigned bits = 0;
  for (const char c : text) {
    const unsigned value = values[static_cast<unsigned char>(c)];
    if (value == kOutside) return std::nullopt;
    buffer = (buffer << 6U) | value;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buffer >> bits) & 0xffU);
    }
  }
  return out;
}

}  // namespace

std::string base64_encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  auto byte = [&bytes](std::size_t at) { return static_cast<unsigned>(static_cast<unsigned char>(bytes[at])); };
  for (; i + 3 <= bytes.size(); i += 3) {
    const unsigned v = (byte(i) << 16U) | (byte(i + 1) << 8U) | byte(i + 2);
    out += kStandard[(v >> 18U) & 63U];
    out += kStandard[(v >> 12U) & 63U];
    out += kStandard[(v >> 6U) & 63U];
    out += kStandard[v & 63U];
  }
  if (const std::size_t rest = bytes.size() - i; rest > 0) {
    unsigned v = byte(i) << 16U;
    if (rest == 2) v |= byte(i + 1) << 8U;
    out += kStandard[(v >> 18U) & 63U];
    out += kStandard[(v >> 12U) & 63U];
    out += rest == 2 ? kStandard[(v >> 6U) & 63U] : '=';
    out += '=';
  }
  return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
  while (!text.empty() && text.back() == '=') text.remove_suffix(1);
  return decode(text, kStandardValues);
}

std::optional<std::string> base64url_decode(std::string_view text) { return decode(text, kUrlSafeValues); }

bool is_base64url_char(char c) noexcept { return kUrlSafeValues[static_cast<unsigned char>(c)] != kOutside; }

}  // namespace payments::crypto
