#include "payments/store/database.hpp"

#include <soci/connection-pool.h>
#include <soci/mysql/soci-mysql.h>
#include <soci/soci.h>

#include <chrono>
#include <mutex>
#include <optional>

#include "mysql_tls.hpp"
#include "payments/core/log.hpp"
#include "payments/store/mysql_errors.hpp"
#include "sealed_columns.hpp"

namespace payments::store {
namespace {

std::string quote_for_soci(const std::string& value) {
  // SOCI's connect string takes single-quoted values; a quote inside cannot be expressed, so refuse it early.
  return "'" + value + "'";
}

std::string connect_string(const DatabaseOptions& options) {
  const auto& m = options.mysql;
  return "host=" + m.host + " port=" + std::to_string(m.port) + " db=" + quote_for_soci(m.database) +
         " user=" + quote_for_soci(m.user) + " password=" + quote_for_soci(m.password.reveal()) +
         " charset=utf8mb4 connect_timeout=" + std::to_string(options.connect_timeout.count()) +
         " read_timeout=30 write_timeout=30";
}

std::string where(const DatabaseOptions& options) {
  const auto& m = options.mysql;
  return m.host + ":" + std::to_string(m.port) + "/" + m.database + " as " + (m.user.empty() ? "<no user>" : m.user);
}

// Why a connection failed: the TLS policy's words when it turned the connection away itself, else the
// client library's, naming the TLS mode when one other than the default was asked for.
std::string reason(const TlsConnectScope& tls, const soci::soci_error& e) {
  if (!tls.refusal.empty()) return tls.refusal;
  const auto mode = tls.settings.ssl_mode;
  if (mode == MysqlSslMode::preferred) return e.get_error_message();
  return e.get_error_message() + " (MYSQL_SSL_MODE=" + std::string(to_string(mode)) + ")";
}

Error unreachable(const DatabaseOptions& options, const std::string& why) {
  return Error::unavailable("MySQL unreachable at " + where(options) + ": " + why);
}

}  // namespace

struct Database::Impl {
  DatabaseOptions options;
  soci::connection_pool pool;
  explicit Impl(DatabaseOptions o) : options(std::move(o)), pool(options.pool_size) {}

  // What the latest use of a session learnt about the server: it answered (Ok), or it could not be reached.
  std::mutex seen_mutex;
  std::optional<Status> seen;
  std::chrono::steady_clock::time_point seen_at;
  void saw(Status status) {
    const std::lock_guard lock(seen_mutex);
    seen = std::move(status);
    seen_at = std::chrono::steady_clock::now();
  }
};

Result<std::unique_ptr<Database>> Database::connect(const DatabaseOptions& options) {
  if (options.mysql.password.reveal().find('\'') != std::string::npos) {
    return Error::validation("MYSQL_PASSWORD", "MYSQL_PASSWORD must not contain a single quote");
  }
  if (options.pool_size == 0) return Error::validation("pool_size", "the connection pool needs at least one slot");
  auto impl = std::make_unique<Impl>(options);
  const auto target = connect_string(options);
  for (std::size_t i = 0; i < options.pool_size; ++i) {
    TlsConnectScope tls(options.mysql);
    try {
      impl->pool.at(i).open(soci::mysql, target);
    } catch (const soci::soci_error& e) {
      // The client library's message names the host and the reason, never the password.
      return unreachable(options, reason(tls, e));
    }
  }
  return std::unique_ptr<Database>(new Database(std::move(impl)));
}

Database::Database(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Database::~Database() = default;

const DatabaseOptions& Database::options() const noexcept { return impl_->options; }

const crypto::DataCipher& Database::data_cipher() const {
  if (!impl_->options.data_cipher) {
    throw detail::SealedValueError("DATA_ENCRYPTION_KEY is not configured: payments cannot be read or written");
  }
  return *impl_->options.data_cipher;
}

Status Database::with_session(const std::function<void(soci::session&)>& work) {
  soci::session session(impl_->pool);
  // A pooled session whose last reconnect failed (the server was still down) has no connection at all: it is
  // connected again here, before use, for as long as it takes the server to come back.
  if (session.get_backend() == nullptr) {
    if (auto reconnected = reconnect(session); !reconnected) return reconnected;
    log::info("mysql connection restored", {{"where", where(impl_->options)}});
  }
  constexpr int kTransactionReruns = 3;
  for (int attempt = 0;; ++attempt) {
    try {
      work(session);
      impl_->saw(Ok{});
      return Ok{};
    } catch (const soci::mysql_soci_error& e) {
      const auto errc = mysql_errc(e.err_num_);
      // A deadlock makes InnoDB roll one transaction back whole: running it again is safe.
      if (classify(errc).rerun_transaction && attempt < kTransactionReruns) {
        log::debug("mysql transaction rolled back, running it again",
                   {{"where", where(impl_->options)}, {"error", std::to_string(error_number(errc))}});
        continue;
      }
      return failed(session, errc, e.get_error_message());
    } catch (const soci::soci_error& e) {
      // SOCI's own errors carry no number. One on a session without a connection (its last reconnect failed)
      // is the outage; the next use connects it again, above.
      if (session.get_backend() == nullptr) return lost(e.get_error_message());
      return Error::internal("MySQL error: " + e.get_error_message());
    } catch (const detail::SealedValueError& e) {
      return Error::internal(e.what());
    } catch (const std::exception& e) {
      // A value SOCI could not convert (std::bad_cast) or a row the code could not read: an error, not a crash.
      return Error::internal(std::string("database row unreadable: ") + e.what());
    }
  }
}

Status Database::failed(soci::session& session, MysqlErrc errc, const std::string& message) {
  const MysqlFailure failure = classify(errc);
  if (failure.reconnect) {
    // The statement's answer is lost either way; whether the server is away is what the reconnect finds (a
    // connection the server closed while idle comes straight back, and health() must not see an outage then).
    if (auto reconnected = reconnect(session); !reconnected) {
      log::warn("mysql reconnect failed", {{"where", where(impl_->options)}, {"reason", reconnected.error().message}});
    }
    return unreachable(impl_->options, message);
  }
  impl_->saw(Ok{});  // the server answered, if only to refuse the statement
  std::string text = "MySQL error " + std::to_string(error_number(errc)) + ": " + message;
  if (failure.code == ErrorCode::unavailable) text += "; retry";
  return Error{failure.code, std::move(text), {}};
}

Status Database::reconnect(soci::session& session) {
  TlsConnectScope tls(impl_->options.mysql);  // the same TLS policy as the first connection
  try {
    session.reconnect();
    impl_->saw(Ok{});
    return Ok{};
  } catch (const soci::soci_error& e) {
    return lost(reason(tls, e));
  }
}

Error Database::lost(const std::string& why) {
  auto error = unreachable(impl_->options, why);
  impl_->saw(error);
  return error;
}

Status Database::health() {
  // Under load the pool's own traffic says how the server is, and costs nothing to read.
  constexpr auto kFresh = std::chrono::seconds(1);
  {
    const std::lock_guard lock(impl_->seen_mutex);
    if (impl_->seen && std::chrono::steady_clock::now() - impl_->seen_at < kFresh) return *impl_->seen;
  }
  return ping();
}

Status Database::ping() {
  return with_session([](soci::session& sql) {
    int one = 0;
    sql << "SELECT 1", soci::into(one);
  });
}

}  // namespace payments::store
