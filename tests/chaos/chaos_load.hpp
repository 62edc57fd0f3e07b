#pragma once
// The steady load every chaos case runs under, and the stack it runs against.

#include <map>
#include <string>

#include "chaos/command_load.hpp"
#include "chaos/offered.hpp"
#include "support/payment_load.hpp"
#include "support/stack.hpp"

namespace payments::testing {

// A stack for chaos: no worker of its own (WorkerGroup starts them), six partitions to share between two
// workers, Stripe answering after 250 ms as a real charge takes (so a fault lands on charges in flight), and
// settings that let every outcome settle within the case: reconciliation looks at an unsettled
// payment after 10 s instead of 5 minutes (a charge whose answer was lost resolves in the case), SIGTERM
// drains for 5 s, and the API's per-key rate limit is out of the way of the load and the status polls.
StackOptions chaos_stack_options();
inline constexpr int kChaosPartitions = 6;

struct ChaosLoadRates {
  int api_per_second = 30;    // with Idempotency-Keys; one in ten answered 202 is sent again
  int kafka_per_second = 6;   // straight to payment-commands; one in five declined
};

class ChaosLoad {
 public:
  explicit ChaosLoad(Stack& stack, ChaosLoadRates rates = {});
  // Stops offering and waits for the Kafka producer's last delivery reports.
  void stop();
  // After stop(): what was taken on, what may have been, what was refused.
  Offered offered() const;
  const PaymentLoad& api() const { return api_; }
  const CommandLoad& kafka() const { return kafka_; }
  // One line for the case's report: how many were offered and how they were answered.
  std::string summary() const;

 private:
  PaymentLoad api_;
  CommandLoad kafka_;
};

}  // namespace payments::testing
