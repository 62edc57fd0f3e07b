#include "payments/core/kafka_settings.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <map>

using namespace payments;

namespace {

using Vars = std::map<std::string, std::string>;

EnvLookup lookup_of(const Vars& vars) {
  return [vars](std::string_view name) -> std::optional<std::string> {
    auto it = vars.find(std::string(name));
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

EnvNames names_of(const Vars& vars) {
  return [vars] {
    std::vector<std::string> names;
    for (const auto& [name, value] : vars) names.push_back(name);
    return names;
  };
}

Result<KafkaClientProperties> parse(const Vars& vars) {
  return kafka_client_properties(lookup_of(vars), names_of(vars));
}

std::map<std::string, std::string> as_map(const KafkaClientProperties& properties) {
  std::map<std::string, std::string> out;
  for (const auto& p : properties) out[p.name] = p.value.reveal();
  return out;
}

// A readable file standing in for a CA or client certificate.
std::string existing_file() {
  static const std::string path = [] {
    auto p = std::filesystem::temp_directory_path() / "payments-kafka-settings-test.pem";
    std::ofstream(p) << "not really a certificate\n";
    return p.string();
  }();
  return path;
}

const Vars kSasl{{"KAFKA_SECURITY_PROTOCOL", "sasl_ssl"},
                 {"KAFKA_SASL_MECHANISM", "SCRAM-SHA-512"},
                 {"KAFKA_SASL_USERNAME", "payments-worker"},
                 {"KAFKA_SASL_PASSWORD", "s3cret-Pa55"}};

Vars with(Vars base, const Vars& more) {
  for (const auto& [k, v] : more) base[k] = v;
  return base;
}

}  // namespace

TEST_CASE("without security variables a client gets no extra property (plaintext, as before)") {
  auto properties = parse({{"KAFKA_BROKERS", "k:9092"}, {"PATH", "/usr/bin"}});
  REQUIRE(properties);
  CHECK(properties->empty());
}

TEST_CASE("the named variables map to librdkafka's properties, each remembering its variable") {
  auto properties = parse(with(kSasl, {{"KAFKA_SSL_CA_LOCATION", existing_file()},
                                       {"KAFKA_SSL_CERTIFICATE_LOCATION", existing_file()},
                                       {"KAFKA_SSL_KEY_LOCATION", existing_file()}}));
  REQUIRE_MESSAGE(properties, (properties ? "" : properties.error().message));
  const auto map = as_map(properties.value());
  CHECK(map.at("security.protocol") == "sasl_ssl");
  CHECK(map.at("sasl.mechanisms") == "SCRAM-SHA-512");
  CHECK(map.at("sasl.username") == "payments-worker");
  CHECK(map.at("sasl.password") == "s3cret-Pa55");
  CHECK(map.at("ssl.ca.location") == existing_file());
  CHECK(map.at("ssl.certificate.location") == existing_file());
  CHECK(map.at("ssl.key.location") == existing_file());
  for (const auto& p : properties.value()) {
    if (p.name == "sasl.username") CHECK(p.variable == "KAFKA_SASL_USERNAME");
  }
}

TEST_CASE("protocol and mechanism are accepted in any case and normalised") {
  auto properties =
      parse(with(kSasl, {{"KAFKA_SECURITY_PROTOCOL", "SASL_PLAINTEXT"}, {"KAFKA_SASL_MECHANISM", "scram-sha-256"}}));
  REQUIRE(properties);
  CHECK(as_map(properties.value()).at("security.protocol") == "sasl_plaintext");
  CHECK(as_map(properties.value()).at("sasl.mechanisms") == "SCRAM-SHA-256");
}

TEST_CASE("KAFKA_CONFIG_<NAME> passes any property through, dots written as underscores") {
  CHECK(kafka_property_name("SSL_ENDPOINT_IDENTIFICATION_ALGORITHM") == "ssl.endpoint.identification.algorithm");
  CHECK(kafka_property_name("LOG_LEVEL") == "log_level");
  auto properties = parse(with(kSasl, {{"KAFKA_CONFIG_SSL_ENDPOINT_IDENTIFICATION_ALGORITHM", "none"},
                                       {"KAFKA_CONFIG_SOCKET_KEEPALIVE_ENABLE", "true"},
                                       {"KAFKA_CONFIG_", "ignored: no name"},
                                       {"KAFKA_CONFIG_LINGER_MS", ""}}));
  REQUIRE(properties);
  const auto map = as_map(properties.value());
  CHECK(map.at("ssl.endpoint.identification.algorithm") == "none");
  CHECK(map.at("socket.keepalive.enable") == "true");
  CHECK(map.count("linger.ms") == 0);  // empty is unset, as for every setting
  CHECK(map.size() == 6);
  for (const auto& p : properties.value()) {
    if (p.name == "socket.keepalive.enable") CHECK(p.variable == "KAFKA_CONFIG_SOCKET_KEEPALIVE_ENABLE");
  }
}

TEST_CASE("the pass-through spelling of a named setting is validated like it") {
  auto properties = parse({{"KAFKA_CONFIG_SECURITY_PROTOCOL", "SSL"}});
  REQUIRE(properties);
  CHECK(as_map(properties.value()).at("security.protocol") == "ssl");
  auto bad = parse({{"KAFKA_CONFIG_SECURITY_PROTOCOL", "tls"}});
  REQUIRE_FALSE(bad);
  CHECK(bad.error().field == "KAFKA_CONFIG_SECURITY_PROTOCOL");
}

TEST_CASE("unknown protocols and mechanisms are refused in one line naming the variable and the choices") {
  auto protocol = parse({{"KAFKA_SECURITY_PROTOCOL", "sasl_tls"}});
  REQUIRE_FALSE(protocol);
  CHECK(protocol.error().field == "KAFKA_SECURITY_PROTOCOL");
  CHECK(protocol.error().message ==
        "KAFKA_SECURITY_PROTOCOL must be one of plaintext, ssl, sasl_plaintext, sasl_ssl, got 'sasl_tls'");

  auto mechanism = parse(with(kSasl, {{"KAFKA_SASL_MECHANISM", "GSSAPI"}}));
  REQUIRE_FALSE(mechanism);
  CHECK(mechanism.error().field == "KAFKA_SASL_MECHANISM");
  CHECK(mechanism.error().message.find("PLAIN, SCRAM-SHA-256, SCRAM-SHA-512") != std::string::npos);
  CHECK(mechanism.error().message.find('\n') == std::string::npos);
}

TEST_CASE("SASL without a mechanism, user name or password is refused at start-up") {
  for (const char* missing : {"KAFKA_SASL_MECHANISM", "KAFKA_SASL_USERNAME", "KAFKA_SASL_PASSWORD"}) {
    Vars vars = kSasl;
    vars.erase(missing);
    auto parsed = parse(vars);
    REQUIRE_FALSE(parsed);
    CHECK(parsed.error().field == missing);
    const std::string expected = std::string(missing) + " is required when KAFKA_SECURITY_PROTOCOL is sasl_ssl";
    CHECK(parsed.error().message.rfind(expected, 0) == 0);
  }
}

TEST_CASE("credentials or certificates the protocol would ignore are refused, not silently dropped") {
  auto password_in_clear = parse({{"KAFKA_SASL_USERNAME", "u"}, {"KAFKA_SASL_PASSWORD", "p"}});
  REQUIRE_FALSE(password_in_clear);
  CHECK(password_in_clear.error().field == "KAFKA_SASL_USERNAME");
  CHECK(password_in_clear.error().message.find("KAFKA_SECURITY_PROTOCOL is plaintext") != std::string::npos);

  auto ca_without_tls = parse(with(kSasl, {{"KAFKA_SECURITY_PROTOCOL", "sasl_plaintext"},
                                           {"KAFKA_SSL_CA_LOCATION", existing_file()}}));
  REQUIRE_FALSE(ca_without_tls);
  CHECK(ca_without_tls.error().field == "KAFKA_SSL_CA_LOCATION");

  auto certificate_without_key = parse({{"KAFKA_SECURITY_PROTOCOL", "ssl"},
                                        {"KAFKA_SSL_CERTIFICATE_LOCATION", existing_file()}});
  REQUIRE_FALSE(certificate_without_key);
  CHECK(certificate_without_key.error().field == "KAFKA_SSL_CERTIFICATE_LOCATION");
}

TEST_CASE("a certificate file that cannot be read is named with its variable") {
  auto parsed = parse({{"KAFKA_SECURITY_PROTOCOL", "ssl"}, {"KAFKA_SSL_CA_LOCATION", "/nonexistent/ca.pem"}});
  REQUIRE_FALSE(parsed);
  CHECK(parsed.error().field == "KAFKA_SSL_CA_LOCATION");
  CHECK(parsed.error().message.find("/nonexistent/ca.pem") != std::string::npos);
  CHECK(parse({{"KAFKA_SECURITY_PROTOCOL", "ssl"}, {"KAFKA_SSL_CA_LOCATION", "probe"}}));  // librdkafka's own
}

TEST_CASE("the same property twice, and the properties the guarantees rest on, are refused") {
  auto twice = parse(with(kSasl, {{"KAFKA_CONFIG_SASL_USERNAME", "other"}}));
  REQUIRE_FALSE(twice);
  CHECK(twice.error().message.find("KAFKA_CONFIG_SASL_USERNAME and KAFKA_SASL_USERNAME both set sasl.username") !=
        std::string::npos);
  auto alias = parse(with(kSasl, {{"KAFKA_CONFIG_SASL_MECHANISM", "PLAIN"}}));  // librdkafka's alias
  REQUIRE_FALSE(alias);

  for (const auto& [variable, hint] : std::map<std::string, std::string>{
           {"KAFKA_CONFIG_BOOTSTRAP_SERVERS", "KAFKA_BROKERS"},
           {"KAFKA_CONFIG_GROUP_ID", "WORKER_GROUP_ID"},
           {"KAFKA_CONFIG_ENABLE_IDEMPOTENCE", "idempotent"},
           {"KAFKA_CONFIG_ENABLE_AUTO_OFFSET_STORE", "stores an offset"}}) {
    auto parsed = parse({{variable, "x"}});
    REQUIRE_FALSE(parsed);
    CHECK(parsed.error().field == variable);
    CHECK(parsed.error().message.find(hint) != std::string::npos);
  }
}

TEST_CASE("no error ever shows a password") {
  const std::string password = "s3cret-Pa55";
  std::vector<Vars> failing{
      with(kSasl, {{"KAFKA_SASL_MECHANISM", "NOPE"}}),
      with(kSasl, {{"KAFKA_SECURITY_PROTOCOL", "plaintext"}}),
      with(kSasl, {{"KAFKA_CONFIG_SASL_PASSWORD", password}}),
      with(kSasl, {{"KAFKA_SASL_USERNAME", ""}}),
      {{"KAFKA_SASL_PASSWORD", password}},
      {{"KAFKA_CONFIG_SSL_KEY_PASSWORD", password}, {"KAFKA_SSL_CA_LOCATION", existing_file()}},
  };
  for (const auto& vars : failing) {
    auto parsed = parse(vars);
    REQUIRE_FALSE(parsed);
    CHECK(parsed.error().message.find(password) == std::string::npos);
  }
  CHECK(is_sensitive_kafka_property("sasl.password"));
  CHECK(is_sensitive_kafka_property("ssl.key.password"));
  CHECK(is_sensitive_kafka_property("sasl.oauthbearer.client.secret"));
  CHECK_FALSE(is_sensitive_kafka_property("sasl.username"));
}

TEST_CASE("KAFKA_CREATE_TOPICS is true unless set to false - anything else is refused") {
  KafkaSettings settings;
  REQUIRE(load_kafka_client_settings(lookup_of({}), names_of({}), settings));
  CHECK(settings.create_topics);
  REQUIRE(load_kafka_client_settings(lookup_of({{"KAFKA_CREATE_TOPICS", "false"}}), names_of({}), settings));
  CHECK_FALSE(settings.create_topics);
  auto bad = load_kafka_client_settings(lookup_of({{"KAFKA_CREATE_TOPICS", "no"}}), names_of({}), settings);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().field == "KAFKA_CREATE_TOPICS");
}

TEST_CASE("load_config fills the client properties from the environment, pass-through included") {
  const Vars vars = with(kSasl, {{"KAFKA_CONFIG_CLIENT_RACK", "r1"}, {"KAFKA_CREATE_TOPICS", "false"}});
  auto config = load_config(lookup_of(vars), {}, names_of(vars));
  REQUIRE(config);
  CHECK(as_map(config->kafka.client_properties).at("client.rack") == "r1");
  CHECK(as_map(config->kafka.client_properties).at("sasl.password") == "s3cret-Pa55");
  CHECK_FALSE(config->kafka.create_topics);
  auto bad = load_config(lookup_of({{"KAFKA_SECURITY_PROTOCOL", "tls"}}), {}, names_of({}));
  REQUIRE_FALSE(bad);
  CHECK(bad.error().field == "KAFKA_SECURITY_PROTOCOL");
}
