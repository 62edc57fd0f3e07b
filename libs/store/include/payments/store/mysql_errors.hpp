#pragma once
// The MySQL/MariaDB error numbers the store acts on, as typed codes, and the one place that says what each means:
// retry later, connect the session again, run the transaction again, or a bug. The numbers are the server's
// (mysqld_error.h) and the client library's (errmsg.h), the same in MySQL and MariaDB (1836 and 1927 are
// MariaDB's). Errors are never recognised by their message text, which varies by server, version and language.

#include "payments/core/result.hpp"

namespace payments::store {

enum class MysqlErrc : unsigned {
  // The server's
  too_many_connections = 1040,  // ER_CON_COUNT_ERROR: max_connections reached
  server_shutdown = 1053,       // ER_SERVER_SHUTDOWN: the server is going down
  duplicate_key = 1062,         // ER_DUP_ENTRY: a unique key is taken already
  lock_wait_timeout = 1205,     // ER_LOCK_WAIT_TIMEOUT: the statement waited too long for a row lock
  deadlock = 1213,              // ER_LOCK_DEADLOCK: InnoDB rolled the whole transaction back
  read_only = 1290,             // ER_OPTION_PREVENTS_STATEMENT: --read-only, as a primary demoted by a failover
  read_only_mode = 1836,        // ER_READ_ONLY_MODE (MariaDB)
  connection_killed = 1927,     // ER_CONNECTION_KILLED (MariaDB): KILL CONNECTION, or the server stopping
  // The client library's
  cannot_connect_socket = 2002,  // CR_CONNECTION_ERROR
  cannot_connect = 2003,         // CR_CONN_HOST_ERROR
  unknown_host = 2005,           // CR_UNKNOWN_HOST (DNS moving during a failover)
  server_gone = 2006,            // CR_SERVER_GONE_ERROR: the connection died between statements
  server_lost = 2013,            // CR_SERVER_LOST: the connection died during a statement
  server_lost_extended = 2055,   // CR_SERVER_LOST_EXTENDED
};

// The typed code of an error number; numbers without a name above keep their value and classify as internal.
constexpr MysqlErrc mysql_errc(unsigned error_number) noexcept { return static_cast<MysqlErrc>(error_number); }
constexpr unsigned error_number(MysqlErrc errc) noexcept { return static_cast<unsigned>(errc); }

// What a MySQL error means for the statement's caller.
struct MysqlFailure {
  // unavailable: the database cannot do it now, and the same call can succeed later (is_retryable); internal:
  // it cannot succeed as it stands (a bug, a schema mismatch, a unique key the caller did not expect to collide).
  ErrorCode code = ErrorCode::internal;
  // The session's connection is gone or points at a server that cannot write: connect it again before reuse.
  bool reconnect = false;
  // InnoDB rolled the whole transaction back: running it again from the start is safe.
  bool rerun_transaction = false;

  bool operator==(const MysqlFailure&) const = default;
};

// The one classification of MySQL errors. A duplicate key is `internal` here: a caller for whom it is an
// expected outcome (an idempotency race, an id taken) catches it inside its work with is_duplicate_key().
MysqlFailure classify(MysqlErrc errc) noexcept;

constexpr bool is_duplicate_key(unsigned error_number) noexcept {
  return mysql_errc(error_number) == MysqlErrc::duplicate_key;
}

}  // namespace payments::store
