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
#include "payments/crypto/data_cipher.hpp"
#include "payments/store/mysql_errors.hpp"

namespace soci {
class session;
}

namespace payments::store {

struct DatabaseOptions {
  MysqlSettings mysql;
  std::size_t pool_size = 8;
  std::chrono::seconds connect_timeout{5};
  // DATA_ENCRYPTION_KEY: seals and opens the sensitive payment columns (customer_id, description,
  // request_json). Without it, any read or write of a payment fails (fail closed); other tables still work.
  std::shared_ptr<const crypto::DataCipher> data_cipher;
};

class Database {
 public:
  // Opens `pool_size` connections. The error reads "MySQL unreachable at host:port/db as user: <reason>".
  static Result<std::unique_ptr<Database>> connect(const DatabaseOptions& options);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // Runs `work` with a pooled session (waiting for a free one). Exceptions from SOCI become an Error, classified
  // by the MySQL error number (mysql_errors.hpp): `unavailable` (retry later) for a lost connection, a server
  // going down or read-only after a failover, a deadlock or a lock wait timeout; `internal` otherwise. `work`
  // decides transactions itself. A transaction InnoDB rolled back to break a deadlock is run again (up to three
  // times), so `work` must start from scratch each time it is called.
  Status with_session(const std::function<void(soci::session&)>& work);

  // A round trip to the server (SELECT 1).
  Status ping();
  // Whether the server answers, as the pool's latest use saw it (a statement answered, or a connection lost or
  // not made) when that was within the last second; else a ping. Blocks: call it off the I/O threads.
  Status health();

  [[nodiscard]] const DatabaseOptions& options() const noexcept;
  // The cipher of the sensitive columns. Called inside `with_session`'s work: without one it throws, and
  // with_session answers an internal error saying DATA_ENCRYPTION_KEY is not configured.
  [[nodiscard]] const crypto::DataCipher& data_cipher() const;

  struct Impl;

 private:
  explicit Database(std::unique_ptr<Impl> impl);
  // The Error a MySQL error becomes (see classify in mysql_errors.hpp); a session whose connection is gone is
  // connected again first.
  Status failed(soci::session& session, MysqlErrc errc, const std::string& message);
  // The only way a pooled session is connected again: under the connection's TLS policy (MYSQL_SSL_MODE).
  Status reconnect(soci::session& session);
  // "MySQL unreachable at ...: <why>", remembered for health().
  Error lost(const std::string& why);
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

// Migration steps that need more than SQL, each run once after the SQL migrations and recorded in
// schema_data_steps (a re-run after a crash picks up where the last one stopped):
//   V006 seal: encrypts the plaintext customer_id, description and request_json of payments written before
//   V006. It needs `cipher` only when such values exist; then, without one, it refuses and names the variable.
struct DataStepReport {
  std::vector<std::string> applied;  // steps completed by this run
  long long values_encrypted = 0;
};
Result<DataStepReport> run_data_steps(Database& database, const crypto::DataCipher* cipher);

// `payments-admin rotate-data-key`: re-encrypts every sensitive value not under the cipher's current key,
// `batch` payments per transaction; safe to interrupt and run again. Returns how many values it re-encrypted.
Result<long long> rotate_data_key(Database& database, const crypto::DataCipher& cipher, int batch = 200);

// Applies the migrations not yet recorded in `schema_migrations`, in order, under a named lock so two
// runs never interleave. A recorded migration whose file changed since is refused by name.
Result<MigrationReport> migrate(Database& database, const std::vector<Migration>& migrations);

}  // namespace payments::store
