// MYSQL_SSL_MODE and its files: defaults and the one-line refusals.
#include <doctest/doctest.h>

#include <map>

#include "payments/core/config.hpp"

using namespace payments;

namespace {
Result<ServiceConfig> load(std::map<std::string, std::string> values) {
  return load_config(
      [values = std::move(values)](std::string_view name) -> std::optional<std::string> {
        auto it = values.find(std::string(name));
        if (it == values.end()) return std::nullopt;
        return it->second;
      },
      {});
}
}  // namespace

TEST_CASE("MYSQL_SSL_MODE defaults to preferred, and to verify_ca when a CA is given") {
  CHECK(load({})->mysql.ssl_mode == MysqlSslMode::preferred);
  auto with_ca = load({{"MYSQL_SSL_CA", "/etc/ca.pem"}});
  REQUIRE(with_ca);
  CHECK(with_ca->mysql.ssl_mode == MysqlSslMode::verify_ca);
  CHECK(with_ca->mysql.ssl_ca == "/etc/ca.pem");
}

TEST_CASE("every MYSQL_SSL_MODE of the MySQL client is accepted by its name") {
  for (auto mode : {MysqlSslMode::disabled, MysqlSslMode::preferred, MysqlSslMode::required,
                    MysqlSslMode::verify_ca, MysqlSslMode::verify_identity}) {
    std::map<std::string, std::string> env{{"MYSQL_SSL_MODE", std::string(to_string(mode))}};
    if (mode == MysqlSslMode::verify_ca || mode == MysqlSslMode::verify_identity) env["MYSQL_SSL_CA"] = "/ca.pem";
    auto config = load(env);
    REQUIRE_MESSAGE(config, to_string(mode));
    CHECK(config->mysql.ssl_mode == mode);
  }
  auto client = load({{"MYSQL_SSL_MODE", "required"}, {"MYSQL_SSL_CERT", "/c.pem"}, {"MYSQL_SSL_KEY", "/c.key"}});
  REQUIRE(client);
  CHECK(client->mysql.ssl_cert == "/c.pem");
  CHECK(client->mysql.ssl_key == "/c.key");
}

TEST_CASE("an unknown MYSQL_SSL_MODE is refused with one line naming the choices") {
  auto config = load({{"MYSQL_SSL_MODE", "REQUIRED"}});
  REQUIRE_FALSE(config);
  CHECK(config.error().field == "MYSQL_SSL_MODE");
  CHECK(config.error().message ==
        "MYSQL_SSL_MODE must be one of disabled, preferred, required, verify_ca, verify_identity, got 'REQUIRED'");
}

TEST_CASE("a verifying MYSQL_SSL_MODE without MYSQL_SSL_CA is refused") {
  for (const char* mode : {"verify_ca", "verify_identity"}) {
    auto config = load({{"MYSQL_SSL_MODE", mode}});
    REQUIRE_FALSE(config);
    CHECK(config.error().field == "MYSQL_SSL_CA");
    CHECK(config.error().message.find(std::string("MYSQL_SSL_MODE=") + mode + " needs MYSQL_SSL_CA") == 0);
  }
}

TEST_CASE("contradictory TLS settings are refused") {
  auto disabled = load({{"MYSQL_SSL_MODE", "disabled"}, {"MYSQL_SSL_CA", "/ca.pem"}});
  REQUIRE_FALSE(disabled);
  CHECK(disabled.error().field == "MYSQL_SSL_MODE");
  auto half = load({{"MYSQL_SSL_CERT", "/c.pem"}});
  REQUIRE_FALSE(half);
  CHECK(half.error().field == "MYSQL_SSL_KEY");
  CHECK(half.error().message == "MYSQL_SSL_CERT and MYSQL_SSL_KEY go together: set both or neither");
}
