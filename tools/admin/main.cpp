// payments-admin: the operator's set-up steps.
//   payments-admin migrate [--dir schemas/mysql]  applies V*.sql to MYSQL_DATABASE, each version once, then the
//                                                 steps SQL cannot do (V006: encrypts values written in clear)
//   payments-admin rotate-data-key                re-encrypts every sensitive value under DATA_ENCRYPTION_KEY's
//                                                 current (first) key
//   payments-admin topics                         creates the contract's Kafka topics that are missing
//   payments-admin api-keys create|list|revoke    the API keys callers authenticate with (api_keys.cpp)
//   payments-admin dlq list|replay                what landed in payment-commands-dlq; replaying it (dlq.cpp)
// Migrations run as MYSQL_ADMIN_USER (DDL rights); the services connect as MYSQL_USER with DML rights only.
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>

#include "api_keys.hpp"
#include "dlq.hpp"
#include "payments/core/config.hpp"
#include "payments/core/log.hpp"
#include "payments/crypto/data_cipher.hpp"
#include "payments/events/kafka.hpp"
#include "payments/events/topics.hpp"
#include "payments/store/database.hpp"

namespace {

int fail(const payments::Error& error) {
  std::fprintf(stderr, "payments-admin: %s\n", error.message.c_str());
  return 1;
}

int usage() {
  std::fprintf(stderr,
               "usage: payments-admin migrate [--dir schemas/mysql] | topics [--partitions N] | rotate-data-key | "
               "api-keys ... | dlq list|replay ...\n");
  return 2;
}

// DATA_ENCRYPTION_KEY when set (malformed: an error). Migrations need it only to encrypt existing values.
payments::Result<std::shared_ptr<const payments::crypto::DataCipher>> optional_cipher(const payments::EnvLookup& env) {
  const auto value = env("DATA_ENCRYPTION_KEY");
  if (!value || value->empty()) return std::shared_ptr<const payments::crypto::DataCipher>();
  auto cipher = payments::crypto::DataCipher::from_setting(value);
  if (!cipher) return std::move(cipher).error();
  return std::make_shared<const payments::crypto::DataCipher>(std::move(cipher).value());
}

int migrate(const payments::EnvLookup& env, const payments::ServiceConfig& config, const std::string& directory) {
  auto cipher = optional_cipher(env);
  if (!cipher) return fail(cipher.error());
  payments::store::DatabaseOptions options;
  options.mysql = config.mysql;
  // No built-in account or password: the dev scripts set theirs (root, empty) explicitly.
  const auto admin_user = env("MYSQL_ADMIN_USER");
  const auto admin_password = env("MYSQL_ADMIN_PASSWORD");
  if (!admin_user || admin_user->empty() || !admin_password) {
    return fail(payments::Error::validation("MYSQL_ADMIN_USER", "migrations need MYSQL_ADMIN_USER and "
                                            "MYSQL_ADMIN_PASSWORD: an account with DDL rights on the database"));
  }
  options.mysql.user = *admin_user;
  options.mysql.password = payments::Secret(*admin_password);
  options.pool_size = 1;

  auto migrations = payments::store::load_migrations(directory);
  if (!migrations) return fail(migrations.error());
  auto database = payments::store::Database::connect(options);
  if (!database) return fail(database.error());
  auto report = payments::store::migrate(*database.value(), migrations.value());
  if (!report) return fail(report.error());
  std::printf("payments-admin: migrations: %zu applied now, %zu already applied, database %s\n",
              report->applied.size(), report->already_applied, options.mysql.database.c_str());
  auto steps = payments::store::run_data_steps(*database.value(), cipher.value().get());
  if (!steps) return fail(steps.error());
  for (const auto& step : steps->applied) {
    std::printf("payments-admin: migration step %s: %lld values encrypted\n", step.c_str(), steps->values_encrypted);
  }
  return 0;
}

// Runs as MYSQL_USER: re-encrypting needs only SELECT and UPDATE on payments.
int rotate_data_key(const payments::EnvLookup& env, const payments::ServiceConfig& config) {
  auto cipher = payments::crypto::DataCipher::from_setting(env("DATA_ENCRYPTION_KEY"));
  if (!cipher) return fail(cipher.error());
  auto database = payments::store::Database::connect({.mysql = config.mysql, .pool_size = 1});
  if (!database) return fail(database.error());
  auto rotated = payments::store::rotate_data_key(*database.value(), cipher.value());
  if (!rotated) return fail(rotated.error());
  std::printf("payments-admin: rotate-data-key: %lld values re-encrypted under key id %s, database %s\n",
              rotated.value(), cipher->current_key_id().c_str(), config.mysql.database.c_str());
  return 0;
}

int topics(const payments::ServiceConfig& config, int partitions) {
  const auto names = payments::events::TopicNames::with_prefix(config.kafka.topic_prefix);
  const payments::events::KafkaConnection kafka{config.kafka.brokers, config.kafka.client_properties};
  if (auto status = payments::events::ensure_topics(kafka, names, partitions, std::chrono::seconds(15)); !status) {
    return fail(status.error());
  }
  std::printf("payments-admin: topics: %zu present on %s\n", names.all().size(), config.kafka.brokers.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return usage();
  const std::string_view command = argv[1];
  if (command == "api-keys") {
    auto config = payments::load_config(payments::process_environment(), {"MYSQL_USER"});
    if (!config) return fail(config.error());
    payments::log::set_level(config->log_level);
    return payments::admin::api_keys_command(config.value(), argc - 2, argv + 2);
  }
  if (command == "dlq") {
    // Kafka only: no MySQL setting is needed to look at or replay the DLQ.
    auto config = payments::load_config(payments::process_environment(), {});
    if (!config) return fail(config.error());
    payments::log::set_level(config->log_level);
    return payments::admin::dlq_command(config.value(), argc - 2, argv + 2);
  }
  if (command == "rotate-data-key") {
    if (argc != 2) return usage();
    const auto env = payments::process_environment();
    auto config = payments::load_config(env, {"MYSQL_USER"});
    if (!config) return fail(config.error());
    payments::log::set_level(config->log_level);
    return rotate_data_key(env, config.value());
  }
  std::string directory = "schemas/mysql";
  int partitions = payments::events::kDefaultPartitions;
  for (int i = 2; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--dir" && i + 1 < argc) {
      directory = argv[++i];
    } else if (arg == "--partitions" && i + 1 < argc) {
      partitions = std::atoi(argv[++i]);
      if (partitions < 1 || partitions > 1000) return usage();
    } else {
      return usage();
    }
  }

  auto env = payments::process_environment();
  auto config = payments::load_config(env, {});
  if (!config) return fail(config.error());
  payments::log::set_level(config->log_level);

  if (command == "migrate") return migrate(env, config.value(), directory);
  if (command == "topics") return topics(config.value(), partitions);
  return usage();
}
