// Stripe pacing (README, "Stripe pacing"): a worker with a backlog sends Stripe no more than
// STRIPE_MAX_REQUESTS_PER_SECOND, so an account's rate limit is met with a handful of 429s instead of a wall
// of them; and without pacing, the 429s cost time but never correctness.
#include <doctest/doctest.h>

#include <soci/soci.h>

#include <chrono>
#include <string>
#include <thread>

#include "support/commands.hpp"
#include "support/stack.hpp"

using namespace payments::testing;
using namespace std::chrono_literals;

namespace {

constexpr int kBacklog = 1000;
constexpr int kSimRateLimit = 50;  // requests a second, like Stripe's per-account limit

std::string payment_id(int i) { return "pay_pace_" + std::to_string(i); }

void produce_backlog(Stack& stack) {
  for (int i = 0; i < kBacklog; ++i) {
    const auto id = payment_id(i);
    stack.produce_command(id, create_command("cmd-" + id, id, payment_data("order-" + id)));
  }
}

int count_succeeded(Stack& stack) {
  int succeeded = 0;
  stack.sql([&](soci::session& s) {
    s << "SELECT COUNT(*) FROM payments WHERE status = 'succeeded'", soci::into(succeeded);
  });
  return succeeded;
}

// Waits until every payment of the backlog succeeded; returns how long that took.
std::chrono::seconds wait_all_succeeded(Stack& stack, std::chrono::seconds timeout) {
  const auto start = std::chrono::steady_clock::now();
  while (count_succeeded(stack) < kBacklog) {
    REQUIRE_MESSAGE(std::chrono::steady_clock::now() - start < timeout,
                    "only " << count_succeeded(stack) << " of " << kBacklog << " succeeded\n" << stack.logs());
    std::this_thread::sleep_for(500ms);
  }
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - start);
}

// 429s the simulator's rate limit answered, from GET /_sim/faults.
int rate_limited(Stack& stack) {
  auto faults = stack.sim("GET", "/_sim/faults");
  REQUIRE(faults.status == 200);
  const auto at = faults.body.find(R"("rate_limited":)");
  REQUIRE(at != std::string::npos);
  return std::stoi(faults.body.substr(at + 15));
}

void check_one_charge_each(Stack& stack) {
  const auto charges = stack.charges_by_payment();
  int charged_once = 0;
  for (int i = 0; i < kBacklog; ++i) {
    const auto it = charges.find(payment_id(i));
    const int count = it == charges.end() ? 0 : it->second;
    if (count != 1) FAIL_CHECK(payment_id(i) << " was charged " << count << " times");
    if (count == 1) ++charged_once;
  }
  CHECK(charged_once == kBacklog);
}

StackOptions limited_stack() {
  StackOptions options;
  options.sim_latency_ms = 20;
  options.sim_args = {"--rate-limit", std::to_string(kSimRateLimit)};
  options.partitions = 6;
  options.max_in_flight = 256;
  options.start_worker = false;  // the backlog is there before the worker starts
  options.sim_webhooks = false;
  return options;
}

}  // namespace

TEST_CASE("paced at the account's limit, a backlog of 1,000 payments meets at most a handful of 429s") {
  Stack stack(limited_stack());
  produce_backlog(stack);
  stack.start_worker({{"STRIPE_MAX_REQUESTS_PER_SECOND", std::to_string(kSimRateLimit)}});

  const auto took = wait_all_succeeded(stack, 90s);
  MESSAGE("1,000 payments at ", kSimRateLimit, "/s took ", took.count(), " s with ", rate_limited(stack), " 429s");
  CHECK(rate_limited(stack) <= 5);
  check_one_charge_each(stack);
  // The pacer is what bounds the time: 1,000 requests at 50/s, less a burst, is about 20 s.
  CHECK(took >= 15s);
}

TEST_CASE("without pacing the same backlog hits many 429s and still ends with one charge each") {
  Stack stack(limited_stack());
  produce_backlog(stack);
  stack.start_worker({{"STRIPE_MAX_REQUESTS_PER_SECOND", "0"},
                      // What the client gives up on is left to reconciliation: let it look soon.
                      {"RECONCILE_INTERVAL_SECONDS", "2"},
                      {"RECONCILE_UNSETTLED_AFTER_SECONDS", "5"}});

  const auto took = wait_all_succeeded(stack, 180s);
  MESSAGE("1,000 payments unpaced took ", took.count(), " s with ", rate_limited(stack), " 429s");
  CHECK(rate_limited(stack) >= 100);
  check_one_charge_each(stack);
}
