#include "payments/stripe/retry_policy.hpp"

namespace payments::stripe {

bool should_retry(const AttemptOutcome& outcome) noexcept {
  if (!outcome.got_response) return true;  // connection error: safe, the idempotency key guards POSTs
  if (outcome.should_retry.has_value()) return *outcome.should_retry;
  if (outcome.http_status == 409) return true;  // lock timeout, concurrent use of the same idempotency key
  if (outcome.http_status >= 500) return true;
  return false;  // 429 without the header, and every other status
}

}  // namespace payments::stripe
