// Chaos case d: Stripe misbehaving under steady load, through the simulator's fault flags: 10 % of requests
// answered 500 before doing anything, 10 % answered 429 with Stripe-Should-Retry, and 5 % performed (the card
// charged) but never answered, so the worker's attempt times out not knowing the outcome. One attempt waits
// 2 s here (STRIPE_TIMEOUT_SECONDS), so the retries with the same idempotency key run within the case.
#include <doctest/doctest.h>

#include <string>
#include <thread>

#include "chaos/chaos_load.hpp"
#include "chaos/invariants.hpp"
#include "chaos/worker_group.hpp"

using namespace payments::testing;
using namespace std::chrono_literals;

TEST_CASE("Stripe answering 500, 429 and nothing after charging under load: every promise holds") {
  StackOptions options = chaos_stack_options();
  options.sim_args = {"--fail-rate", "0.1", "--rate-limit-rate", "0.1", "--timeout-rate", "0.05"};
  options.worker_env.emplace("STRIPE_TIMEOUT_SECONDS", "2");
  Stack stack(options);
  WorkerGroup workers(stack, 2);

  ChaosLoad load(stack);
  std::this_thread::sleep_for(30s);
  load.stop();
  const Offered offered = load.offered();
  MESSAGE(load.summary());

  check_invariants(stack, offered, workers);
  // The faults were drawn: about one charge request in four failed and was tried again.
  const auto asked = std::stol(json_field(stack.sim("GET", "/_sim/requests").body, "POST /v1/payment_intents"));
  MESSAGE("Stripe was asked to charge " << asked << " times for " << offered.expected_status.size() << " payments");
  CHECK(static_cast<double>(asked) > 1.15 * static_cast<double>(offered.expected_status.size()));
}
