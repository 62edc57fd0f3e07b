#pragma once
// Service configuration: one struct with the contract's defaults, one parse function, secrets kept apart.

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "payments/core/log.hpp"
#include "payments/core/result.hpp"

namespace payments {

// A credential. It has no stream operator and no implicit conversion, so it cannot end up in a log by accident.
class Secret {
 public:
  Secret() = default;
  explicit Secret(std::string value) : value_(std::move(value)) {}
  [[nodiscard]] const std::string& reveal() const noexcept { return value_; }
  [[nodiscard]] bool empty() const noexcept { return value_.empty(); }

 private:
  std::string value_;
};

// One librdkafka property a Kafka client gets from the environment (kafka_settings.hpp parses them), with the
// variable it came from so that every error about it names that variable. The value may be a credential.
struct KafkaClientProperty {
  std::string variable;  // KAFKA_SASL_USERNAME, KAFKA_CONFIG_SOCKET_TIMEOUT_MS, ...
  std::string name;      // sasl.username, socket.timeout.ms, ...
  Secret value;
};
using KafkaClientProperties = std::vector<KafkaClientProperty>;

struct KafkaSettings {
  std::string brokers = "127.0.0.1:9092";
  std::string topic_prefix;                      // KAFKA_TOPIC_PREFIX: prepended to every topic name
  std::string consumer_group = "payments-worker";  // WORKER_GROUP_ID
  // KAFKA_DEFAULT_MERCHANT: whose a command produced straight to Kafka is when its envelope names no
  // merchant_id. The broker's ACLs are the credential on that path.
  std::string default_merchant = "default";
  // How every client connects: KAFKA_SECURITY_PROTOCOL, KAFKA_SASL_*, KAFKA_SSL_*, KAFKA_CONFIG_<property>.
  KafkaClientProperties client_properties;
  // KAFKA_CREATE_TOPICS: the services create missing topics at start-up; false: they only check them.
  bool create_topics = true;
};

// MYSQL_SSL_MODE, as the MySQL client names its modes. `preferred`: TLS when the server offers it, no
// certificate check; `required`: TLS or no connection; `verify_ca`: also a chain to MYSQL_SSL_CA;
// `verify_identity`: also a certificate naming MYSQL_HOST.
enum class MysqlSslMode { disabled, preferred, required, verify_ca, verify_identity };
std::string_view to_string(MysqlSslMode mode) noexcept;

struct MysqlSettings {
  std::string host = "127.0.0.1";
  std::uint16_t port = 3306;
  std::string user;
  Secret password;
  std::string database = "payments";
  // Unset: preferred, or verify_ca when MYSQL_SSL_CA is given (as the MySQL client does).
  MysqlSslMode ssl_mode = MysqlSslMode::preferred;
  std::string ssl_ca;    // MYSQL_SSL_CA: PEM file of the CA(s) that sign the server's certificate
  std::string ssl_cert;  // MYSQL_SSL_CERT and MYSQL_SSL_KEY: a client certificate, both or neither
  std::string ssl_key;
};

struct StripeSettings {
  Secret secret_key;
  std::string api_base = "https://api.stripe.com";
  Secret webhook_secret;
};

struct ServiceConfig {
  KafkaSettings kafka;
  MysqlSettings mysql;
  StripeSettings stripe;
  Secret otp_secret;
  Secret internal_event_key;  // INTERNAL_EVENT_KEY: signs payment-stripe-events records (events/record_signature.hpp)
  std::uint16_t api_port = 8080;
  std::uint16_t worker_metrics_port = 9091;
  LogLevel log_level = LogLevel::info;
};

// Reads a variable; returns nullopt when unset. Injected so tests do not touch the process environment.
using EnvLookup = std::function<std::optional<std::string>(std::string_view name)>;
EnvLookup process_environment();
// The names of every variable set, for settings that are a family (KAFKA_CONFIG_*); values still come from
// the EnvLookup, so a name it does not know is ignored.
using EnvNames = std::function<std::vector<std::string>()>;
EnvNames process_environment_names();

// Parses every setting, applying defaults. Each name in `required` must be set and non-empty.
// The error's `field` is the variable's name and its message one line a person can act on; the value of a
// secret is never repeated in it.
Result<ServiceConfig> load_config(const EnvLookup& env, std::initializer_list<std::string_view> required,
                                  const EnvNames& names = process_environment_names());

// A whole-number setting: `fallback` when unset or empty; an error naming it when it is not a whole number
// from `min` to `max`.
Result<int> int_setting(const EnvLookup& env, std::string_view name, int fallback, int min, int max);

}  // namespace payments
