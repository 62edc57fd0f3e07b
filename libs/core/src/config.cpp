#include "payments/core/config.hpp"

#include <charconv>
#include <cstdlib>

#include "payments/core/ids.hpp"
#include "payments/core/kafka_settings.hpp"

extern char** environ;  // POSIX: the process environment, for EnvNames

namespace payments {
namespace {

Result<std::uint16_t> parse_port(std::string_view name, const std::string& text) {
  unsigned value = 0;
  const auto* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc{} || ptr != end || value == 0 || value > 65535) {
    return Error::validation(std::string(name), std::string(name) + " must be a port number from 1 to 65535, got '" +
                                                    text + "'");
  }
  return static_cast<std::uint16_t>(value);
}

// MYSQL_SSL_MODE and its files. One line per mistake; a file's existence is the client library's to check.
Status mysql_tls_settings(const EnvLookup& env, MysqlSettings& mysql) {
  auto text = [&](std::string_view name) { return env(name).value_or(""); };
  mysql.ssl_ca = text("MYSQL_SSL_CA");
  mysql.ssl_cert = text("MYSQL_SSL_CERT");
  mysql.ssl_key = text("MYSQL_SSL_KEY");
  const auto mode = text("MYSQL_SSL_MODE");
  if (mode.empty()) {
    mysql.ssl_mode = mysql.ssl_ca.empty() ? MysqlSslMode::preferred : MysqlSslMode::verify_ca;
  } else {
    bool known = false;
    for (auto candidate : {MysqlSslMode::disabled, MysqlSslMode::preferred, MysqlSslMode::required,
                           MysqlSslMode::verify_ca, MysqlSslMode::verify_identity}) {
      if (mode == to_string(candidate)) {
        mysql.ssl_mode = candidate;
        known = true;
      }
    }
    if (!known) {
      return Error::validation("MYSQL_SSL_MODE", "MYSQL_SSL_MODE must be one of disabled, preferred, required, "
                                                 "verify_ca, verify_identity, got '" + mode + "'");
    }
  }
  const bool verifies = mysql.ssl_mode == MysqlSslMode::verify_ca || mysql.ssl_mode == MysqlSslMode::verify_identity;
  if (verifies && mysql.ssl_ca.empty()) {
    return Error::validation("MYSQL_SSL_CA", "MYSQL_SSL_MODE=" + mode + " needs MYSQL_SSL_CA, the CA file that "
                                             "signed the server's certificate");
  }
  if (mysql.ssl_mode == MysqlSslMode::disabled &&
      !(mysql.ssl_ca.empty() && mysql.ssl_cert.empty() && mysql.ssl_key.empty())) {
    return Error::validation("MYSQL_SSL_MODE", "MYSQL_SSL_MODE=disabled contradicts MYSQL_SSL_CA / MYSQL_SSL_CERT / "
                                               "MYSQL_SSL_KEY being set");
  }
  if (mysql.ssl_cert.empty() != mysql.ssl_key.empty()) {
    return Error::validation(mysql.ssl_cert.empty() ? "MYSQL_SSL_CERT" : "MYSQL_SSL_KEY",
                             "MYSQL_SSL_CERT and MYSQL_SSL_KEY go together: set both or neither");
  }
  return Ok{};
}

}  // namespace

std::string_view to_string(MysqlSslMode mode) noexcept {
  switch (mode) {
    case MysqlSslMode::disabled: return "disabled";
    case MysqlSslMode::preferred: return "preferred";
    case MysqlSslMode::required: return "required";
    case MysqlSslMode::verify_ca: return "verify_ca";
    case MysqlSslMode::verify_identity: return "verify_identity";
  }
  return "preferred";
}

Result<int> int_setting(const EnvLookup& env, std::string_view name, int fallback, int min, int max) {
  const auto text = env(name);
  if (!text || text->empty()) return fallback;
  int value = 0;
  const auto* end = text->data() + text->size();
  const auto [ptr, ec] = std::from_chars(text->data(), end, value);
  if (ec != std::errc{} || ptr != end || value < min || value > max) {
    return Error::validation(std::string(name), std::string(name) + " must be a whole number from " +
                                                    std::to_string(min) + " to " + std::to_string(max) + ", got '" +
                                                    *text + "'");
  }
  return value;
}

EnvLookup process_environment() {
  return [](std::string_view name) -> std::optional<std::string> {
    const char* value = std::getenv(std::string(name).c_str());  // NOLINT(concurrency-mt-unsafe): start-up only
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

EnvNames process_environment_names() {
  return [] {
    std::vector<std::string> names;
    for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {  // NOLINT: start-up only
      const std::string_view text(*entry);
      names.emplace_back(text.substr(0, text.find('=')));
    }
    return names;
  };
}

Result<ServiceConfig> load_config(const EnvLookup& env, std::initializer_list<std::string_view> required,
                                  const EnvNames& names) {
  for (std::string_view name : required) {
    auto value = env(name);
    if (!value || value->empty()) {
      return Error::validation(std::string(name), std::string(name) + " is required but not set");
    }
  }

  ServiceConfig config;
  auto text = [&](std::string_view name, std::string& target) {
    if (auto value = env(name); value && !value->empty()) target = *value;
  };
  auto secret = [&](std::string_view name, Secret& target) {
    if (auto value = env(name); value && !value->empty()) target = Secret(*value);
  };

  text("KAFKA_BROKERS", config.kafka.brokers);
  text("KAFKA_TOPIC_PREFIX", config.kafka.topic_prefix);
  text("WORKER_GROUP_ID", config.kafka.consumer_group);
  text("KAFKA_DEFAULT_MERCHANT", config.kafka.default_merchant);
  text("MYSQL_HOST", config.mysql.host);
  text("MYSQL_USER", config.mysql.user);
  secret("MYSQL_PASSWORD", config.mysql.password);
  text("MYSQL_DATABASE", config.mysql.database);
  if (auto tls = mysql_tls_settings(env, config.mysql); !tls) return std::move(tls).error();
  secret("STRIPE_SECRET_KEY", config.stripe.secret_key);
  text("STRIPE_API_BASE", config.stripe.api_base);
  secret("STRIPE_WEBHOOK_SECRET", config.stripe.webhook_secret);
  secret("OTP_SECRET", config.otp_secret);
  secret("INTERNAL_EVENT_KEY", config.internal_event_key);

  for (auto [name, target] : {std::pair<std::string_view, std::uint16_t*>{"MYSQL_PORT", &config.mysql.port},
                              {"API_PORT", &config.api_port},
                              {"WORKER_METRICS_PORT", &config.worker_metrics_port}}) {
    if (auto value = env(name); value && !value->empty()) {
      auto port = parse_port(name, *value);
      if (!port) return std::move(port).error();
      *target = port.value();
    }
  }

  if (auto value = env("LOG_LEVEL"); value && !value->empty()) {
    auto level = parse_log_level(*value);
    if (!level) return Error::validation("LOG_LEVEL", "LOG_LEVEL must be one of debug, info, warn, error, got '" +
                                                          *value + "'");
    config.log_level = *level;
  }

  if (!is_valid_external_id(config.kafka.default_merchant)) {
    return Error::validation("KAFKA_DEFAULT_MERCHANT",
                             "KAFKA_DEFAULT_MERCHANT must be 1 to 64 characters of letters, digits, '_' or '-'");
  }

  if (auto kafka = load_kafka_client_settings(env, names, config.kafka); !kafka) return std::move(kafka).error();

  const std::string& base = config.stripe.api_base;
  if (base.rfind("https://", 0) != 0 && base.rfind("http://", 0) != 0) {
    return Error::validation("STRIPE_API_BASE", "STRIPE_API_BASE must start with https:// or http://, got '" + base +
                                                    "'");
  }
  if (!config.stripe.secret_key.empty() && config.stripe.secret_key.reveal().rfind("sk_", 0) != 0 &&
      config.stripe.secret_key.reveal().rfind("rk_", 0) != 0) {
    return Error::validation("STRIPE_SECRET_KEY", "STRIPE_SECRET_KEY must be a Stripe secret key (sk_... or rk_...)");
  }
  // A live key must never cross the network in clear: plain http is for test keys (the simulator) only.
  const std::string& key = config.stripe.secret_key.reveal();
  const bool test_key = key.rfind("sk_test_", 0) == 0 || key.rfind("rk_test_", 0) == 0;
  if (!key.empty() && !test_key && base.rfind("https://", 0) != 0) {
    return Error::validation("STRIPE_API_BASE", "STRIPE_API_BASE must be https:// with a live Stripe key; plain http "
                                                "is allowed only with a test key (sk_test_..., rk_test_...)");
  }
  return config;
}

}  // namespace payments
