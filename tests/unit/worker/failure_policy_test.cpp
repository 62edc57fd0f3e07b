#include "payments/worker/failure_policy.hpp"

#include <doctest/doctest.h>

using namespace std::chrono_literals;
using payments::Error;
using payments::ErrorCode;
using payments::worker::classify;
using payments::worker::CommandRetries;
using payments::worker::FailureClass;
using payments::worker::RetryPolicy;

TEST_CASE("every error code has its failure class") {
  CHECK(classify(ErrorCode::unavailable) == FailureClass::transient);
  CHECK(classify(ErrorCode::rate_limited) == FailureClass::transient);
  CHECK(classify(ErrorCode::internal) == FailureClass::suspect);
  for (auto code : {ErrorCode::validation_error, ErrorCode::raw_card_data, ErrorCode::not_found,
                    ErrorCode::idempotency_conflict, ErrorCode::invalid_state, ErrorCode::unauthenticated,
                    ErrorCode::forbidden}) {
    CAPTURE(payments::to_string(code));
    CHECK(classify(code) == FailureClass::permanent);
  }
}

TEST_CASE("a dependency that stays down is retried without limit, backing off up to the cap") {
  const RetryPolicy policy;
  CommandRetries retries(policy, 7);
  const Error down = Error::unavailable("mysql: Lost connection to server during query");
  std::chrono::milliseconds last{0};
  for (int round = 1; round <= 1000; ++round) {
    const auto decision = retries.after(down);
    REQUIRE_FALSE(decision.give_up);
    CHECK(decision.delay >= 100ms);
    CHECK(decision.delay <= policy.transient.max_delay);
    last = decision.delay;
  }
  CHECK(last >= policy.transient.max_delay / 2);  // at the cap, with jitter
  CHECK(retries.failed_rounds() == 1000);
}

TEST_CASE("a command that can never succeed is given up at once") {
  const RetryPolicy policy;
  CommandRetries retries(policy, 1);
  CHECK(retries.after(Error::validation("amount", "must be positive")).give_up);
  CommandRetries missing(policy, 1);
  CHECK(missing.after(Error{ErrorCode::not_found, "no such payment", {}}).give_up);
}

TEST_CASE("the same unexpected error is retried a bounded number of rounds, then given up") {
  RetryPolicy policy;
  policy.max_same_error_rounds = 4;
  CommandRetries retries(policy, 3);
  const Error broken = Error::internal("stored payment unreadable");
  for (int round = 1; round < 4; ++round) {
    const auto decision = retries.after(broken);
    REQUIRE_FALSE(decision.give_up);
    CHECK(decision.delay <= policy.suspect.max_delay);
  }
  CHECK(retries.after(broken).give_up);
  CHECK(retries.same_error_rounds() == 4);
}

TEST_CASE("a different error, or a dependency outage in between, starts the count again") {
  RetryPolicy policy;
  policy.max_same_error_rounds = 3;
  CommandRetries retries(policy, 5);
  const Error first = Error::internal("session: bad_cast");
  const Error second = Error::internal("stored payment unreadable");
  CHECK_FALSE(retries.after(first).give_up);
  CHECK_FALSE(retries.after(first).give_up);
  CHECK_FALSE(retries.after(second).give_up);  // a new error: its own count
  CHECK_FALSE(retries.after(Error::unavailable("mysql down")).give_up);
  CHECK_FALSE(retries.after(second).give_up);
  CHECK_FALSE(retries.after(second).give_up);
  CHECK(retries.after(second).give_up);
}
