// Crash safety and sharing: a worker killed at any instant and restarted, or two workers sharing a backlog, end
// with exactly one charge per payment.
#include <doctest/doctest.h>

#include <csignal>
#include <set>
#include <thread>

#include "support/scratch_mariadb.hpp"
#include "support/stack.hpp"

using namespace payments::testing;
using namespace std::chrono_literals;

TEST_CASE("a worker SIGKILLed mid-flight and restarted charges every payment exactly once") {
  // Slow Stripe, so the kill lands while many charges are in flight.
  Stack stack({.sim_latency_ms = 400, .max_in_flight = 64});
  std::vector<std::string> ids;
  for (int i = 0; i < 40; ++i) {
    auto r = stack.post_payment(R"({"order_id":"crash-)" + std::to_string(i) +
                                R"(","amount":1500,"currency":"eur","payment_method":"pm_card_visa"})");
    REQUIRE(r.status == 202);
    ids.push_back(json_field(r.body, "payment_id"));
  }
  std::this_thread::sleep_for(600ms);
  stack.kill_worker();
  stack.start_worker();
  std::this_thread::sleep_for(300ms);
  stack.kill_worker();
  stack.start_worker();

  for (const auto& id : ids) {
    CAPTURE(id);
    CHECK(stack.wait_for_status(id, 60s) == "succeeded");
    CHECK(stack.charges_for(id) == 1);
  }
  auto events = stack.read_topic(stack.topics().success, ids.size(), 60s);
  std::set<std::string> paid;
  std::set<std::string> event_ids;
  for (const auto& e : events) {
    paid.insert(e.key);
    event_ids.insert(json_field(e.value, "event_id"));
  }
  CHECK(paid.size() == ids.size());       // no payment lost its event
  CHECK(event_ids.size() == ids.size());  // a redelivered event keeps its id, so consumers deduplicate
}

TEST_CASE("a worker stopped with SIGTERM drains and exits cleanly") {
  Stack stack({.sim_latency_ms = 300});
  std::vector<std::string> ids;
  for (int i = 0; i < 10; ++i) {
    auto r = stack.post_payment(R"({"order_id":"drain-)" + std::to_string(i) +
                                R"(","amount":1500,"currency":"usd","payment_method":"pm_card_visa"})");
    REQUIRE(r.status == 202);
    ids.push_back(json_field(r.body, "payment_id"));
  }
  std::this_thread::sleep_for(500ms);
  CHECK(stack.stop_worker() == 0);
  stack.start_worker();
  for (const auto& id : ids) {
    CHECK(stack.wait_for_status(id, 60s) == "succeeded");
    CHECK(stack.charges_for(id) == 1);
  }
}

TEST_CASE("SIGTERM while Stripe hangs: the worker drains for WORKER_SHUTDOWN_DRAIN_SECONDS, says what it left, exits 0") {
  Stack stack({.sim_latency_ms = 200, .worker_env = {{"WORKER_SHUTDOWN_DRAIN_SECONDS", "2"}}});
  // Stripe stops answering: every charge the worker starts now waits on it.
  stack.signal_simulator(SIGSTOP);
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    auto r = stack.post_payment(R"({"order_id":"hang-)" + std::to_string(i) +
                                R"(","amount":1500,"currency":"usd","payment_method":"pm_card_visa"})");
    REQUIRE(r.status == 202);
    ids.push_back(json_field(r.body, "payment_id"));
  }
  std::this_thread::sleep_for(2s);  // the commands are in flight, waiting on Stripe
  const auto started = std::chrono::steady_clock::now();
  const int status = stack.stop_worker();
  const auto took = std::chrono::steady_clock::now() - started;
  CHECK(status == 0);
  CHECK(took < 2s + 5s + 3s);  // the drain, the grace after it, and slack for a loaded machine
  const auto logs = stack.logs();
  CHECK(logs.find("commands left to redelivery") != std::string::npos);
  CHECK(logs.find(R"("left":"0")") == std::string::npos);  // it did leave some

  // Stripe answers again; the next worker takes the redelivered commands and charges each payment once.
  stack.signal_simulator(SIGCONT);
  stack.start_worker();
  for (const auto& id : ids) {
    CHECK(stack.wait_for_status(id, 90s) == "succeeded");
    CHECK(stack.charges_for(id) == 1);
  }
}

namespace {

// The value of one Prometheus sample, `name{labels} value`, given as "name{labels}"; 0 when absent.
long sample(const std::string& metrics, const std::string& series) {
  const auto at = metrics.find("\n" + series + " ");
  if (at == std::string::npos) return 0;
  return std::stol(metrics.substr(at + series.size() + 2));
}

}  // namespace

TEST_CASE("two workers in one group share a backlog and charge every payment exactly once") {
  // Slow enough that one worker alone would need about 9 s, so the second joins while there is work left.
  Stack stack({.sim_latency_ms = 300, .partitions = 6, .max_in_flight = 8, .start_worker = false});
  // A backlog waiting in Kafka before any worker runs, as order services would leave it.
  std::vector<std::string> ids;
  for (int i = 0; i < 240; ++i) {
    const std::string id = "pay_shared_" + std::to_string(i);
    ids.push_back(id);
    stack.produce_command(id, R"({"command_id":"cmd-shared-)" + std::to_string(i) +
                                  R"(","type":"payment.create","payment_id":")" + id +
                                  R"(","issued_at":"2026-11-22T10:00:00Z","data":{"order_id":"shared-)" +
                                  std::to_string(i) + R"(","amount":1200,"currency":"usd","payment_method":"pm_card_visa"}})");
  }
  stack.start_worker();
  auto second = stack.start_extra_worker();

  for (const auto& id : ids) {
    CAPTURE(id);
    CHECK(stack.wait_for_status(id, 60s) == "succeeded");
    CHECK(stack.charges_for(id) == 1);
  }
  // Both took part. A command in flight when its partition moved may be applied by both: never charged twice.
  const std::string applied = R"(payments_worker_commands_total{type="payment.create",outcome="applied"})";
  long by_first = 0;
  long by_second = 0;
  for (int i = 0; i < 100; ++i) {  // a payment shows succeeded a moment before its command is recorded done
    by_first = sample(stack.worker_metrics(), applied);
    by_second = sample(stack.worker_metrics(second.metrics_port), applied);
    if (by_first + by_second >= static_cast<long>(ids.size())) break;
    std::this_thread::sleep_for(100ms);
  }
  CHECK(by_first > 0);
  CHECK(by_second > 0);
  CHECK(by_first + by_second >= static_cast<long>(ids.size()));

  std::set<std::string> event_ids;
  std::set<std::string> paid;
  for (const auto& e : stack.read_topic(stack.topics().success, ids.size(), 30s)) {
    paid.insert(e.key);
    event_ids.insert(json_field(e.value, "event_id"));
  }
  CHECK(paid.size() == ids.size());
  CHECK(event_ids.size() == ids.size());
  CHECK(second.process->stop(SIGTERM) == 0);
}

TEST_CASE("SIGTERM with MariaDB down: the worker drains for WORKER_SHUTDOWN_DRAIN_SECONDS, says what it left, exits 0") {
  // Down as after a crash (connections refused), or hung (connections open, nothing ever answered).
  bool hung = false;
  SUBCASE("killed") {}
  SUBCASE("hung") { hung = true; }
  ScratchMariaDb database;
  database.start();
  Stack stack({.sim_latency_ms = 1500, .worker_env = {{"WORKER_SHUTDOWN_DRAIN_SECONDS", "3"}},
               .mysql_env = database.env()});
  std::vector<std::string> ids;
  for (int i = 0; i < 10; ++i) {
    auto r = stack.post_payment(R"({"order_id":"db-down-)" + std::to_string(i) +
                                R"(","amount":1500,"currency":"usd","payment_method":"pm_card_visa"})");
    REQUIRE(r.status == 202);
    ids.push_back(json_field(r.body, "payment_id"));
  }
  std::this_thread::sleep_for(500ms);  // the charges are at Stripe, which answers after 1.5 s
  // So the worker has nowhere to record their outcome.
  if (hung) {
    database.signal(SIGSTOP);
  } else {
    database.kill();
  }
  std::this_thread::sleep_for(2s);
  const auto started = std::chrono::steady_clock::now();
  const int status = stack.stop_worker();
  const auto took = std::chrono::steady_clock::now() - started;
  MESSAGE("the worker exited " << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
                               << " ms after SIGTERM with status " << status);
  CHECK(status == 0);
  CHECK(took < 3s + 5s + 2s);  // the drain, the grace after it, and slack for a loaded machine
  // One line says how many commands were left, and some were.
  const auto log = stack.worker().output();
  std::size_t lines = 0;
  for (auto at = log.find("commands left to redelivery"); at != std::string::npos;
       at = log.find("commands left to redelivery", at + 1)) {
    ++lines;
  }
  CHECK(lines == 1);
  CHECK(log.find(R"("left":"0")") == std::string::npos);

  // The database returns; the next worker takes the redelivered commands and charges each payment once.
  if (hung) {
    database.signal(SIGCONT);
  } else {
    database.start();
  }
  stack.start_worker();
  for (const auto& id : ids) {
    CAPTURE(id);
    CHECK(stack.wait_for_status(id, 60s) == "succeeded");
    CHECK(stack.charges_for(id) == 1);
  }
}
