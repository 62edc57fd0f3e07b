#pragma once

#include <chrono>

namespace payments::worker {

// Reconciliation: how the worker finds payments and refunds whose outcome is not known or that nobody will
// move on, and asks Stripe. Every round looks at no more than `batch` of each kind, so its Stripe calls are
// bounded; a row looked at is not looked at again before `first_retry` (doubling up to `max_retry`).
struct ReconcileOptions {
  // Payments `pending` or `processing`, and refunds `pending`, unchanged this long are stuck.
  std::chrono::seconds unsettled_after{300};
  // A `requires_action` payment unchanged this long is abandoned: canceled at Stripe and reported canceled.
  std::chrono::seconds requires_action_timeout{3600};
  int batch = 20;
  std::chrono::seconds first_retry{30};
  std::chrono::seconds max_retry{3600};
};

}  // namespace payments::worker
