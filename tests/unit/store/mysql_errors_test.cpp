// The one classification of MySQL errors: which are a dependency outage (retry later), which need the session
// connected again, which allow the transaction to run again, and which are bugs.
#include <doctest/doctest.h>

#include <initializer_list>

#include "payments/store/mysql_errors.hpp"

using namespace payments;
using namespace payments::store;

TEST_CASE("the typed codes carry the server's and the client library's numbers") {
  CHECK(mysql_errc(1062) == MysqlErrc::duplicate_key);
  CHECK(mysql_errc(1213) == MysqlErrc::deadlock);
  CHECK(mysql_errc(1205) == MysqlErrc::lock_wait_timeout);
  CHECK(mysql_errc(2006) == MysqlErrc::server_gone);
  CHECK(mysql_errc(2013) == MysqlErrc::server_lost);
  CHECK(mysql_errc(2002) == MysqlErrc::cannot_connect_socket);
  CHECK(mysql_errc(2003) == MysqlErrc::cannot_connect);
  CHECK(mysql_errc(1053) == MysqlErrc::server_shutdown);
  CHECK(mysql_errc(1040) == MysqlErrc::too_many_connections);
  CHECK(mysql_errc(1290) == MysqlErrc::read_only);
  CHECK(mysql_errc(1836) == MysqlErrc::read_only_mode);
  CHECK(error_number(MysqlErrc::connection_killed) == 1927);
  CHECK(is_duplicate_key(1062));
  CHECK_FALSE(is_duplicate_key(1022));
}

TEST_CASE("a lost or refused connection is unavailable, retryable, and the session is connected again") {
  for (const unsigned n : {2002U, 2003U, 2005U, 2006U, 2013U, 2055U, 1040U, 1053U, 1927U}) {
    CAPTURE(n);
    const auto failure = classify(mysql_errc(n));
    CHECK(failure.code == ErrorCode::unavailable);
    CHECK(is_retryable(failure.code));
    CHECK(failure.reconnect);
    CHECK_FALSE(failure.rerun_transaction);
  }
}

TEST_CASE("a server that turned read-only (a primary demoted by a failover) is left for a new connection") {
  for (const unsigned n : {1290U, 1836U}) {
    CAPTURE(n);
    CHECK(classify(mysql_errc(n)) == MysqlFailure{.code = ErrorCode::unavailable, .reconnect = true});
  }
}

TEST_CASE("a deadlock runs the transaction again - a lock wait timeout is retried later - neither reconnects") {
  CHECK(classify(MysqlErrc::deadlock) == MysqlFailure{.code = ErrorCode::unavailable, .rerun_transaction = true});
  CHECK(classify(MysqlErrc::lock_wait_timeout) == MysqlFailure{.code = ErrorCode::unavailable});
  CHECK(is_retryable(classify(MysqlErrc::lock_wait_timeout).code));
}

TEST_CASE("a duplicate key that escapes its caller, and any error without a name, are internal: not retried") {
  CHECK(classify(MysqlErrc::duplicate_key) == MysqlFailure{.code = ErrorCode::internal});
  for (const unsigned n : {1064U, 1146U, 1054U, 1406U, 1045U, 0U, 99999U}) {  // syntax, no table, no column, ...
    CAPTURE(n);
    CHECK(classify(mysql_errc(n)) == MysqlFailure{.code = ErrorCode::internal});
    CHECK_FALSE(is_retryable(classify(mysql_errc(n)).code));
  }
}
