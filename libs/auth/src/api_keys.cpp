#include "payments/auth/api_keys.hpp"

#include <algorithm>

#include "payments/core/ids.hpp"
#include "payments/core/time.hpp"
#include "payments/crypto/crypto.hpp"

namespace payments::auth {
namespace {

constexpr std::size_t kSecretTokens = 2;  // 2 x 128 random bits
constexpr int kMaxExpiryDays = 3650;

bool is_base32_lower(char c) noexcept { return (c >= 'a' && c <= 'z') || (c >= '2' && c <= '7'); }

}  // namespace

Result<NewApiKey> make_api_key(const ApiKeyRequest& request, RandomSource& random,
                               std::chrono::system_clock::time_point now) {
  if (!is_valid_external_id(request.merchant_id)) {
    return Error::validation("merchant", "must be 1 to 64 characters of letters, digits, '_' or '-'");
  }
  if (request.scopes.empty()) return Error::validation("scopes", "must name at least one scope");
  if (request.rate_limit_per_second &&
      (*request.rate_limit_per_second < 1 || *request.rate_limit_per_second > kMaxRateLimitPerSecond)) {
    return Error::validation("rate-limit", "must be 1 to " + std::to_string(kMaxRateLimitPerSecond) +
                                               " requests per second");
  }
  if (request.expires_in && (request.expires_in->count() < 1 || request.expires_in->count() > kMaxExpiryDays)) {
    return Error::validation("expires-in-days", "must be 1 to " + std::to_string(kMaxExpiryDays));
  }
  NewApiKey out;
  out.secret = std::string(kSecretPrefix);
  for (std::size_t i = 0; i < kSecretTokens; ++i) out.secret += random_token(random);
  out.key.id = std::string(kKeyIdPrefix) + random_token(random).substr(0, 20);
  out.key.merchant_id = request.merchant_id;
  out.key.secret_hash = secret_hash(out.secret);
  out.key.scopes = request.scopes;
  out.key.rate_limit_per_second = request.rate_limit_per_second;
  if (request.expires_in) out.key.expires_at = now + *request.expires_in;
  out.key.created_at = format_rfc3339(now);
  return out;
}

std::string secret_hash(std::string_view secret) { return crypto::sha256_hex(secret); }

bool looks_like_api_key(std::string_view token) noexcept {
  constexpr std::size_t kLength = kSecretPrefix.size() + 26 * kSecretTokens;
  return token.size() == kLength && token.substr(0, kSecretPrefix.size()) == kSecretPrefix &&
         std::all_of(token.begin() + static_cast<std::ptrdiff_t>(kSecretPrefix.size()), token.end(),
                     is_base32_lower);
}

bool is_active(const ApiKey& key, std::chrono::system_clock::time_point now) noexcept {
  return !key.revoked_at && (!key.expires_at || now < *key.expires_at);
}

Principal principal_of(const ApiKey& key) {
  return {key.merchant_id, key.id, key.scopes, key.rate_limit_per_second};
}

}  // namespace payments::auth
