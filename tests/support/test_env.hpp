#pragma once
// Where the integration and black-box tiers find the real Kafka and MariaDB that `make infra-up` started.

#include <chrono>
#include <functional>
#include <map>
#include <stdexcept>
#include <string>
#include <thread>

#include <doctest/doctest.h>

#include "payments/core/config.hpp"
#include "payments/core/ids.hpp"
#include "payments/core/kafka_settings.hpp"
#include "payments/events/kafka.hpp"

namespace payments::testing {

inline std::string env_or(const char* name, const char* fallback) {
  auto value = process_environment()(name);
  return value && !value->empty() ? *value : fallback;
}

inline std::string kafka_brokers() { return env_or("KAFKA_BROKERS", "127.0.0.1:9092"); }

// The tests' own Kafka clients connect the way the services do: KAFKA_BROKERS and the KAFKA_* security
// settings, from `settings` when given, else from the test runner's environment.
inline events::KafkaConnection kafka_connection(const std::map<std::string, std::string>& settings = {}) {
  if (settings.empty()) {
    auto properties = kafka_client_properties(process_environment(), process_environment_names());
    REQUIRE_MESSAGE(properties, (properties ? "" : properties.error().message));
    return {kafka_brokers(), std::move(properties).value()};
  }
  const EnvLookup lookup = [&settings](std::string_view name) -> std::optional<std::string> {
    auto it = settings.find(std::string(name));
    return it == settings.end() ? std::nullopt : std::optional<std::string>(it->second);
  };
  const EnvNames names = [&settings] {
    std::vector<std::string> out;
    for (const auto& [name, value] : settings) out.push_back(name);
    return out;
  };
  auto properties = kafka_client_properties(lookup, names);
  REQUIRE_MESSAGE(properties, (properties ? "" : properties.error().message));
  return {lookup("KAFKA_BROKERS").value_or(kafka_brokers()), std::move(properties).value()};
}

// The administrative account, for creating a throwaway database per test run. Host, port and MYSQL_SSL_* are
// read as the services read them, from the environment with `overrides` (MYSQL_* settings) on top.
inline MysqlSettings mysql_admin(const std::string& database,
                                 const std::map<std::string, std::string>& overrides = {}) {
  const auto process = process_environment();
  auto config = load_config(
      [&](std::string_view name) -> std::optional<std::string> {
        if (auto it = overrides.find(std::string(name)); it != overrides.end()) return it->second;
        return process(name);
      },
      {});
  if (!config) throw std::runtime_error(config.error().message);
  MysqlSettings m = config->mysql;
  m.user = env_or("MYSQL_ADMIN_USER", "root");
  m.password = Secret(env_or("MYSQL_ADMIN_PASSWORD", ""));
  m.database = database;
  return m;
}

// Asks `done` until it says yes or `timeout` is up (every `every`); whether it said yes.
inline bool eventually(const std::function<bool()>& done, std::chrono::milliseconds timeout,
                       std::chrono::milliseconds every = std::chrono::milliseconds(200)) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < until) {
    if (done()) return true;
    std::this_thread::sleep_for(every);
  }
  return false;
}

// A name no other run uses: "<prefix>_<random>".
inline std::string unique_name(const std::string& prefix) {
  return prefix + "_" + random_token(system_random()).substr(0, 12);
}

inline std::string source_dir() { return PAYMENTS_SOURCE_DIR; }

// The project's MariaDB servers with TLS (`tools/dev/mariadb.sh start-tls`, which `make test` runs) and the
// certificates it made: ca.pem, other-ca.pem (signed nothing), server.pem (127.0.0.1), wrong-host.pem.
inline std::uint16_t mysql_tls_port() { return static_cast<std::uint16_t>(std::stoi(env_or("MYSQL_TLS_PORT", "3307"))); }
inline std::uint16_t mysql_tls_wrong_host_port() {
  return static_cast<std::uint16_t>(std::stoi(env_or("MYSQL_TLS_WRONG_PORT", "3308")));
}
inline std::string mysql_tls_certs() { return source_dir() + "/.local/mariadb-tls/certs"; }

}  // namespace payments::testing
