#pragma once
// Encryption of sensitive values at rest: AES-256-GCM under DATA_ENCRYPTION_KEY, a key ring whose first key
// seals and whose every key opens, so keys can rotate.
//
// A sealed value is self-describing text: `enc:v1:<key id>:<base64(nonce 12 | ciphertext | tag 16)>`, with a
// random 96-bit nonce per value. The caller's `context` (e.g. "payments.description:pay_123") is
// authenticated with it, so a value copied to another column or row does not open.

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "payments/core/result.hpp"

namespace payments::crypto {

// What every sealed value starts with.
inline constexpr std::string_view kSealedPrefix = "enc:v1:";

// True when `stored` has the sealed form's prefix (it may still be malformed or fail to open).
bool looks_sealed(std::string_view stored) noexcept;
// The key id a sealed value names; nullopt when `stored` is not of the sealed form.
std::optional<std::string_view> sealed_key_id(std::string_view stored) noexcept;

class DataCipher {
 public:
  // Parses DATA_ENCRYPTION_KEY: `<id>:<base64 of 32 bytes>[,<id>:<base64 of 32 bytes>...]`, the current key
  // first. Ids are 1-32 letters, digits, '_' or '-', each once. Unset, empty or malformed: an error naming
  // the variable and the entry, never quoting key material.
  static Result<DataCipher> from_setting(const std::optional<std::string>& value);

  DataCipher(DataCipher&&) noexcept = default;
  DataCipher& operator=(DataCipher&&) noexcept = default;
  DataCipher(const DataCipher&) = delete;
  DataCipher& operator=(const DataCipher&) = delete;
  ~DataCipher();

  // `plaintext` sealed under the current key, bound to `context`.
  [[nodiscard]] std::string seal(std::string_view plaintext, std::string_view context) const;
  // The plaintext of a value sealed under any key of the ring and bound to `context`. Errors (internal) say
  // what is wrong without quoting the value: malformed, an unknown key id, or a failed integrity check
  // (tampered, truncated, or moved from another column or row).
  [[nodiscard]] Result<std::string> open(std::string_view sealed, std::string_view context) const;

  [[nodiscard]] const std::string& current_key_id() const noexcept { return keys_.front().id; }
  // True when `stored` is of the sealed form and names the current key (rotation leaves it alone).
  [[nodiscard]] bool sealed_under_current(std::string_view stored) const noexcept;

 private:
  struct Key {
    std::string id;
    std::array<unsigned char, 32> bytes{};
  };
  explicit DataCipher(std::vector<Key> keys) : keys_(std::move(keys)) {}
  const Key* find(std::string_view id) const noexcept;

  std::vector<Key> keys_;  // never empty; front() seals
};

}  // namespace payments::crypto
