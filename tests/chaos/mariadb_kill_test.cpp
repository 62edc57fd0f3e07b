// Chaos case c: MariaDB SIGKILLed under steady load and started again (crash recovery of InnoDB included). A
// server of the case's own (mariadbd on a free port, its own data directory): the shared one stays up for
// every other test.
#include <doctest/doctest.h>

#include <thread>

#include "chaos/chaos_load.hpp"
#include "chaos/invariants.hpp"
#include "chaos/worker_group.hpp"
#include "support/scratch_mariadb.hpp"

using namespace payments::testing;
using namespace std::chrono_literals;

TEST_CASE("MariaDB SIGKILLed under load and restarted: every promise holds") {
  ScratchMariaDb database;
  database.start();
  StackOptions options = chaos_stack_options();
  options.mysql_env = database.env();
  Stack stack(options);
  WorkerGroup workers(stack, 2);

  ChaosLoad load(stack);
  std::this_thread::sleep_for(8s);
  database.kill();
  std::this_thread::sleep_for(8s);
  database.start();
  // No restart of the API or the workers: they find the database again by themselves.
  CHECK(eventually([&] { return stack.admin_get("/ready").status == 200; }, 30s));
  std::this_thread::sleep_for(10s);
  load.stop();
  const Offered offered = load.offered();
  MESSAGE(load.summary());
  CHECK(offered.api_answers.contains(503));  // the outage was seen: payments offered meanwhile were refused

  check_invariants(stack, offered, workers);
}
