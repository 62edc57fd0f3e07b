#pragma once
// Bearer tokens that are JWTs, for deployments behind an auth service. Verified with libjwt: RS256/ES256
// against public keys from a JWKS file (chosen by `kid`), or HS256 against a shared secret; the algorithm
// must be the one the chosen key is for (no `alg: none`, no HS256 signed with a public key). Then `exp`,
// `nbf` (with leeway), `iss` and `aud` are checked; the merchant comes from a configurable claim and the
// scopes from `scope` (space-separated, RFC 8693).
// libjwt 1.10 refuses a `typ` header other than "JWT", so RFC 9068 access tokens (`typ: at+jwt`) are refused.

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "payments/auth/principal.hpp"
#include "payments/core/config.hpp"
#include "payments/core/result.hpp"

namespace payments::auth {

struct JwtSettings {
  std::string issuer;                      // AUTH_JWT_ISSUER: tokens are accepted only when this is set
  std::string audience;                    // AUTH_JWT_AUDIENCE: must appear in `aud` (a string or an array)
  std::string merchant_claim = "merchant_id";  // AUTH_JWT_MERCHANT_CLAIM
  std::string jwks_file;                   // AUTH_JWKS_FILE: {"keys": [...]} with RSA and EC P-256 public keys
  Secret hs256_secret;                     // AUTH_JWT_HS256_SECRET
  std::chrono::seconds leeway{60};
};

// Whether a bearer token has the shape of a JWT (three base64url segments separated by dots). API keys
// never do, so the API can tell which check applies without trying both.
bool looks_like_jwt(std::string_view token) noexcept;

class JwtVerifier {
 public:
  // Loads the keys. Errors name the setting at fault (an unreadable or invalid AUTH_JWKS_FILE, no key at all,
  // an empty AUTH_JWT_ISSUER or AUTH_JWT_AUDIENCE, an AUTH_JWT_HS256_SECRET under 32 bytes) in one line; a
  // secret's value is never repeated. JWKs of other types, curves, uses or algorithms are skipped.
  static Result<std::unique_ptr<JwtVerifier>> create(const JwtSettings& settings);
  ~JwtVerifier();
  JwtVerifier(const JwtVerifier&) = delete;
  JwtVerifier& operator=(const JwtVerifier&) = delete;

  // The caller a valid token names. Any failure (bad signature, unknown kid, wrong alg, expired, not yet
  // valid, wrong issuer or audience, no merchant claim, malformed) is ErrorCode::unauthenticated with a
  // short reason for the service's own log; the token itself is never part of it. Safe to call from several
  // threads at once: nothing changes after create().
  [[nodiscard]] Result<Principal> verify(std::string_view token, std::chrono::system_clock::time_point now) const;

 private:
  struct Impl;
  explicit JwtVerifier(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace payments::auth
