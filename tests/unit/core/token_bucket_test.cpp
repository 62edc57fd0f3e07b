#include <doctest/doctest.h>

#include <chrono>

#include "payments/core/token_bucket.hpp"

using namespace payments;
using namespace std::chrono_literals;
using Clock = TokenBucket::Clock;

TEST_CASE("a token bucket starts full, then gives out exactly its rate") {
  const auto t0 = Clock::time_point{} + 1h;
  TokenBucket bucket(10, 5, t0);
  for (int i = 0; i < 5; ++i) CHECK(bucket.try_take(t0));
  CHECK_FALSE(bucket.try_take(t0));
  CHECK_FALSE(bucket.try_take(t0 + 99ms));  // 0.99 of a token
  CHECK(bucket.try_take(t0 + 100ms));
  CHECK_FALSE(bucket.try_take(t0 + 100ms));
  // Idle for an hour: never more than the capacity.
  int taken = 0;
  while (bucket.try_take(t0 + 2h)) ++taken;
  CHECK(taken == 5);
}

TEST_CASE("reservations queue behind each other at the bucket's rate") {
  const auto t0 = Clock::time_point{} + 1h;
  TokenBucket bucket(50, 1, t0);
  CHECK(bucket.reserve(t0) == Clock::duration::zero());
  CHECK(bucket.reserve(t0) == duration_cast<Clock::duration>(20ms));
  CHECK(bucket.reserve(t0) == duration_cast<Clock::duration>(40ms));
  CHECK(bucket.available(t0) == doctest::Approx(-2.0));
  // Once the queue has been paid off, the next one goes at once again.
  CHECK(bucket.reserve(t0 + 60ms) == Clock::duration::zero());
  // A plain take never goes into debt.
  CHECK_FALSE(bucket.try_take(t0 + 60ms));
}

TEST_CASE("a new rate applies from the moment it is set") {
  const auto t0 = Clock::time_point{} + 1h;
  TokenBucket bucket(100, 100, t0);
  for (int i = 0; i < 100; ++i) REQUIRE(bucket.try_take(t0));
  bucket.set_rate(10, 10, t0 + 50ms);  // 5 tokens flowed in at the old rate
  CHECK(bucket.available(t0 + 50ms) == doctest::Approx(5.0));
  CHECK(bucket.available(t0 + 150ms) == doctest::Approx(6.0));
  CHECK(bucket.available(t0 + 10s) == doctest::Approx(10.0));  // the new capacity
  CHECK(bucket.rate() == doctest::Approx(10.0));
}

TEST_CASE("a time point older than the last one adds nothing") {
  const auto t0 = Clock::time_point{} + 1h;
  TokenBucket bucket(1, 1, t0);
  CHECK(bucket.try_take(t0));
  CHECK_FALSE(bucket.try_take(t0 - 10s));
  CHECK(bucket.try_take(t0 + 1s));
}
