#include <doctest/doctest.h>

#include "payments/stripe/retry_policy.hpp"

using namespace std::chrono_literals;
using payments::stripe::AttemptOutcome;
using payments::backoff_delay;
using payments::BackoffPolicy;
using payments::stripe::should_retry;

namespace {
AttemptOutcome response(int status, std::optional<bool> header = std::nullopt) { return {true, status, header}; }
}  // namespace

TEST_CASE("retry decision table of the Stripe SDKs") {
  struct Row {
    AttemptOutcome outcome;
    bool retry;
  };
  const Row rows[] = {
      {{false, 0, std::nullopt}, true},  // connection error / timeout
      {response(200), false},
      {response(400), false},
      {response(401), false},
      {response(402), false},  // card declined
      {response(404), false},
      {response(409), true},   // lock timeout / concurrent idempotent request
      {response(429), false},  // rate limited: only with the header
      {response(429, true), true},
      {response(429, false), false},
      {response(500), true},
      {response(502), true},
      {response(503), true},
      {response(500, false), false},  // the header always wins
      {response(409, false), false},
      {response(400, true), true},
      {response(402, true), true},
  };
  for (const auto& row : rows) {
    CAPTURE(row.outcome.http_status);
    CAPTURE(row.outcome.got_response);
    CHECK(should_retry(row.outcome) == row.retry);
  }
}

TEST_CASE("backoff doubles from the initial delay, is capped, and jitter keeps it within [half, full]") {
  const BackoffPolicy policy{500ms, 5000ms};
  CHECK(backoff_delay(policy, 1, 1.0) == 500ms);  // jitter 1.0 -> the full delay
  CHECK(backoff_delay(policy, 1, 0.0) == 250ms);           // jitter 0.0 -> half
  CHECK(backoff_delay(policy, 2, 1.0) == 1000ms);
  CHECK(backoff_delay(policy, 3, 1.0) == 2000ms);
  CHECK(backoff_delay(policy, 4, 1.0) == 4000ms);
  CHECK(backoff_delay(policy, 5, 1.0) == 5000ms);  // capped
  CHECK(backoff_delay(policy, 60, 1.0) == 5000ms);  // no overflow however many retries
  CHECK(backoff_delay(policy, 2, 0.5) == 750ms);
}

TEST_CASE("out-of-range jitter is clamped") {
  const BackoffPolicy policy{100ms, 1000ms};
  CHECK(backoff_delay(policy, 1, -3.0) == 50ms);
  CHECK(backoff_delay(policy, 1, 7.0) == 100ms);
}
