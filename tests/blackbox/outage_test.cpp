// An outage under load ends by itself: MariaDB, or the Kafka broker, is killed and started again while
// payments flow, and the services reconnect without a restart. Each test runs a server of its own (the shared
// ones stay up).
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

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

namespace {

// Payments offered through the API at a steady rate by a few callers at once (one caller waiting out a 503
// does not hold the others up); remembers every answer, and the payments that got a 202.
class PaymentLoad {
 public:
  PaymentLoad(Stack& stack, int per_second, int callers = 4) : stack_(stack) {
    const auto pause = std::chrono::milliseconds(1000 * callers / per_second);
    for (int c = 0; c < callers; ++c) {
      callers_.emplace_back([this, c, callers, pause] {
        for (int i = c; !stop_.load(); i += callers) {
          const auto next = std::chrono::steady_clock::now() + pause;
          offer(i);
          std::this_thread::sleep_until(next);
        }
      });
    }
  }
  ~PaymentLoad() { stop(); }
  PaymentLoad(const PaymentLoad&) = delete;
  PaymentLoad& operator=(const PaymentLoad&) = delete;

  void stop() {
    stop_ = true;
    for (auto& caller : callers_) {
      if (caller.joinable()) caller.join();
    }
  }
  // How many answers of each HTTP status so far.
  std::map<int, int> answers() const {
    std::lock_guard lock(mutex_);
    return answers_;
  }
  std::vector<std::string> accepted() const {
    std::lock_guard lock(mutex_);
    return accepted_;
  }
  long slowest_ms() const {
    std::lock_guard lock(mutex_);
    return slowest_ms_;
  }

 private:
  void offer(int i) {
    const auto sent = std::chrono::steady_clock::now();
    auto r = stack_.post_payment(R"({"order_id":"load-)" + std::to_string(i) +
                                 R"(","amount":1200,"currency":"usd","payment_method":"pm_card_visa"})");
    const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - sent);
    std::lock_guard lock(mutex_);
    slowest_ms_ = std::max<long>(slowest_ms_, took.count());
    ++answers_[r.status];
    if (r.status == 202) accepted_.push_back(json_field(r.body, "payment_id"));
  }

  Stack& stack_;
  std::atomic<bool> stop_{false};
  mutable std::mutex mutex_;
  std::map<int, int> answers_;
  long slowest_ms_ = 0;
  std::vector<std::string> accepted_;
  std::vector<std::thread> callers_;
};

// Answers of each status between two snapshots of PaymentLoad::answers().
std::map<int, int> since(const std::map<int, int>& before, std::map<int, int> now) {
  for (const auto& [status, count] : before) now[status] -= count;
  std::erase_if(now, [](const auto& entry) { return entry.second == 0; });
  return now;
}

}  // namespace

TEST_CASE("Kafka killed and restarted under load: /ready recovers and every accepted payment completes once") {
  ScratchKafka broker;
  broker.start();
  Stack stack({.sim_latency_ms = 50, .kafka_env = broker.env()});
  PaymentLoad load(stack, 25, 8);
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
  for (const auto& [status, count] : since(before_outage, load.answers())) {
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
  CHECK(eventually([&] { return since(after_return, load.answers()).contains(202); }, 10s));
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
