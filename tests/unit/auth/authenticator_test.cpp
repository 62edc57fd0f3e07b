// The Authenticator: an Authorization header to a caller, from an in-memory snapshot of the keys.
#include <doctest/doctest.h>

#include <set>

#include "payments/auth/authenticator.hpp"

using namespace payments;
using namespace payments::auth;
using namespace std::chrono_literals;

namespace {

const auto kNow = std::chrono::system_clock::time_point(std::chrono::seconds(1'800'000'000));

NewApiKey key_for(const std::string& merchant, ApiKeyRequest request = {}) {
  request.merchant_id = merchant;
  auto made = make_api_key(request, system_random(), kNow);
  REQUIRE(made.has_value());
  return std::move(made).value();
}

std::string header(const std::string& secret) { return "Bearer " + secret; }

}  // namespace

TEST_CASE("a known, active key proves its merchant, id, scopes and rate limit") {
  Authenticator authenticator(nullptr, 60s);
  const auto key = key_for("acme", {.scopes = Scopes{}.add(Scope::payments_read), .rate_limit_per_second = 7});
  authenticator.replace_keys({key.key}, kNow);
  auto caller = authenticator.authenticate(header(key.secret), kNow);
  REQUIRE(caller.has_value());
  CHECK(caller->merchant_id == "acme");
  CHECK(caller->key_id == key.key.id);
  CHECK(caller->scopes.has(Scope::payments_read));
  CHECK_FALSE(caller->scopes.has(Scope::refunds_write));
  CHECK(caller->rate_limit_per_second == 7);
  // The scheme is case-insensitive, as RFC 7235 says.
  CHECK(authenticator.authenticate("bearer " + key.secret, kNow).has_value());
  CHECK(authenticator.authenticate("BEARER  " + key.secret, kNow).has_value());
}

TEST_CASE("missing, malformed, unknown, revoked and expired credentials all get the same error") {
  // A snapshot allowed to age for two days, so the expiry below is what decides.
  Authenticator authenticator(nullptr, std::chrono::hours(48));
  const auto good = key_for("acme");
  auto revoked = key_for("acme");
  revoked.key.revoked_at = kNow - 1s;
  const auto expiring = key_for("acme", {.expires_in = std::chrono::days(1)});
  authenticator.replace_keys({good.key, revoked.key, expiring.key}, kNow);

  const std::vector<std::optional<std::string>> refused{
      std::nullopt,
      "",
      "Bearer",
      "Bearer ",
      "Basic " + good.secret,
      "Bearer " + good.secret + " extra",
      "Bearer" + good.secret,
      header(good.secret.substr(0, good.secret.size() - 1) + "a"),  // one character off (or the same: 'a')
      header("psk_" + std::string(52, 'b')),
      header(good.key.secret_hash),  // what the database holds is not a credential
      header(revoked.secret),
      header("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln"),  // a JWT, with JWTs not configured
      header(std::string(9000, 'a')),
  };
  std::set<std::string> messages;
  for (const auto& authorization : refused) {
    CAPTURE(authorization.value_or("(none)").substr(0, 80));
    auto caller = authenticator.authenticate(authorization, kNow);
    if (authorization && *authorization == header(good.secret)) continue;  // the one-character edit was a no-op
    REQUIRE_FALSE(caller.has_value());
    CHECK(caller.error().code == ErrorCode::unauthenticated);
    messages.insert(caller.error().message);
  }
  // The expiring key works until its instant, then fails like the rest.
  CHECK(authenticator.authenticate(header(expiring.secret), kNow + 23h).has_value());
  auto expired = authenticator.authenticate(header(expiring.secret), kNow + std::chrono::days(1));
  REQUIRE_FALSE(expired.has_value());
  messages.insert(expired.error().message);
  CHECK(messages.size() == 1);
  CHECK(messages.begin()->find("psk_") == std::string::npos);
}

TEST_CASE("a new snapshot takes effect at once: a key removed from it stops working") {
  Authenticator authenticator(nullptr, 60s);
  const auto a = key_for("acme");
  const auto b = key_for("globex");
  authenticator.replace_keys({a.key, b.key}, kNow);
  CHECK(authenticator.key_count() == 2);
  CHECK(authenticator.authenticate(header(a.secret), kNow).has_value());
  authenticator.replace_keys({b.key}, kNow);
  CHECK_FALSE(authenticator.authenticate(header(a.secret), kNow).has_value());
  CHECK(authenticator.authenticate(header(b.secret), kNow)->merchant_id == "globex");
}

TEST_CASE("with no snapshot yet, or one older than allowed, credentials cannot be checked: unavailable, not 401") {
  Authenticator authenticator(nullptr, 60s);
  const auto key = key_for("acme");
  auto before = authenticator.authenticate(header(key.secret), kNow);
  REQUIRE_FALSE(before.has_value());
  CHECK(before.error().code == ErrorCode::unavailable);
  authenticator.replace_keys({key.key}, kNow);
  CHECK(authenticator.authenticate(header(key.secret), kNow + 60s).has_value());
  auto stale = authenticator.authenticate(header(key.secret), kNow + 61s);
  REQUIRE_FALSE(stale.has_value());
  CHECK(stale.error().code == ErrorCode::unavailable);
}

TEST_CASE("bearer_token takes the token of a Bearer header and nothing else") {
  CHECK(bearer_token("Bearer abc") == "abc");
  CHECK(bearer_token("bearer   abc  ") == "abc");
  CHECK_FALSE(bearer_token("Bearer"));
  CHECK_FALSE(bearer_token("Bearer "));
  CHECK_FALSE(bearer_token("Bearerabc"));
  CHECK_FALSE(bearer_token("Token abc"));
  CHECK_FALSE(bearer_token("Bearer a b"));
  CHECK_FALSE(bearer_token("Bearer " + std::string(8193, 'a')));
}
