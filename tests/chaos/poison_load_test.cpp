// Chaos case e: poison mixed into the steady load, one every 2 s (poison.hpp: through Kafka an overflowing
// amount, bytes that are not UTF-8, a refund and a code for payments that do not exist, a refund whose
// processing fails every time; through the API the same kinds of request). Each ends as it must, and the
// payments around it as they would without it.
#include <doctest/doctest.h>

#include <thread>

#include "chaos/chaos_load.hpp"
#include "chaos/invariants.hpp"
#include "chaos/poison.hpp"
#include "chaos/worker_group.hpp"

using namespace payments::testing;
using namespace std::chrono_literals;

TEST_CASE("poison commands mixed into the load: each ends as it must and every promise holds") {
  Stack stack(chaos_stack_options());
  WorkerGroup workers(stack, 2);
  Poison poison(stack);

  ChaosLoad load(stack);
  for (int i = 0; i < 15; ++i) {
    std::this_thread::sleep_for(2s);
    poison.inject_next();
  }
  load.stop();
  MESSAGE(load.summary());
  Offered offered = load.offered();
  offered.add(poison.offered());

  check_invariants(stack, offered, workers);
  poison.check_outcomes();
}
