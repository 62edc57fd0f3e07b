// Chaos case a: one of two workers, chosen at random, SIGKILLed every 4 s under steady load (no drain, no
// commit: its partitions' commands are redelivered to whichever worker gets them next) and a new one started.
#include <doctest/doctest.h>

#include <random>
#include <thread>

#include "chaos/chaos_load.hpp"
#include "chaos/invariants.hpp"
#include "chaos/worker_group.hpp"

using namespace payments::testing;
using namespace std::chrono_literals;

TEST_CASE("a random worker SIGKILLed every 4 s under load and replaced: every promise holds") {
  Stack stack(chaos_stack_options());
  WorkerGroup workers(stack, 2);
  const auto seed = std::random_device{}();
  MESSAGE("workers killed in the order of seed " << seed);
  std::mt19937 random(seed);

  ChaosLoad load(stack);
  for (int kill = 0; kill < 8; ++kill) {
    std::this_thread::sleep_for(4s);
    workers.kill_one_and_replace(random);
  }
  std::this_thread::sleep_for(2s);
  load.stop();
  MESSAGE(load.summary() << "; " << workers.kills() << " workers killed");

  check_invariants(stack, load.offered(), workers);
}
