// Rebalances without overlap (README, "Rebalances"): when a second worker joins, the partitions that move
// are handed over only after their running commands finished and were committed, so the new owner never
// starts a command the old owner is still running. (With WORKER_REVOKE_DRAIN_SECONDS=0 the same run sends
// about 70 of its 400 create requests twice.)
#include <doctest/doctest.h>

#include <soci/soci.h>

#include <chrono>
#include <regex>
#include <string>
#include <thread>

#include "support/commands.hpp"
#include "support/stack.hpp"

using namespace payments::testing;
using namespace std::chrono_literals;

namespace {

constexpr int kPayments = 400;

std::string payment_id(int i) { return "pay_rebal_" + std::to_string(i); }

int count_succeeded(Stack& stack) {
  int succeeded = 0;
  stack.sql([&](soci::session& s) {
    s << "SELECT COUNT(*) FROM payments WHERE status = 'succeeded'", soci::into(succeeded);
  });
  return succeeded;
}

// How many times the simulator was asked to create a PaymentIntent: once per payment unless two workers
// ran the same command (the second sends the same idempotency key, so it never charges twice, but it is
// the overlap a rebalance must not cause).
int create_requests(Stack& stack) {
  auto requests = stack.sim("GET", "/_sim/requests");
  REQUIRE(requests.status == 200);
  const auto value = json_field(requests.body, "POST /v1/payment_intents");
  return value.empty() ? 0 : std::stoi(value);
}

// The most commands the worker's drain waited for at a revocation, from its "partitions revoked" lines.
int most_running_at_revocation(const std::string& log) {
  static const std::regex line(R"re("msg":"partitions revoked".*?"waited_for":"(\d+)")re");
  int most = -1;
  for (auto it = std::sregex_iterator(log.begin(), log.end(), line); it != std::sregex_iterator(); ++it) {
    most = std::max(most, std::stoi((*it)[1].str()));
  }
  return most;
}

}  // namespace

TEST_CASE("a worker joining mid-backlog takes over partitions without running a command twice") {
  StackOptions options;
  // Stripe slow: many commands are mid-call when the partitions move, and still are when a cooperative
  // rebalance's second round hands them to the new worker a few seconds later (unless drained first).
  options.sim_latency_ms = 5000;
  options.partitions = 6;
  options.max_in_flight = 128;
  options.sim_webhooks = false;
  Stack stack(options);

  for (int i = 0; i < kPayments; ++i) {
    const auto id = payment_id(i);
    stack.produce_command(id, create_command("cmd-" + id, id, payment_data("order-" + id)));
  }
  // The first worker is busy (its in-flight bound full of slow Stripe calls) when the second joins.
  const auto busy_by = std::chrono::steady_clock::now() + 30s;
  while (create_requests(stack) < 100) {
    REQUIRE_MESSAGE(std::chrono::steady_clock::now() < busy_by, stack.logs());
    std::this_thread::sleep_for(100ms);
  }
  auto second = stack.start_extra_worker();

  const auto deadline = std::chrono::steady_clock::now() + 120s;
  while (count_succeeded(stack) < kPayments) {
    REQUIRE_MESSAGE(std::chrono::steady_clock::now() < deadline,
                    count_succeeded(stack) << " of " << kPayments << " succeeded\n" << stack.logs());
    std::this_thread::sleep_for(500ms);
  }

  const auto first_log = stack.worker().output();
  const auto second_log = second.process->output();
  // The rebalance happened while the first worker had commands of the moving partitions running...
  const int waited_for = most_running_at_revocation(first_log);
  MESSAGE("the first worker's revocation drained ", waited_for, " running commands");
  REQUIRE_MESSAGE(waited_for > 0, first_log);
  CHECK(first_log.find("revoke drain timed out") == std::string::npos);
  // ...the second worker then settled payments of its own...
  CHECK(second_log.find(R"("msg":"payment settled")") != std::string::npos);
  // ...and not one command ran on both: one create request and one charge per payment.
  CHECK(create_requests(stack) == kPayments);
  const auto charges = stack.charges_by_payment();
  int charged_once = 0;
  for (int i = 0; i < kPayments; ++i) {
    const auto it = charges.find(payment_id(i));
    if (it != charges.end() && it->second == 1) ++charged_once;
  }
  CHECK(charged_once == kPayments);
}
