// Kafka over SASL_SSL with SCRAM-SHA-512, certificates made with openssl and least-privilege users, against the
// second broker `tools/dev/kafka.sh start-secure` runs on 127.0.0.1:19092 (tools/dev/test.sh starts it before
// this tier). Its users: admin (super user), payments-api and payments-worker, with nothing granted until a
// test grants the README's ACL table for its own topic prefix.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "support/kafka_acls.hpp"
#include "support/stack.hpp"
#include "support/test_keys.hpp"

using namespace payments;
using namespace payments::testing;
using namespace std::chrono_literals;

namespace {

using Env = std::map<std::string, std::string>;

struct SecureBroker {
  std::string brokers = env_or("KAFKA_SECURE_BROKERS", "127.0.0.1:19092");
  std::string dir = env_or("KAFKA_SECURE_DIR", (source_dir() + "/.local/kafka-secure").c_str());

  [[nodiscard]] std::string password(const std::string& user) const {
    std::ifstream in(dir + "/users/" + user + ".password");
    REQUIRE_MESSAGE(in.good(), "no secure Kafka broker: start it with tools/dev/kafka.sh start-secure");
    return {std::istreambuf_iterator<char>(in), {}};
  }
  // What a service (or payments-admin) needs to connect as `user`.
  [[nodiscard]] Env env(const std::string& user, std::optional<std::string> password_override = std::nullopt) const {
    return {{"KAFKA_BROKERS", brokers},
            {"KAFKA_SECURITY_PROTOCOL", "sasl_ssl"},
            {"KAFKA_SASL_MECHANISM", "SCRAM-SHA-512"},
            {"KAFKA_SASL_USERNAME", user},
            {"KAFKA_SASL_PASSWORD", password_override.value_or(password(user))},
            {"KAFKA_SSL_CA_LOCATION", dir + "/ca.pem"}};
  }
};

Env merged(Env base, const Env& more) {
  for (const auto& [k, v] : more) base[k] = v;
  return base;
}

// A binary run to its exit against the secure broker, without MySQL (the Kafka check comes first).
struct Run {
  int exit_code = -1;
  std::string output;
  std::chrono::steady_clock::duration took{};
};

Run run(const std::string& relative_binary, const std::vector<std::string>& args, const Env& env) {
  const auto dir = std::filesystem::temp_directory_path() / unique_name("payments-kafka-sec");
  std::filesystem::create_directories(dir);
  const Env service{{"MYSQL_USER", "payments_app"}, {"MYSQL_PORT", "1"},  // never reached
                    {"STRIPE_SECRET_KEY", "sk_test_kafka_security"}, {"OTP_SECRET", "otp_kafka_security_secret"},
                    {"INTERNAL_EVENT_KEY", kTestInternalEventKey}, {"DATA_ENCRYPTION_KEY", kTestDataKey1},
                    {"LOG_LEVEL", "info"}};
  const auto started = std::chrono::steady_clock::now();
  ChildProcess process(binary(relative_binary), args, merged(service, env), (dir / "out.log").string());
  Run result;
  result.exit_code = process.wait_exit(60s);
  result.took = std::chrono::steady_clock::now() - started;
  result.output = process.output();
  std::filesystem::remove_all(dir);
  return result;
}

int line_count(const std::string& text) {
  int lines = 0;
  for (char c : text) lines += c == '\n' ? 1 : 0;
  return lines;
}

}  // namespace

TEST_CASE("a payment runs end to end over SASL_SSL, each service as its own least-privilege user, topics made "
          "beforehand by payments-admin") {
  const SecureBroker broker;
  const auto prefix = unique_name("bbs") + ".";
  const auto topics = events::TopicNames::with_prefix(prefix);
  // The README's ACL table for this prefix: exact topics, the worker's group, no Create for either service.
  grant_acls(kafka_connection(broker.env("admin")),
             service_acls(topics, prefix + "worker", "payments-api", "payments-worker"));

  StackOptions options;
  options.topic_prefix = prefix;
  options.kafka_env = broker.env("admin");  // payments-admin topics and the test's own producer and readers
  options.api_env = merged(broker.env("payments-api"), {{"KAFKA_CREATE_TOPICS", "false"}});
  options.worker_env = merged(broker.env("payments-worker"), {{"KAFKA_CREATE_TOPICS", "false"}});
  Stack stack(options);

  auto accepted = stack.post_payment(
      R"({"order_id":"sasl-1","amount":1999,"currency":"usd","payment_method":"pm_card_visa"})");
  REQUIRE(accepted.status == 202);
  const auto id = json_field(accepted.body, "payment_id");
  CHECK(stack.wait_for_status(id) == "succeeded");
  CHECK(stack.charges_for(id) == 1);
  CHECK(stack.get("/ready").status == 200);

  // The event, read over SASL_SSL (as admin) from the topic the worker may write and the API may not.
  const auto events = stack.read_topic(topics.success, 1);
  REQUIRE(events.size() == 1);
  CHECK(events.front().key == id);
  CHECK(json_field(events.front().value, "type") == "payment.succeeded");

  const auto logs = stack.logs();
  for (const char* user : {"admin", "payments-api", "payments-worker"}) {
    CHECK_MESSAGE(logs.find(broker.password(user)) == std::string::npos, user << "'s password is in a log");
  }
}

TEST_CASE("a client without credentials, or with a wrong password, is refused in one line within seconds") {
  const SecureBroker broker;
  const Env topics{{"KAFKA_TOPIC_PREFIX", unique_name("bbs-refused") + "."}};

  // No credentials: plaintext against the SASL_SSL listener.
  auto anonymous = run("tools/admin/payments-admin", {"topics"},
                       merged(topics, {{"KAFKA_BROKERS", broker.brokers}, {"KAFKA_SECURITY_PROTOCOL", "plaintext"}}));
  CHECK(anonymous.exit_code == 1);
  CHECK_MESSAGE(anonymous.output.find("payments-admin: Kafka unreachable at " + broker.brokers) != std::string::npos,
                anonymous.output);
  CHECK(anonymous.output.find("incorrect security.protocol") != std::string::npos);  // librdkafka's hint
  CHECK(line_count(anonymous.output) == 1);
  CHECK(anonymous.took < 30s);

  // TLS but no SASL: the broker refuses to talk before authentication.
  auto tls_only = run("tools/admin/payments-admin", {"topics"},
                      merged(topics, {{"KAFKA_BROKERS", broker.brokers},
                                      {"KAFKA_SECURITY_PROTOCOL", "ssl"},
                                      {"KAFKA_SSL_CA_LOCATION", broker.dir + "/ca.pem"}}));
  CHECK(tls_only.exit_code == 1);
  CHECK_MESSAGE(tls_only.output.find("payments-admin: Kafka unreachable at " + broker.brokers) != std::string::npos,
                tls_only.output);
  CHECK(tls_only.took < 30s);

  // A wrong password, for the operator tool and for a service: refused at once, naming the settings to check,
  // never showing the password.
  const std::string wrong = "wrong-" + unique_name("pw");
  auto admin = run("tools/admin/payments-admin", {"topics"}, merged(topics, broker.env("admin", wrong)));
  CHECK(admin.exit_code == 1);
  CHECK_MESSAGE(admin.output.find("payments-admin: Kafka at " + broker.brokers + " refused the credentials") !=
                    std::string::npos,
                admin.output);
  CHECK(admin.output.find("Authentication failed") != std::string::npos);
  CHECK(admin.output.find(wrong) == std::string::npos);
  CHECK(line_count(admin.output) == 1);
  CHECK(admin.took < 10s);

  auto worker = run("apps/worker/payments-worker", {}, merged(topics, broker.env("payments-worker", wrong)));
  CHECK(worker.exit_code == 1);
  CHECK_MESSAGE(worker.output.find("payments-worker: Kafka at " + broker.brokers + " refused the credentials") !=
                    std::string::npos,
                worker.output);
  CHECK(worker.output.find(wrong) == std::string::npos);
  CHECK(worker.took < 10s);
}

TEST_CASE("a service without Create rights: stops with an authorization error when asked to create topics, and "
          "asks for payments-admin topics when not") {
  const SecureBroker broker;
  const auto prefix = unique_name("bbs-nocreate") + ".";
  const auto topics = events::TopicNames::with_prefix(prefix);
  grant_acls(kafka_connection(broker.env("admin")),
             service_acls(topics, prefix + "worker", "payments-api", "payments-worker"));
  const Env worker_env = merged(broker.env("payments-worker"),
                                {{"KAFKA_TOPIC_PREFIX", prefix}, {"WORKER_GROUP_ID", prefix + "worker"}});

  // KAFKA_CREATE_TOPICS=true (the default) and the topics missing: the broker refuses, and the worker says why.
  auto creating = run("apps/worker/payments-worker", {}, worker_env);
  CHECK(creating.exit_code == 1);
  CHECK_MESSAGE(creating.output.find("payments-worker: cannot create topic " + prefix) != std::string::npos,
                creating.output);
  CHECK(creating.output.find("Topic authorization failed") != std::string::npos);
  CHECK(creating.output.find("KAFKA_CREATE_TOPICS=false") != std::string::npos);
  CHECK(line_count(creating.output) == 1);
  CHECK(creating.took < 30s);

  // KAFKA_CREATE_TOPICS=false: no attempt; the operator is told what to run.
  auto checking = run("apps/worker/payments-worker", {}, merged(worker_env, {{"KAFKA_CREATE_TOPICS", "false"}}));
  CHECK(checking.exit_code == 1);
  CHECK_MESSAGE(checking.output.find("payments-worker: Kafka topics missing at " + broker.brokers) != std::string::npos,
                checking.output);
  CHECK(checking.output.find(topics.commands) != std::string::npos);
  CHECK(checking.output.find("payments-admin topics") != std::string::npos);
  CHECK(checking.took < 30s);

  // Nothing above created a topic (the super user sees none of them).
  CHECK_FALSE(events::require_topics(kafka_connection(broker.env("admin")), {topics.commands}, 10s));
}
