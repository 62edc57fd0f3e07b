#pragma once
// Turns an Authorization header into the caller it proves, with no I/O: API keys are looked up in an
// in-memory snapshot of the active keys, which the service replaces in the background (at least every
// second, so a revoked key stops working within seconds everywhere), and JWTs are verified locally.
// Every failure gives the same error, and unknown, revoked and malformed secrets take the same path
// (hash, then one lookup), so the answer tells an attacker nothing about which it was.

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "payments/auth/api_keys.hpp"
#include "payments/auth/jwt.hpp"
#include "payments/auth/principal.hpp"
#include "payments/core/result.hpp"

namespace payments::auth {

class Authenticator {
 public:
  using Clock = std::chrono::system_clock;
  // `jwt`: null when JWTs are not configured (then a token shaped like one is just an unknown key).
  // `max_staleness`: when the key snapshot is older than this (the database has been unreachable that long),
  // credentials cannot be checked and every caller gets `unavailable` rather than a wrong 401.
  Authenticator(std::unique_ptr<JwtVerifier> jwt, std::chrono::seconds max_staleness);
  ~Authenticator();

  // A new snapshot of the keys (revoked and expired ones may be included; they are dropped here).
  void replace_keys(const std::vector<ApiKey>& keys, Clock::time_point now = Clock::now());

  // The caller `authorization` (the header's value, if any) proves: `unauthenticated` for every kind of
  // missing, malformed, unknown, revoked or expired credential; `unavailable` when the snapshot is stale.
  [[nodiscard]] Result<Principal> authenticate(std::optional<std::string_view> authorization,
                                               Clock::time_point now = Clock::now()) const;

  [[nodiscard]] std::size_t key_count() const;

 private:
  using Snapshot = std::unordered_map<std::string, ApiKey>;  // by secret hash
  std::unique_ptr<JwtVerifier> jwt_;
  std::chrono::seconds max_staleness_;
  mutable std::mutex mutex_;  // guards the two below; held only to copy the pointer
  std::shared_ptr<const Snapshot> keys_;
  std::optional<Clock::time_point> loaded_at_;
};

// The token of "Bearer <token>" (scheme case-insensitive); nullopt for anything else.
std::optional<std::string_view> bearer_token(std::string_view authorization) noexcept;

}  // namespace payments::auth
