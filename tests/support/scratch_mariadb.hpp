#pragma once
// A throwaway MariaDB server of a test's own (its own data directory and free port), for tests that kill the
// database and start it again: the shared server must stay up for every other test. Root has no password; the
// services' account (MYSQL_USER / MYSQL_PASSWORD of the environment) exists with no rights until a test grants
// them.

#include <pwd.h>
#include <soci/soci.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include <doctest/doctest.h>

#include "payments/store/database.hpp"
#include "support/http_client.hpp"
#include "support/process.hpp"
#include "support/test_env.hpp"

namespace payments::testing {

class ScratchMariaDb {
 public:
  ScratchMariaDb()
      : dir_(std::filesystem::temp_directory_path() / unique_name("payments-mariadb")), port_(free_port()) {
    std::filesystem::create_directories(dir_);
    ChildProcess install("/usr/bin/mariadb-install-db",
                         {"--no-defaults", "--user=" + user(), "--datadir=" + (dir_ / "data").string(),
                          "--auth-root-authentication-method=normal", "--skip-test-db"},
                         {}, (dir_ / "install.log").string());
    REQUIRE_MESSAGE(install.wait_exit(std::chrono::seconds(120)) == 0, install.output());
  }
  ~ScratchMariaDb() {
    server_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  ScratchMariaDb(const ScratchMariaDb&) = delete;
  ScratchMariaDb& operator=(const ScratchMariaDb&) = delete;

  // Starts the server (again, after kill(): same data, same port) and waits until root can log in.
  void start() {
    server_ = std::make_unique<ChildProcess>(
        "/usr/sbin/mariadbd",
        std::vector<std::string>{"--no-defaults", "--user=" + user(), "--datadir=" + (dir_ / "data").string(),
                                 "--bind-address=127.0.0.1", "--port=" + std::to_string(port_),
                                 "--socket=" + (dir_ / "mariadbd.sock").string(), "--skip-log-bin",
                                 "--innodb-buffer-pool-size=32M", "--max-connections=200",
                                 "--character-set-server=utf8mb4", "--collation-server=utf8mb4_bin",
                                 "--log-error=" + (dir_ / "error.log").string()},
        std::map<std::string, std::string>{}, (dir_ / "stdout.log").string());
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (std::chrono::steady_clock::now() < until) {
      auto root = store::Database::connect({.mysql = settings("mysql"), .pool_size = 1,
                                            .connect_timeout = std::chrono::seconds(2)});
      if (root) {
        if (!accounts_made_) make_service_account(*root.value());
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
    FAIL("the scratch MariaDB on port " << port_ << " never accepted root");
  }
  // SIGKILL: the server dies mid-whatever, as in a crash or a failover.
  void kill() { server_->stop(SIGKILL); }
  // SIGSTOP / SIGCONT: the server hangs (connections accepted, nothing answered), then recovers.
  void signal(int signal) { server_->signal(signal); }

  // Root on this server, for `database`.
  MysqlSettings settings(const std::string& database) const {
    MysqlSettings m;
    m.host = "127.0.0.1";
    m.port = port_;
    m.user = "root";
    m.database = database;
    return m;
  }
  // MYSQL_HOST / MYSQL_PORT for a Stack (StackOptions::mysql_env).
  std::map<std::string, std::string> env() const {
    return {{"MYSQL_HOST", "127.0.0.1"}, {"MYSQL_PORT", std::to_string(port_)}};
  }

 private:
  static std::string user() { return getpwuid(getuid())->pw_name; }  // mariadbd runs as whoever runs the test

  void make_service_account(store::Database& root) {
    const auto app_user = env_or("MYSQL_USER", "payments_app");
    const auto password = env_or("MYSQL_PASSWORD", "payments_app_dev");
    REQUIRE(root.with_session([&](soci::session& sql) {
      for (const char* host : {"%", "localhost"}) {
        sql << "CREATE USER IF NOT EXISTS '" + app_user + "'@'" + host + "' IDENTIFIED BY '" + password + "'";
      }
    }));
    accounts_made_ = true;
  }

  std::filesystem::path dir_;
  std::uint16_t port_;
  std::unique_ptr<ChildProcess> server_;
  bool accounts_made_ = false;
};

}  // namespace payments::testing
