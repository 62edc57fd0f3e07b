// A database that goes away and comes back: the pool heals by itself, whatever state each session was left in.
// Runs a MariaDB server of its own (the shared one must stay up for everything else), kills it, starts it again.
#include <doctest/doctest.h>

#include <chrono>

#include "payments/store/database.hpp"
#include "support/scratch_mariadb.hpp"

using namespace payments;
using namespace payments::testing;
using namespace std::chrono_literals;

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
  CHECK(eventually([&] { return database->ping().has_value(); }, 60s));
}
