#include "payments/crypto/data_cipher.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <cstdio>
#include <cstdlib>
#include <memory>

#include "payments/crypto/base64.hpp"

namespace payments::crypto {
namespace {

constexpr std::string_view kSetting = "DATA_ENCRYPTION_KEY";
constexpr std::size_t kNonceBytes = 12;
constexpr std::size_t kTagBytes = 16;
constexpr std::size_t kMaxKeyIdLength = 32;

// One context per thread, reset and reused for every value: GCM is cheap, the allocation need not be paid
// for each one.
EVP_CIPHER_CTX* thread_context() {
  thread_local const std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)> context(EVP_CIPHER_CTX_new(),
                                                                                            &EVP_CIPHER_CTX_free);
  if (!context) {
    std::fputs("payments: OpenSSL cannot allocate a cipher context\n", stderr);
    std::abort();
  }
  EVP_CIPHER_CTX_reset(context.get());
  return context.get();
}

[[noreturn]] void broken(const char* what);

// AES-256-GCM fetched from the provider once: OpenSSL 3 otherwise looks it up again on every initialisation.
const EVP_CIPHER* aes_256_gcm() {
  static const std::unique_ptr<EVP_CIPHER, decltype(&EVP_CIPHER_free)> cipher(
      EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr), &EVP_CIPHER_free);
  if (!cipher) broken("find AES-256-GCM");
  return cipher.get();
}

[[noreturn]] void broken(const char* what) {
  // AES-GCM with a valid key and a 12-byte nonce cannot fail; if OpenSSL says it did, nothing sealed can be
  // trusted, so stop loudly rather than store garbage.
  std::fprintf(stderr, "payments: OpenSSL failed to %s\n", what);
  std::abort();
}

// What a value is bound to besides its key: the format, the key id and the caller's context.
std::string associated_data(std::string_view key_id, std::string_view context) {
  std::string aad(kSealedPrefix);
  aad += key_id;
  aad += '\0';
  aad += context;
  return aad;
}

bool valid_key_id(std::string_view id) {
  if (id.empty() || id.size() > kMaxKeyIdLength) return false;
  for (const char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::string_view trim(std::string_view s) {
  constexpr std::string_view kSpace = " \t\r\n";
  const auto first = s.find_first_not_of(kSpace);
  if (first == std::string_view::npos) return {};
  return s.substr(first, s.find_last_not_of(kSpace) - first + 1);
}

Error setting_error(std::string message) { return Error::validation(std::string(kSetting), std::move(message)); }

const unsigned char* bytes_of(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }

}  // namespace

bool looks_sealed(std::string_view stored) noexcept { return stored.substr(0, kSealedPrefix.size()) == kSealedPrefix; }

std::optional<std::string_view> sealed_key_id(std::string_view stored) noexcept {
  if (!looks_sealed(stored)) return std::nullopt;
  stored.remove_prefix(kSealedPrefix.size());
  const auto colon = stored.find(':');
  if (colon == std::string_view::npos || colon == 0) return std::nullopt;
  return stored.substr(0, colon);
}

Result<DataCipher> DataCipher::from_setting(const std::optional<std::string>& value) {
  const std::string_view all = trim(value ? std::string_view(*value) : std::string_view());
  if (all.empty()) {
    return setting_error(std::string(kSetting) +
                         " is required: one or more <key id>:<base64 of 32 random bytes>, comma-separated, the "
                         "current key first (make one with: openssl rand -base64 32)");
  }
  std::vector<Key> keys;
  std::size_t start = 0;
  for (int entry = 1;; ++entry) {
    const auto comma = all.find(',', start);
    const std::string_view item = trim(all.substr(start, comma == std::string_view::npos ? all.npos : comma - start));
    const std::string where = std::string(kSetting) + " entry " + std::to_string(entry);
    const auto colon = item.find(':');
    if (colon == std::string_view::npos) return setting_error(where + " is not <key id>:<base64 of 32 bytes>");
    Key key;
    key.id = std::string(item.substr(0, colon));
    if (!valid_key_id(key.id)) {
      return setting_error(where + " has an invalid key id: use 1-32 letters, digits, '_' or '-'");
    }
    for (const auto& other : keys) {
      if (other.id == key.id) return setting_error(where + " repeats key id " + key.id);
    }
    auto decoded = base64_decode(item.substr(colon + 1));
    if (!decoded) return setting_error(where + " (key id " + key.id + ") is not valid base64");
    if (decoded->size() != key.bytes.size()) {
      const auto size = decoded->size();
      OPENSSL_cleanse(decoded->data(), decoded->size());
      return setting_error(where + " (key id " + key.id + ") decodes to " + std::to_string(size) +
                           " bytes; AES-256 needs exactly 32");
    }
    std::copy(decoded->begin(), decoded->end(), key.bytes.begin());
    OPENSSL_cleanse(decoded->data(), decoded->size());
    keys.push_back(std::move(key));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return DataCipher(std::move(keys));
}

DataCipher::~DataCipher() {
  for (auto& key : keys_) OPENSSL_cleanse(key.bytes.data(), key.bytes.size());
}

const DataCipher::Key* DataCipher::find(std::string_view id) const noexcept {
  for (const auto& key : keys_) {
    if (key.id == id) return &key;
  }
  return nullptr;
}

bool DataCipher::sealed_under_current(std::string_view stored) const noexcept {
  const auto id = sealed_key_id(stored);
  return id && *id == current_key_id();
}

std::string DataCipher::seal(std::string_view plaintext, std::string_view context) const {
  const Key& key = keys_.front();
  std::string raw(kNonceBytes + plaintext.size() + kTagBytes, '\0');
  auto* nonce = reinterpret_cast<unsigned char*>(raw.data());
  auto* body = nonce + kNonceBytes;
  if (RAND_bytes(nonce, static_cast<int>(kNonceBytes)) != 1) broken("draw a nonce");
  const std::string aad = associated_data(key.id, context);
  EVP_CIPHER_CTX* ctx = thread_context();
  int written = 0;
  int last = 0;
  if (EVP_EncryptInit_ex(ctx, aes_256_gcm(), nullptr, key.bytes.data(), nonce) != 1 ||
      EVP_EncryptUpdate(ctx, nullptr, &written, bytes_of(aad), static_cast<int>(aad.size())) != 1 ||
      EVP_EncryptUpdate(ctx, body, &written, bytes_of(plaintext), static_cast<int>(plaintext.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx, body + written, &last) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, static_cast<int>(kTagBytes), body + plaintext.size()) != 1) {
    broken("encrypt a value");
  }
  std::string out(kSealedPrefix);
  out += key.id;
  out += ':';
  out += base64_encode(raw);
  return out;
}

Result<std::string> DataCipher::open(std::string_view sealed, std::string_view context) const {
  const auto id = sealed_key_id(sealed);
  if (!id) return Error::internal("an encrypted value is malformed (expected enc:v1:<key id>:<base64>)");
  const Key* key = find(*id);
  if (key == nullptr) {
    return Error::internal("a value is encrypted under key id " + std::string(*id) +
                           ", which DATA_ENCRYPTION_KEY does not hold");
  }
  const auto raw = base64_decode(sealed.substr(kSealedPrefix.size() + id->size() + 1));
  if (!raw || raw->size() < kNonceBytes + kTagBytes) {
    return Error::internal("an encrypted value is malformed (bad base64 or too short)");
  }
  const auto* nonce = bytes_of(*raw);
  const auto* body = nonce + kNonceBytes;
  const std::size_t body_size = raw->size() - kNonceBytes - kTagBytes;
  std::string plaintext(body_size, '\0');
  auto* out = reinterpret_cast<unsigned char*>(plaintext.data());
  const std::string aad = associated_data(key->id, context);
  std::array<unsigned char, kTagBytes> tag{};
  std::copy(body + body_size, body + body_size + kTagBytes, tag.begin());
  EVP_CIPHER_CTX* ctx = thread_context();
  int written = 0;
  int last = 0;
  if (EVP_DecryptInit_ex(ctx, aes_256_gcm(), nullptr, key->bytes.data(), nonce) != 1 ||
      EVP_DecryptUpdate(ctx, nullptr, &written, bytes_of(aad), static_cast<int>(aad.size())) != 1 ||
      EVP_DecryptUpdate(ctx, out, &written, body, static_cast<int>(body_size)) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, static_cast<int>(kTagBytes), tag.data()) != 1) {
    broken("decrypt a value");
  }
  if (EVP_DecryptFinal_ex(ctx, out + written, &last) != 1) {
    OPENSSL_cleanse(plaintext.data(), plaintext.size());
    return Error::internal("an encrypted value failed its integrity check (altered, or moved from another column "
                           "or row)");
  }
  return plaintext;
}

}  // namespace payments::crypto
