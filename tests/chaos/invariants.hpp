#pragma once
// The promises of issue 14, checked after a chaos case the way a user sees them: each payment's /status on
// the API, the simulator's record of what it charged, the event topics a downstream consumer reads, the
// workers' committed offsets, and the processes' exit codes.

#include <chrono>
#include <string>

#include "chaos/offered.hpp"
#include "chaos/worker_group.hpp"
#include "support/stack.hpp"

namespace payments::testing {

// What the checks found, for the case's report (docs/reliability.md).
struct Settled {
  int payments = 0;  // taken on: answered 202 or delivered to Kafka
  int succeeded = 0;
  int failed = 0;
  int charges = 0;
  std::chrono::milliseconds took{};  // from the call until every payment was final and the lag 0
  std::string summary() const;
};

// CHECKs, for what `offered` put in:
//   - every payment taken on reaches the final status its card leads to (within `settle`);
//   - at most one charge per payment, exactly one for those succeeded, none for an order answered 503, and
//     none the load did not ask for;
//   - exactly one distinct terminal event_id per payment on payment-success / payment-failed, of its status;
//   - the workers' group has no lag on payment-commands or payment-stripe-events;
//   - the API answered only 202 or 503, replays named the first payment, no process died but the ones the
//     case killed (then stops the workers, which must exit 0).
Settled check_invariants(Stack& stack, const Offered& offered, WorkerGroup& workers,
                         std::chrono::seconds settle = std::chrono::seconds(120));

}  // namespace payments::testing
