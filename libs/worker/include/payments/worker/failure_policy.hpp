#pragma once
// What becomes of a command whose processing failed: the one place where an error's code decides between
// trying again and giving up. Every command ends in one of three outcomes:
//   done     applied (or refused with the event its producer is owed);
//   retry    a dependency (MySQL, Kafka) is unavailable: the same command again after a backoff, without
//            limit while the dependency is down; committing past it would lose it;
//   give_up  it can never succeed as it stands: to payment-commands-dlq with the reason, and the offset moves
//            on (see CommandProcessor::give_up for what the payment owes then).
// Stripe's own failures are retried inside the Stripe client, within STRIPE_RETRY_DEADLINE_SECONDS; what it
// gives up on is left to reconciliation, so it never reaches this policy as a failure.

#include <chrono>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>

#include "payments/core/backoff.hpp"
#include "payments/core/result.hpp"

namespace payments::worker {

enum class FailureClass {
  transient,  // unavailable, rate_limited: the world will change; retry without limit
  suspect,    // internal: a row that cannot be read, an exception, an answer nobody expected. Perhaps a
              // moment's fault (a deadlock, a failover in progress), perhaps for ever: retried a bounded
              // number of rounds while it stays the same error, then given up
  permanent,  // the command itself is wrong, or names what does not exist: given up at once
};

FailureClass classify(ErrorCode code) noexcept;
std::string_view to_string(FailureClass kind) noexcept;

struct RetryPolicy {
  BackoffPolicy transient{std::chrono::milliseconds(200), std::chrono::milliseconds(5'000)};
  BackoffPolicy suspect{std::chrono::milliseconds(100), std::chrono::milliseconds(1'000)};
  // Failed rounds in a row with the same suspect error before the command is given up (~6 s with the
  // delays above).
  int max_same_error_rounds = 10;
};

// The failed rounds of one command, and what to do after each.
class CommandRetries {
 public:
  struct Decision {
    bool give_up = false;
    std::chrono::milliseconds delay{0};  // before the next round, when not giving up
  };

  CommandRetries(const RetryPolicy& policy, std::uint64_t seed) : policy_(policy), jitter_(seed) {}

  // Call after each failed round with the error it ended in.
  Decision after(const Error& error);

  // Rounds that failed so far, and how many of the last ones ended in the same error.
  [[nodiscard]] int failed_rounds() const noexcept { return failed_rounds_; }
  [[nodiscard]] int same_error_rounds() const noexcept { return same_error_rounds_; }

 private:
  const RetryPolicy& policy_;
  std::mt19937_64 jitter_;
  int failed_rounds_ = 0;
  int same_error_rounds_ = 0;
  ErrorCode last_code_ = ErrorCode::internal;
  std::string last_message_;
};

}  // namespace payments::worker
