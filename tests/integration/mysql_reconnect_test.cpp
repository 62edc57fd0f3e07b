// A database that goes away and comes back: the pool heals by itself, whatever state each session was left in.
// Runs a MariaDB server of its own (the shared one must stay up for everything else), kills it, starts it again.
#include <doctest/doctest.h>

#include <pwd.h>
#include <sys/types.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <thread>

#include "payments/store/database.hpp"
#include "support/http_client.hpp"
#include "support/process.hpp"
#include "support/test_env.hpp"

using namespace payments;
using namespace payments::testing;
using namespace std::chrono_literals;

namespace {

// A throwaway mariadbd on a free port with its own data directory.
class ScratchServer {
 public:
  ScratchServer() : dir_(std::filesystem::temp_directory_path() / unique_name("payments-mariadb")), port_(free_port()) {
    std::filesystem::create_directories(dir_);
    ChildProcess install("/usr/bin/mariadb-install-db",
                         {"--no-defaults", "--user=" + user(), "--datadir=" + (dir_ / "data").string(),
                          "--auth-root-authentication-method=normal", "--skip-test-db"},
                         {}, (dir_ / "install.log").string());
    REQUIRE_MESSAGE(install.wait_exit(120s) == 0, install.output());
  }
  ~ScratchServer() {
    server_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  void start() {
    server_ = std::make_unique<ChildProcess>(
        "/usr/sbin/mariadbd",
        std::vector<std::string>{"--no-defaults", "--user=" + user(), "--datadir=" + (dir_ / "data").string(),
                                 "--bind-address=127.0.0.1", "--port=" + std::to_string(port_),
                                 "--socket=" + (dir_ / "mariadbd.sock").string(), "--skip-log-bin",
                                 "--innodb-buffer-pool-size=16M", "--log-error=" + (dir_ / "error.log").string()},
        std::map<std::string, std::string>{}, (dir_ / "stdout.log").string());
  }
  void kill() { server_->stop(SIGKILL); }

  MysqlSettings settings() const {
    MysqlSettings m;
    m.host = "127.0.0.1";
    m.port = port_;
    m.user = "root";
    m.database = "mysql";
    return m;
  }

 private:
  static std::string user() { return getpwuid(getuid())->pw_name; }  // mariadbd runs as whoever runs the test
  std::filesystem::path dir_;
  std::uint16_t port_;
  std::unique_ptr<ChildProcess> server_;
};

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
  ScratchServer server;
  server.start();
  std::unique_ptr<store::Database> database;
  const auto until = std::chrono::steady_clock::now() + 60s;
  while (!database && std::chrono::steady_clock::now() < until) {
    auto connected = store::Database::connect({.mysql = server.settings(), .pool_size = 1,
                                               .connect_timeout = std::chrono::seconds(2)});
    if (connected) database = std::move(connected).value();
    else std::this_thread::sleep_for(250ms);
  }
  REQUIRE_MESSAGE(database, "the scratch MariaDB never accepted a connection");
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
