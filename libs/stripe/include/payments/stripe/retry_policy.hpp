#pragma once
// When to send a Stripe request again, following the official SDKs (stripe-node RequestSender._shouldRetry):
// retry connection errors; never when the response says `Stripe-Should-Retry: false`, always when it says
// `true`; otherwise retry 409 and every status >= 500; 429 only when the header says `true`.
// Every retry reuses the same Idempotency-Key, so a retry never creates a second charge. The delays between
// attempts are the project's one backoff (core/backoff.hpp).

#include <optional>

#include "payments/core/backoff.hpp"

namespace payments::stripe {

// What one attempt produced, as far as the retry decision cares.
struct AttemptOutcome {
  bool got_response = false;        // false: connection error or timeout
  int http_status = 0;              // when got_response
  std::optional<bool> should_retry;  // the Stripe-Should-Retry header, when present
};

// Whether this outcome is worth another attempt (ignoring how many were made already).
bool should_retry(const AttemptOutcome& outcome) noexcept;

}  // namespace payments::stripe
