// A database that goes away and comes back: the pool heals by itself, whatever state each session was left in.
// Runs a MariaDB server of its own (the shared one must stay up for everything else), kills it, starts it again.
#include <doctest/doctest.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <thread>

#include "payments/store/database.hpp"
#include "support/scratch_mariadb.hpp"

using namespace payments;
using namespace payments::testing;
using namespace std::chrono_literals;

namespace {

// Pings until one succeeds or time is up; returns whether one did.
bool answers_within(store::Database& database, std::chrono::seconds timeout) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < until) {
    if (database.ping()) return true;
    std::this_thread::sleep_for(200ms);
  }
  return false;
}

}  // namespace

TEST_CASE("after MariaDB dies and comes back, the pool reconnects by itself, even after failed reconnects") {
  ScratchMariaDb server;
  server.start();
  auto connected = store::Database::connect({.mysql = server.settings("mysql"), .pool_size = 1,
                                             .connect_timeout = std::chrono::seconds(2)});
  REQUIRE(connected);
  const auto database = std::move(connected).value();
  REQUIRE(database->ping());

  server.kill();
  // Each of these fails while the server is down, and each leaves the session in another state: lost
  // mid-query, then a reconnect that failed, then no connection at all.
  for (int i = 0; i < 4; ++i) {
    const auto down = database->ping();
    REQUIRE_FALSE(down);
    CAPTURE(down.error().message);
    CHECK(down.error().code == ErrorCode::unavailable);  // a dependency outage, never an internal error
  }

  server.start();
  CHECK(answers_within(*database, 60s));
}
