// Chaos case b: the Kafka broker SIGKILLed under steady load and started again 10 s later. A broker of the
// case's own (tools/dev/kafka.sh run on free ports): the shared one stays up for every other test.
#include <doctest/doctest.h>

#include <thread>

#include "chaos/chaos_load.hpp"
#include "chaos/invariants.hpp"
#include "chaos/worker_group.hpp"
#include "support/scratch_kafka.hpp"

using namespace payments::testing;
using namespace std::chrono_literals;

TEST_CASE("the Kafka broker SIGKILLed under load and restarted after 10 s: every promise holds") {
  ScratchKafka broker;
  broker.start();
  StackOptions options = chaos_stack_options();
  options.kafka_env = broker.env();
  Stack stack(options);
  WorkerGroup workers(stack, 2);

  ChaosLoad load(stack);
  std::this_thread::sleep_for(8s);
  broker.kill();
  std::this_thread::sleep_for(10s);
  broker.start();
  // No restart of the API or the workers: they find the broker again by themselves.
  CHECK(eventually([&] { return stack.admin_get("/ready").status == 200; }, 30s));
  std::this_thread::sleep_for(8s);
  load.stop();
  const Offered offered = load.offered();
  MESSAGE(load.summary());
  CHECK(offered.api_answers.contains(503));  // the outage was seen: payments offered meanwhile were refused

  check_invariants(stack, offered, workers);
}
