#pragma once
// API keys: a public id (key_...) that logs and tools name, and a high-entropy secret (psk_...) shown once
// when the key is made. Only the secret's SHA-256 is stored: 256 random bits need no slow hash, and a
// database dump gives nobody a working key.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "payments/auth/principal.hpp"
#include "payments/core/random.hpp"
#include "payments/core/result.hpp"

namespace payments::auth {

inline constexpr std::string_view kKeyIdPrefix = "key_";
inline constexpr std::string_view kSecretPrefix = "psk_";

// A key as stored: everything but the secret.
struct ApiKey {
  std::string id;
  std::string merchant_id;
  std::string secret_hash;  // sha256_hex(secret)
  Scopes scopes;
  std::optional<int> rate_limit_per_second;
  std::optional<std::chrono::system_clock::time_point> expires_at;
  std::optional<std::chrono::system_clock::time_point> revoked_at;
  std::string created_at;  // RFC 3339 UTC
};

struct NewApiKey {
  ApiKey key;
  std::string secret;  // to show once; never stored, never logged
};

struct ApiKeyRequest {
  std::string merchant_id;
  Scopes scopes = Scopes::all();
  std::optional<int> rate_limit_per_second;
  std::optional<std::chrono::days> expires_in;
};

inline constexpr int kMaxRateLimitPerSecond = 100'000;

// A new key with a fresh id and secret. Errors name the bad part (merchant id, rate limit, expiry, scopes).
Result<NewApiKey> make_api_key(const ApiKeyRequest& request, RandomSource& random,
                               std::chrono::system_clock::time_point now);

// What is stored for a secret, and whether a bearer token has the shape of one (cheap, before any lookup).
std::string secret_hash(std::string_view secret);
bool looks_like_api_key(std::string_view token) noexcept;

// Whether the key can be used at `now`: not revoked, not expired.
bool is_active(const ApiKey& key, std::chrono::system_clock::time_point now) noexcept;

Principal principal_of(const ApiKey& key);

}  // namespace payments::auth
