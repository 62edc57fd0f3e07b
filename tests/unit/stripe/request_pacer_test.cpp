#include <doctest/doctest.h>

#include <chrono>

#include "payments/stripe/request_pacer.hpp"

using namespace payments::stripe;
using namespace std::chrono_literals;
using Clock = RequestPacer::Clock;

namespace {

const auto t0 = Clock::time_point{} + 1h;

// How many of `count` requests booked at `now` may go out within `window`.
int sent_within(RequestPacer& pacer, Clock::time_point now, int count, Clock::duration window) {
  int sent = 0;
  for (int i = 0; i < count; ++i) {
    if (pacer.reserve(now) <= window) ++sent;
  }
  return sent;
}

}  // namespace

TEST_CASE("pacing off lets every request go at once") {
  RequestPacer pacer({.max_rate = 0}, t0);
  CHECK_FALSE(pacer.enabled());
  for (int i = 0; i < 1000; ++i) REQUIRE(pacer.reserve(t0) == Clock::duration::zero());
  pacer.on_rate_limited(t0);
  CHECK(pacer.reserve(t0) == Clock::duration::zero());
}

TEST_CASE("a backlog goes out at the configured rate, after a burst of a fifth of a second's worth") {
  RequestPacer pacer({.max_rate = 50}, t0);
  // 10 at once (the burst), then one every 20 ms: 60 within the first second, 110 within two.
  CHECK(sent_within(pacer, t0, 1000, 0ms) == 10);
  RequestPacer again({.max_rate = 50}, t0);
  CHECK(sent_within(again, t0, 1000, 1s) == 60);
  RequestPacer twice({.max_rate = 50}, t0);
  CHECK(sent_within(twice, t0, 1000, 2s) == 110);
}

TEST_CASE("a 429 halves the rate once per second, and it grows back within five seconds") {
  RequestPacer pacer({.max_rate = 90}, t0);
  CHECK(pacer.current_rate(t0) == doctest::Approx(90));
  pacer.on_rate_limited(t0);
  CHECK(pacer.current_rate(t0) == doctest::Approx(45));
  pacer.on_rate_limited(t0 + 300ms);  // the same burst of 429s
  CHECK(pacer.current_rate(t0 + 300ms) == doctest::Approx(45 + 0.3 * 9));
  pacer.on_rate_limited(t0 + 1s);  // still limited a second later: halves again
  CHECK(pacer.current_rate(t0 + 1s) == doctest::Approx((45 + 9) / 2.0));
  // Linear growth at a tenth of the maximum per second, never beyond it.
  CHECK(pacer.current_rate(t0 + 2s) == doctest::Approx(27 + 9));
  CHECK(pacer.current_rate(t0 + 60s) == doctest::Approx(90));
}

TEST_CASE("the rate never falls below a twentieth of the maximum") {
  RequestPacer fast_decreases({.max_rate = 20, .decrease_interval = 0ms}, t0);
  for (int i = 0; i < 50; ++i) fast_decreases.on_rate_limited(t0);
  CHECK(fast_decreases.current_rate(t0) == doctest::Approx(1.0));
}

TEST_CASE("after a decrease, requests are spaced at the lower rate") {
  RequestPacer pacer({.max_rate = 100, .recovery_per_second = 0}, t0);
  for (int i = 0; i < 20; ++i) pacer.reserve(t0);  // the burst, used up
  pacer.on_rate_limited(t0);                      // 50/s
  const auto first = pacer.reserve(t0);
  const auto second = pacer.reserve(t0);
  CHECK(std::chrono::duration<double, std::milli>(second - first).count() == doctest::Approx(20.0));
}
