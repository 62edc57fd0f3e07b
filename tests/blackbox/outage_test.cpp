// An outage under load ends by itself: MariaDB, or the Kafka broker, is killed and started again while
// payments flow, and the services reconnect without a restart. Each test runs a server of its own (the shared
// ones stay up).
#include <doctest/doctest.h>

#include <chrono>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "support/payment_load.hpp"
#include "support/scratch_kafka.hpp"
#include "support/scratch_mariadb.hpp"
#include "support/stack.hpp"

using namespace payments::testing;
using namespace std::chrono_literals;

TEST_CASE("MariaDB killed and restarted under load: /ready recovers and every accepted payment completes once") {
  ScratchMariaDb database;
  database.start();
  Stack stack({.sim_latency_ms = 100, .mysql_env = database.env()});
  std::vector<std::string> accepted;
  auto pay = [&](int i) {
    auto r = stack.post_payment(R"({"order_id":"outage-)" + std::to_string(i) +
                                R"(","amount":1200,"currency":"usd","payment_method":"pm_card_visa"})");
    if (r.status == 202) accepted.push_back(json_field(r.body, "payment_id"));
    return r.status;
  };
  for (int i = 0; i < 20; ++i) REQUIRE(pay(i) == 202);

  database.kill();
  // While it is down, nothing is accepted that was not written: a payment is 503, never 202 or 500.
  for (int i = 20; i < 25; ++i) {
    const int status = pay(i);
    CHECK((status == 503 || status == 202));
  }
  CHECK(eventually([&] { return stack.admin_get("/ready").status == 503; }, 15s));

  database.start();
  // No restart of the API or the worker: they find the database again by themselves.
  CHECK(eventually([&] { return stack.admin_get("/ready").status == 200; }, 30s));
  for (int i = 25; i < 35; ++i) CHECK(pay(i) == 202);
  for (const auto& id : accepted) {
    CAPTURE(id);
    CHECK(stack.wait_for_status(id, 90s) == "succeeded");
    CHECK(stack.charges_for(id) == 1);
  }
}

TEST_CASE("Kafka killed and restarted under load: /ready recovers and every accepted payment completes once") {
  ScratchKafka broker;
  broker.start();
  Stack stack({.sim_latency_ms = 50, .kafka_env = broker.env()});
  PaymentLoad load(stack, {.per_second = 25, .callers = 8});
  std::this_thread::sleep_for(4s);
  const auto before_outage = load.answers();
  CHECK(before_outage.size() == 1);  // every payment accepted while Kafka is up
  CHECK(before_outage.contains(202));

  broker.kill();
  const auto killed = std::chrono::steady_clock::now();
  // While it is down, nothing is accepted that was not queued: a payment is 503 (after the API's 5 s wait for
  // the broker), never a 500; one already on its way when the broker died may still be 202.
  CHECK(eventually([&] { return stack.admin_get("/ready").status == 503; }, 10s));
  std::this_thread::sleep_until(killed + 10s);
  for (const auto& [status, count] : answers_since(before_outage, load.answers())) {
    CAPTURE(status);
    CHECK((status == 202 || status == 503));
  }

  broker.start();
  const auto returned = std::chrono::steady_clock::now();
  // No restart of the API or the worker: they find the broker again by themselves, within seconds.
  CHECK(eventually([&] { return stack.admin_get("/ready").status == 200; }, 10s));
  MESSAGE("/ready 200 again " << std::chrono::duration_cast<std::chrono::milliseconds>(
                                     std::chrono::steady_clock::now() - returned).count()
                              << " ms after the broker's return");
  const auto after_return = load.answers();
  CHECK(eventually([&] { return answers_since(after_return, load.answers()).contains(202); }, 10s));
  std::this_thread::sleep_for(2s);
  load.stop();
  // Payments offered while the broker was gone were refused. (Their 503s may come after the 10 s: see
  // slowest_ms.)
  CHECK(load.answers()[503] > 0);
  CHECK(load.answers().size() == 2);

  const auto accepted = load.accepted();
  MESSAGE(accepted.size() << " payments accepted; answers: 202 x " << load.answers()[202] << ", 503 x "
                          << load.answers()[503] << "; slowest answer " << load.slowest_ms() << " ms");
  for (const auto& id : accepted) {
    CAPTURE(id);
    CHECK(stack.wait_for_status(id, 60s) == "succeeded");
    CHECK(stack.charges_for(id) == 1);
  }
  // One terminal event per accepted payment (they all succeeded): redelivered copies keep their event_id.
  std::map<std::string, std::set<std::string>> event_ids;
  for (const auto& e : stack.read_topic(stack.topics().success, accepted.size(), 30s)) {
    event_ids[e.key].insert(json_field(e.value, "event_id"));
  }
  for (const auto& id : accepted) {
    CAPTURE(id);
    CHECK(event_ids[id].size() == 1);
  }
  // The same processes all along.
  CHECK(stack.api().running());
  CHECK(stack.worker().running());
}
