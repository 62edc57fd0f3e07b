// Per-credential token buckets and what they tell the RateLimit-* headers.
#include <doctest/doctest.h>

#include "payments/auth/rate_limiter.hpp"

using namespace payments::auth;
using namespace std::chrono_literals;

namespace {
const auto kStart = RateLimiter::Clock::time_point(std::chrono::hours(1));
}

TEST_CASE("a credential may burst to its rate within a second, then is refused with Retry-After") {
  RateLimiter limiter;
  for (int i = 0; i < 5; ++i) {
    auto d = limiter.take("key_a", 5, kStart);
    CHECK(d.allowed);
    CHECK(d.limit == 5);
    CHECK(d.remaining == 4 - i);
  }
  auto refused = limiter.take("key_a", 5, kStart);
  CHECK_FALSE(refused.allowed);
  CHECK(refused.remaining == 0);
  CHECK(refused.retry_after == 1s);
  CHECK(refused.reset == 1s);
}

TEST_CASE("tokens come back at the credential's rate, never beyond one second's worth") {
  RateLimiter limiter;
  for (int i = 0; i < 10; ++i) REQUIRE(limiter.take("key_a", 10, kStart).allowed);
  CHECK_FALSE(limiter.take("key_a", 10, kStart).allowed);
  // 0.35 s later: 3 tokens.
  const auto later = kStart + 350ms;
  CHECK(limiter.take("key_a", 10, later).allowed);
  CHECK(limiter.take("key_a", 10, later).allowed);
  CHECK(limiter.take("key_a", 10, later).allowed);
  CHECK_FALSE(limiter.take("key_a", 10, later).allowed);
  // An hour idle refills the bucket to its size, not more.
  int allowed = 0;
  for (int i = 0; i < 20; ++i) allowed += limiter.take("key_a", 10, later + 1h).allowed ? 1 : 0;
  CHECK(allowed == 10);
}

TEST_CASE("credentials have buckets of their own") {
  RateLimiter limiter;
  REQUIRE(limiter.take("key_a", 1, kStart).allowed);
  CHECK_FALSE(limiter.take("key_a", 1, kStart).allowed);
  CHECK(limiter.take("key_b", 1, kStart).allowed);
}

TEST_CASE("a slow rate says how long until the next request") {
  RateLimiter limiter;
  REQUIRE(limiter.take("key_a", 1, kStart).allowed);
  auto refused = limiter.take("key_a", 1, kStart + 200ms);
  CHECK_FALSE(refused.allowed);
  CHECK(refused.retry_after == 1s);  // 0.8 s, rounded up
  CHECK(limiter.take("key_a", 1, kStart + 1s).allowed);
}

TEST_CASE("past max_buckets, idle buckets are forgotten first and the limits still hold") {
  RateLimiter limiter(2);
  REQUIRE(limiter.take("key_a", 1, kStart).allowed);
  REQUIRE(limiter.take("key_b", 1, kStart + 2s).allowed);
  // key_a has been idle for over a second: full again, so forgetting it changes nothing.
  REQUIRE(limiter.take("key_c", 1, kStart + 2s).allowed);
  CHECK_FALSE(limiter.take("key_b", 1, kStart + 2s).allowed);
  CHECK(limiter.take("key_a", 1, kStart + 2s).allowed);
}
