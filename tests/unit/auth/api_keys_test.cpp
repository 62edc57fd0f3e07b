// API keys as made, stored and checked: the secret's shape, what is kept of it, expiry.
#include <doctest/doctest.h>

#include <set>

#include "payments/auth/api_keys.hpp"
#include "payments/crypto/crypto.hpp"

using namespace payments;
using namespace payments::auth;

namespace {
const auto kNow = std::chrono::system_clock::time_point(std::chrono::seconds(1'800'000'000));
}

TEST_CASE("a new key has a key_ id, a psk_ secret of 256 random bits, and only the secret's SHA-256 is kept") {
  auto made = make_api_key({.merchant_id = "acme"}, system_random(), kNow);
  REQUIRE(made.has_value());
  CHECK(made->key.id.rfind("key_", 0) == 0);
  CHECK(made->secret.rfind("psk_", 0) == 0);
  CHECK(made->secret.size() == 4 + 52);
  CHECK(looks_like_api_key(made->secret));
  CHECK(made->key.secret_hash == crypto::sha256_hex(made->secret));
  CHECK(made->key.secret_hash.find(made->secret.substr(4)) == std::string::npos);
  CHECK(made->key.merchant_id == "acme");
  CHECK(made->key.scopes == Scopes::all());
  CHECK_FALSE(made->key.expires_at.has_value());
  CHECK(is_active(made->key, kNow));

  std::set<std::string> secrets;
  for (int i = 0; i < 100; ++i) secrets.insert(make_api_key({.merchant_id = "acme"}, system_random(), kNow)->secret);
  CHECK(secrets.size() == 100);
}

TEST_CASE("a key's request is checked: merchant id, scopes, rate limit and expiry") {
  auto refused = [](ApiKeyRequest request) {
    auto made = make_api_key(request, system_random(), kNow);
    REQUIRE_FALSE(made.has_value());
    return made.error().field;
  };
  CHECK(refused({.merchant_id = ""}) == "merchant");
  CHECK(refused({.merchant_id = "has spaces"}) == "merchant");
  CHECK(refused({.merchant_id = std::string(65, 'm')}) == "merchant");
  CHECK(refused({.merchant_id = "acme", .scopes = Scopes{}}) == "scopes");
  CHECK(refused({.merchant_id = "acme", .rate_limit_per_second = 0}) == "rate-limit");
  CHECK(refused({.merchant_id = "acme", .rate_limit_per_second = kMaxRateLimitPerSecond + 1}) == "rate-limit");
  CHECK(refused({.merchant_id = "acme", .expires_in = std::chrono::days(0)}) == "expires-in-days");
  CHECK(refused({.merchant_id = "acme", .expires_in = std::chrono::days(3651)}) == "expires-in-days");
}

TEST_CASE("a key with an expiry is active until that instant, and a revoked one never") {
  auto made = make_api_key({.merchant_id = "acme", .expires_in = std::chrono::days(1)}, system_random(), kNow);
  REQUIRE(made.has_value());
  REQUIRE(made->key.expires_at.has_value());
  CHECK(*made->key.expires_at == kNow + std::chrono::days(1));
  CHECK(is_active(made->key, kNow + std::chrono::hours(23)));
  CHECK_FALSE(is_active(made->key, kNow + std::chrono::days(1)));
  ApiKey revoked = made->key;
  revoked.revoked_at = kNow;
  CHECK_FALSE(is_active(revoked, kNow));
}

TEST_CASE("only psk_ followed by 52 base32 characters looks like a key") {
  CHECK(looks_like_api_key("psk_" + std::string(52, 'a')));
  CHECK(looks_like_api_key("psk_" + std::string(52, '7')));
  CHECK_FALSE(looks_like_api_key("psk_" + std::string(51, 'a')));
  CHECK_FALSE(looks_like_api_key("psk_" + std::string(53, 'a')));
  CHECK_FALSE(looks_like_api_key("psk_" + std::string(52, 'A')));
  CHECK_FALSE(looks_like_api_key("psk_" + std::string(52, '1')));
  CHECK_FALSE(looks_like_api_key("sk_" + std::string(53, 'a')));
  CHECK_FALSE(looks_like_api_key(""));
}
