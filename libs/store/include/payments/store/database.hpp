#pragma once
// A pool of MySQL/MariaDB connections through SOCI. SOCI and the client library stay out of this header.

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "payments/core/config.hpp"
#include "payments/core/result.hpp"

namespace soci {
class session;
class mysql_soci_error;
}

namespace payments::store {

struct DatabaseOptions {
  MysqlSettings mysql;
  std::size_t pool_size = 8;
  std::chrono::seconds connect_timeout{5};
};

class Database {
 public:
  // Opens `pool_size` connections. The error reads "MySQL unreachable at host:port/db as user: <reason>".
  static Result<std::unique_ptr<Database>> connect(const DatabaseOptions& options);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // Runs `work` with a pooled session (waiting for a free one). Exceptions from SOCI become an Error with
  // the SQL error text; `work` decides transactions itself. A transaction InnoDB rolled back to break a
  // deadlock is run again (up to three times), so `work` must start from scratch each time it is called.
  Status with_session(const std::function<void(soci::session&)>& work);

  // A round trip to the server (SELECT 1).
  Status ping();

  [[nodiscard]] const DatabaseOptions& options() const noexcept;

  struct Impl;

 private:
  explicit Database(std::unique_ptr<Impl> impl);
  Status classify(soci::session& session, const soci::mysql_soci_error& error);
  std::unique_ptr<Impl> impl_;
};

struct Migration {
  int version = 0;
  std::string name;      // file name, e.g. V001__payments.sql
  std::string checksum;  // SHA-256 of the file, hex
  std::string sql;
};

// Reads `V<number>__<name>.sql` files in version order; anything else in the folder is an error.
Result<std::vector<Migration>> load_migrations(const std::filesystem::path& directory);

struct MigrationReport {
  std::vector<std::string> applied;  // names applied by this run
  std::size_t already_applied = 0;
};

// Applies the migrations not yet recorded in `schema_migrations`, in order, under a named lock so two
// runs never interleave. A recorded migration whose file changed since is refused by name.
Result<MigrationReport> migrate(Database& database, const std::vector<Migration>& migrations);

}  // namespace payments::store
