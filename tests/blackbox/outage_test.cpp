// A database outage under load ends by itself: MariaDB is killed and started again while payments flow, and
// the services reconnect without a restart. Runs a MariaDB of the test's own (the shared one stays up).
#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <vector>

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
