// Crash safety: a worker killed at any instant and restarted ends with exactly one charge per payment.
#include <doctest/doctest.h>

#include <set>

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
