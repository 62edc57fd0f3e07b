// MYSQL_SSL_MODE on real connections through the project's Database: against the project's MariaDB with
// TLS (127.0.0.1:MYSQL_TLS_PORT, a certificate for 127.0.0.1), its twin with a certificate for another host
// name (MYSQL_TLS_WRONG_PORT), and the main server, which offers no TLS. `tools/dev/mariadb.sh start-tls`
// starts the first two and makes the certificates.
#include <doctest/doctest.h>

#include <soci/soci.h>

#include <chrono>
#include <string>

#include "payments/store/database.hpp"
#include "support/test_env.hpp"

using namespace payments;
using namespace payments::store;
using namespace payments::testing;

namespace {

MysqlSettings tls_server(MysqlSslMode mode, std::uint16_t port = mysql_tls_port(), const std::string& ca = "ca.pem") {
  auto m = mysql_admin("");
  m.host = "127.0.0.1";
  m.port = port;
  m.ssl_mode = mode;
  m.ssl_ca = mode == MysqlSslMode::verify_ca || mode == MysqlSslMode::verify_identity ? mysql_tls_certs() + "/" + ca
                                                                                      : "";
  return m;
}

Result<std::unique_ptr<Database>> connect(const MysqlSettings& settings) {
  return Database::connect({.mysql = settings, .pool_size = 1, .connect_timeout = std::chrono::seconds(5)});
}

// What the server says about this session's encryption: the cipher, "" for a plain-text session.
std::string session_cipher(Database& db) {
  std::string name;
  std::string cipher;
  REQUIRE(db.with_session([&](soci::session& sql) {
    sql << "SHOW SESSION STATUS LIKE 'Ssl_cipher'", soci::into(name), soci::into(cipher);
  }));
  CHECK(name == "Ssl_cipher");
  return cipher;
}

std::unique_ptr<Database> connected(const MysqlSettings& settings) {
  auto db = connect(settings);
  REQUIRE_MESSAGE(db, (db ? "" : db.error().message + " (is `tools/dev/mariadb.sh start-tls` running?)"));
  return std::move(db).value();
}

}  // namespace

TEST_CASE("MYSQL_SSL_MODE=required connects to a server with TLS, and the session is encrypted") {
  auto db = connected(tls_server(MysqlSslMode::required));
  CHECK_FALSE(session_cipher(*db).empty());
}

TEST_CASE("MYSQL_SSL_MODE=verify_identity connects to a certificate for the host, signed by MYSQL_SSL_CA") {
  auto db = connected(tls_server(MysqlSslMode::verify_identity));
  CHECK_FALSE(session_cipher(*db).empty());
}

TEST_CASE("MYSQL_SSL_MODE=verify_identity refuses a certificate for another host name, though the CA signed it") {
  auto db = connect(tls_server(MysqlSslMode::verify_identity, mysql_tls_wrong_host_port()));
  REQUIRE_FALSE(db);
  CHECK(db.error().code == ErrorCode::unavailable);
  CHECK(db.error().message.find("Validation of SSL server certificate failed") != std::string::npos);
  CHECK(db.error().message.find("(MYSQL_SSL_MODE=verify_identity)") != std::string::npos);
  CHECK(db.error().message.find('\n') == std::string::npos);
}

TEST_CASE("MYSQL_SSL_MODE=verify_ca checks the chain, not the name") {
  // The wrong-host server's certificate is signed by the CA: verify_ca accepts it, as the MySQL client does.
  auto db = connected(tls_server(MysqlSslMode::verify_ca, mysql_tls_wrong_host_port()));
  CHECK_FALSE(session_cipher(*db).empty());

  auto wrong_ca = connect(tls_server(MysqlSslMode::verify_ca, mysql_tls_port(), "other-ca.pem"));
  REQUIRE_FALSE(wrong_ca);
  CHECK(wrong_ca.error().message.find("certificate") != std::string::npos);
  CHECK(wrong_ca.error().message.find("(MYSQL_SSL_MODE=verify_ca)") != std::string::npos);
}

TEST_CASE("the TLS-demanding modes refuse a server that offers no TLS, where preferred goes on in clear") {
  auto plain = mysql_admin("");  // the main server
  {
    auto db = connected(plain);
    std::string have_ssl;
    REQUIRE(db->with_session([&](soci::session& sql) { sql << "SELECT @@have_ssl", soci::into(have_ssl); }));
    REQUIRE_MESSAGE(have_ssl != "YES", "this test needs the main MariaDB (MYSQL_PORT) without TLS");
    plain.ssl_mode = MysqlSslMode::preferred;
    CHECK(session_cipher(*connected(plain)).empty());
  }
  for (auto mode : {MysqlSslMode::required, MysqlSslMode::verify_ca, MysqlSslMode::verify_identity}) {
    CAPTURE(to_string(mode));
    plain.ssl_mode = mode;
    plain.ssl_ca = mysql_tls_certs() + "/ca.pem";
    auto db = connect(plain);
    REQUIRE_FALSE(db);
    CHECK(db.error().code == ErrorCode::unavailable);
    CHECK(db.error().message.find("MYSQL_SSL_MODE=" + std::string(to_string(mode))) != std::string::npos);
    CHECK(db.error().message.find('\n') == std::string::npos);
  }
  plain.ssl_mode = MysqlSslMode::required;
  plain.ssl_ca.clear();
  CHECK(connect(plain).error().message.find(
            "the server offers no TLS, and MYSQL_SSL_MODE=required refuses an unencrypted connection") !=
        std::string::npos);
}

TEST_CASE("MYSQL_SSL_MODE=disabled stays in clear even when the server offers TLS, and preferred takes it") {
  CHECK(session_cipher(*connected(tls_server(MysqlSslMode::disabled))).empty());
  CHECK_FALSE(session_cipher(*connected(tls_server(MysqlSslMode::preferred))).empty());
}
