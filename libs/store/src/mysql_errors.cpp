#include "payments/store/mysql_errors.hpp"

namespace payments::store {

MysqlFailure classify(MysqlErrc errc) noexcept {
  switch (errc) {
    case MysqlErrc::deadlock:
      return {.code = ErrorCode::unavailable, .rerun_transaction = true};
    case MysqlErrc::lock_wait_timeout:
      // Only the statement was rolled back, after innodb_lock_wait_timeout: the caller retries later rather
      // than waiting that long again at once.
      return {.code = ErrorCode::unavailable};
    case MysqlErrc::too_many_connections:
    case MysqlErrc::server_shutdown:
    case MysqlErrc::connection_killed:
    case MysqlErrc::cannot_connect_socket:
    case MysqlErrc::cannot_connect:
    case MysqlErrc::unknown_host:
    case MysqlErrc::server_gone:
    case MysqlErrc::server_lost:
    case MysqlErrc::server_lost_extended:
    // After a failover the old primary refuses writes; a new connection reaches the new one (through the
    // proxy or the DNS name the service was given).
    case MysqlErrc::read_only:
    case MysqlErrc::read_only_mode:
      return {.code = ErrorCode::unavailable, .reconnect = true};
    case MysqlErrc::duplicate_key:
      return {.code = ErrorCode::internal};
  }
  return {.code = ErrorCode::internal};
}

}  // namespace payments::store
