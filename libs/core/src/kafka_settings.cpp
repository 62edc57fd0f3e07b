#include "payments/core/kafka_settings.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <fstream>

namespace payments {
namespace {

constexpr std::string_view kPassThrough = "KAFKA_CONFIG_";

struct NamedVariable {
  std::string_view variable;
  std::string_view property;
};
constexpr std::array<NamedVariable, 7> kNamed{{
    {"KAFKA_SECURITY_PROTOCOL", "security.protocol"},
    {"KAFKA_SASL_MECHANISM", "sasl.mechanisms"},
    {"KAFKA_SASL_USERNAME", "sasl.username"},
    {"KAFKA_SASL_PASSWORD", "sasl.password"},
    {"KAFKA_SSL_CA_LOCATION", "ssl.ca.location"},
    {"KAFKA_SSL_CERTIFICATE_LOCATION", "ssl.certificate.location"},
    {"KAFKA_SSL_KEY_LOCATION", "ssl.key.location"},
}};

// Properties the services set themselves because their guarantees rest on them, and what to use instead.
struct Reserved {
  std::string_view property;
  std::string_view why;
};
constexpr std::array<Reserved, 5> kReserved{{
    {"bootstrap.servers", "set KAFKA_BROKERS instead"},
    {"metadata.broker.list", "set KAFKA_BROKERS instead"},
    {"group.id", "set WORKER_GROUP_ID instead"},
    {"enable.idempotence", "the producer must stay idempotent (no duplicate or reordered events)"},
    {"enable.auto.offset.store", "the worker stores an offset only once its command is done"},
}};

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

std::string upper(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::toupper(c); });
  return out;
}

// librdkafka accepts "sasl.mechanism" as an alias: one name per property, so duplicates are found.
std::string canonical(std::string_view name) {
  return std::string(name == "sasl.mechanism" ? std::string_view("sasl.mechanisms") : name);
}

class PropertyList {
 public:
  Status add(std::string variable, std::string name, std::string value) {
    name = canonical(name);
    if (const auto* same = find(name)) {
      return Error::validation(variable, variable + " and " + same->variable + " both set " + name + ": keep one");
    }
    properties_.push_back({std::move(variable), std::move(name), Secret(std::move(value))});
    return Ok{};
  }
  [[nodiscard]] const KafkaClientProperty* find(std::string_view name) const {
    for (const auto& p : properties_) {
      if (p.name == name) return &p;
    }
    return nullptr;
  }
  KafkaClientProperty* find_mutable(std::string_view name) {
    for (auto& p : properties_) {
      if (p.name == name) return &p;
    }
    return nullptr;
  }
  KafkaClientProperties take() { return std::move(properties_); }

 private:
  KafkaClientProperties properties_;
};

// Normalises security.protocol and sasl.mechanisms in place; an error names the variable and the choices.
Status check_choices(PropertyList& list) {
  if (auto* p = list.find_mutable("security.protocol")) {
    const auto value = lower(p->value.reveal());
    if (value != "plaintext" && value != "ssl" && value != "sasl_plaintext" && value != "sasl_ssl") {
      return Error::validation(p->variable, p->variable + " must be one of plaintext, ssl, sasl_plaintext, "
                                                          "sasl_ssl, got '" + p->value.reveal() + "'");
    }
    p->value = Secret(value);
  }
  if (auto* p = list.find_mutable("sasl.mechanisms")) {
    const auto value = upper(p->value.reveal());
    if (value != "PLAIN" && value != "SCRAM-SHA-256" && value != "SCRAM-SHA-512") {
      return Error::validation(p->variable, p->variable + " must be one of PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, "
                                                          "got '" + p->value.reveal() + "'");
    }
    p->value = Secret(value);
  }
  return Ok{};
}

// The protocol decides which other settings make sense: SASL needs all three of mechanism, user and password,
// and credentials or certificates that the protocol would ignore are refused (an operator who set them
// believes they are in force).
Status check_consistency(const PropertyList& list) {
  const auto* protocol_property = list.find("security.protocol");
  const std::string protocol = protocol_property == nullptr ? "plaintext" : protocol_property->value.reveal();
  const std::string protocol_variable =
      protocol_property == nullptr ? "KAFKA_SECURITY_PROTOCOL" : protocol_property->variable;
  const bool sasl = protocol.rfind("sasl_", 0) == 0;
  const bool tls = protocol == "ssl" || protocol == "sasl_ssl";
  const std::string in_force = protocol_variable + " is " + protocol;

  for (const char* name : {"sasl.mechanisms", "sasl.username", "sasl.password"}) {
    const auto* p = list.find(name);
    if (sasl && p == nullptr) {
      const auto* named = std::find_if(kNamed.begin(), kNamed.end(), [&](const auto& n) { return n.property == name; });
      return Error::validation(std::string(named->variable),
                               std::string(named->variable) + " is required when " + in_force +
                                   (std::string_view(name) == "sasl.mechanisms"
                                        ? " (PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512)"
                                        : ""));
    }
    if (!sasl && p != nullptr) {
      return Error::validation(p->variable, p->variable + " is set but " + in_force +
                                                ", which sends no credentials: use sasl_ssl (or sasl_plaintext)");
    }
  }
  for (const char* name : {"ssl.ca.location", "ssl.certificate.location", "ssl.key.location"}) {
    const auto* p = list.find(name);
    if (p != nullptr && !tls) {
      return Error::validation(p->variable, p->variable + " is set but " + in_force +
                                                ", which does not use TLS: use ssl or sasl_ssl");
    }
  }
  const auto* certificate = list.find("ssl.certificate.location");
  const auto* key = list.find("ssl.key.location");
  if ((certificate == nullptr) != (key == nullptr)) {
    const auto* given = certificate != nullptr ? certificate : key;
    return Error::validation(given->variable, given->variable + " needs its pair: a client certificate needs " +
                                                  "KAFKA_SSL_CERTIFICATE_LOCATION and KAFKA_SSL_KEY_LOCATION both");
  }
  return Ok{};
}

Status check_files(const PropertyList& list) {
  for (const char* name : {"ssl.ca.location", "ssl.certificate.location", "ssl.key.location"}) {
    const auto* p = list.find(name);
    if (p == nullptr || (std::string_view(name) == "ssl.ca.location" && p->value.reveal() == "probe")) continue;
    if (!std::ifstream(p->value.reveal()).good()) {
      return Error::validation(p->variable, p->variable + " names a file that cannot be read: " + p->value.reveal());
    }
  }
  return Ok{};
}

}  // namespace

std::string kafka_property_name(std::string_view variable_suffix) {
  std::string name = lower(variable_suffix);
  std::replace(name.begin(), name.end(), '_', '.');
  // The one settable librdkafka property with an underscore in its name.
  if (name == "log.level") name = "log_level";
  return name;
}

bool is_sensitive_kafka_property(std::string_view name) {
  const std::string n = lower(name);
  return n.find("password") != std::string::npos || n.find("secret") != std::string::npos ||
         n.find("jaas") != std::string::npos || n == "ssl.key.pem" || n == "ssl_key" ||
         n == "sasl.oauthbearer.config";
}

Result<KafkaClientProperties> kafka_client_properties(const EnvLookup& env, const EnvNames& names) {
  PropertyList list;
  for (const auto& named : kNamed) {
    if (auto value = env(named.variable); value && !value->empty()) {
      if (auto added = list.add(std::string(named.variable), std::string(named.property), *value); !added) {
        return std::move(added).error();
      }
    }
  }
  std::vector<std::string> pass_through;
  if (names) {
    for (auto& name : names()) {
      if (name.size() > kPassThrough.size() && name.rfind(kPassThrough, 0) == 0) {
        pass_through.push_back(std::move(name));
      }
    }
  }
  std::sort(pass_through.begin(), pass_through.end());
  for (const auto& variable : pass_through) {
    auto value = env(variable);
    if (!value || value->empty()) continue;
    const std::string property = canonical(kafka_property_name(std::string_view(variable).substr(kPassThrough.size())));
    for (const auto& reserved : kReserved) {
      if (property == reserved.property) {
        return Error::validation(variable, variable + " may not set " + property + ": " + std::string(reserved.why));
      }
    }
    if (auto added = list.add(variable, property, *value); !added) return std::move(added).error();
  }
  if (auto checked = check_choices(list); !checked) return std::move(checked).error();
  if (auto checked = check_consistency(list); !checked) return std::move(checked).error();
  if (auto checked = check_files(list); !checked) return std::move(checked).error();
  return list.take();
}

Status load_kafka_client_settings(const EnvLookup& env, const EnvNames& names, KafkaSettings& settings) {
  auto properties = kafka_client_properties(env, names);
  if (!properties) return std::move(properties).error();
  settings.client_properties = std::move(properties).value();
  if (auto value = env("KAFKA_CREATE_TOPICS"); value && !value->empty()) {
    const auto text = lower(*value);
    if (text != "true" && text != "false") {
      return Error::validation("KAFKA_CREATE_TOPICS",
                               "KAFKA_CREATE_TOPICS must be true or false, got '" + *value + "'");
    }
    settings.create_topics = text == "true";
  }
  return Ok{};
}

}  // namespace payments
