#include <doctest/doctest.h>

#include <map>

#include "payments/core/config.hpp"

using namespace payments;

namespace {
EnvLookup env_of(std::map<std::string, std::string> values) {
  return [values = std::move(values)](std::string_view name) -> std::optional<std::string> {
    auto it = values.find(std::string(name));
    if (it == values.end()) return std::nullopt;
    return it->second;
  };
}
}  // namespace

TEST_CASE("defaults are the contract's") {
  auto config = load_config(env_of({}), {});
  REQUIRE(config);
  CHECK(config->kafka.brokers == "127.0.0.1:9092");
  CHECK(config->mysql.host == "127.0.0.1");
  CHECK(config->mysql.port == 3306);
  CHECK(config->mysql.database == "payments");
  CHECK(config->stripe.api_base == "https://api.stripe.com");
  CHECK(config->api_port == 8080);
  CHECK(config->worker_metrics_port == 9091);
  CHECK(config->log_level == LogLevel::info);
}

TEST_CASE("settings from the environment override the defaults") {
  auto config = load_config(env_of({{"KAFKA_BROKERS", "k1:9092,k2:9092"},
                                    {"MYSQL_PORT", "3307"},
                                    {"MYSQL_USER", "svc"},
                                    {"MYSQL_PASSWORD", "pw"},
                                    {"STRIPE_SECRET_KEY", "sk_test_123"},
                                    {"STRIPE_API_BASE", "http://127.0.0.1:12111"},
                                    {"LOG_LEVEL", "debug"}}),
                            {"MYSQL_USER"});
  REQUIRE(config);
  CHECK(config->kafka.brokers == "k1:9092,k2:9092");
  CHECK(config->mysql.port == 3307);
  CHECK(config->mysql.user == "svc");
  CHECK(config->mysql.password.reveal() == "pw");
  CHECK(config->stripe.secret_key.reveal() == "sk_test_123");
  CHECK(config->stripe.api_base == "http://127.0.0.1:12111");
  CHECK(config->log_level == LogLevel::debug);
}

TEST_CASE("a missing required setting is named") {
  auto config = load_config(env_of({}), {"MYSQL_USER"});
  REQUIRE_FALSE(config);
  CHECK(config.error().field == "MYSQL_USER");
  CHECK(config.error().message == "MYSQL_USER is required but not set");
}

TEST_CASE("a malformed setting is named with what was wrong") {
  auto port = load_config(env_of({{"API_PORT", "80a"}}), {});
  REQUIRE_FALSE(port);
  CHECK(port.error().field == "API_PORT");
  CHECK(port.error().message.find("'80a'") != std::string::npos);

  CHECK(load_config(env_of({{"MYSQL_PORT", "0"}}), {}).error().field == "MYSQL_PORT");
  CHECK(load_config(env_of({{"WORKER_METRICS_PORT", "70000"}}), {}).error().field == "WORKER_METRICS_PORT");
  CHECK(load_config(env_of({{"LOG_LEVEL", "loud"}}), {}).error().field == "LOG_LEVEL");
  CHECK(load_config(env_of({{"STRIPE_API_BASE", "ftp://x"}}), {}).error().field == "STRIPE_API_BASE");
}

TEST_CASE("a malformed secret is refused without repeating its value") {
  auto config = load_config(env_of({{"STRIPE_SECRET_KEY", "pk_live_visible"}}), {});
  REQUIRE_FALSE(config);
  CHECK(config.error().field == "STRIPE_SECRET_KEY");
  CHECK(config.error().message.find("pk_live_visible") == std::string::npos);
}

TEST_CASE("commands without a merchant belong to KAFKA_DEFAULT_MERCHANT, `default` unless set") {
  CHECK(load_config(env_of({}), {})->kafka.default_merchant == "default");
  CHECK(load_config(env_of({{"KAFKA_DEFAULT_MERCHANT", "acme"}}), {})->kafka.default_merchant == "acme");
  auto bad = load_config(env_of({{"KAFKA_DEFAULT_MERCHANT", "not an id"}}), {});
  REQUIRE_FALSE(bad);
  CHECK(bad.error().field == "KAFKA_DEFAULT_MERCHANT");
}

TEST_CASE("a whole-number setting has a default, a range, and an error naming it") {
  CHECK(int_setting(env_of({}), "API_DECLINE_LIMIT", 20, 1, 100).value() == 20);
  CHECK(int_setting(env_of({{"API_DECLINE_LIMIT", "7"}}), "API_DECLINE_LIMIT", 20, 1, 100).value() == 7);
  for (const char* bad : {"0", "101", "7x", "-1", "seven"}) {
    CAPTURE(bad);
    auto refused = int_setting(env_of({{"API_DECLINE_LIMIT", bad}}), "API_DECLINE_LIMIT", 20, 1, 100);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().field == "API_DECLINE_LIMIT");
    CHECK(refused.error().message.find("1 to 100") != std::string::npos);
  }
}

TEST_CASE("a live Stripe key is refused with a plain-http STRIPE_API_BASE - a test key may use the simulator") {
  auto live = load_config(env_of({{"STRIPE_SECRET_KEY", "sk_live_abcdef"}, {"STRIPE_API_BASE", "http://10.0.0.5:12111"}}), {});
  REQUIRE_FALSE(live);
  CHECK(live.error().field == "STRIPE_API_BASE");
  CHECK(live.error().message.find("sk_live_abcdef") == std::string::npos);
  auto restricted = load_config(env_of({{"STRIPE_SECRET_KEY", "rk_live_abcdef"}, {"STRIPE_API_BASE", "http://x"}}), {});
  CHECK_FALSE(restricted);
  CHECK(load_config(env_of({{"STRIPE_SECRET_KEY", "sk_live_abcdef"}, {"STRIPE_API_BASE", "https://api.stripe.com"}}), {}));
  CHECK(load_config(env_of({{"STRIPE_SECRET_KEY", "sk_test_abcdef"}, {"STRIPE_API_BASE", "http://127.0.0.1:12111"}}), {}));
  CHECK(load_config(env_of({{"STRIPE_SECRET_KEY", "rk_test_abcdef"}, {"STRIPE_API_BASE", "http://127.0.0.1:12111"}}), {}));
}
