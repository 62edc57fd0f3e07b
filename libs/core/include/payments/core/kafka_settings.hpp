#pragma once
// How every Kafka client of the project connects, from the environment: the one place that turns variables
// into librdkafka properties. The API, the worker, payments-admin, the load generator and the tests' own
// clients all build their clients from what this returns.
//
//   KAFKA_SECURITY_PROTOCOL          security.protocol  plaintext | ssl | sasl_plaintext | sasl_ssl
//   KAFKA_SASL_MECHANISM             sasl.mechanisms    PLAIN | SCRAM-SHA-256 | SCRAM-SHA-512
//   KAFKA_SASL_USERNAME              sasl.username
//   KAFKA_SASL_PASSWORD              sasl.password      (a secret: never in a log or an error)
//   KAFKA_SSL_CA_LOCATION            ssl.ca.location
//   KAFKA_SSL_CERTIFICATE_LOCATION   ssl.certificate.location
//   KAFKA_SSL_KEY_LOCATION           ssl.key.location
//   KAFKA_CONFIG_<NAME>              any librdkafka property, its dots written as underscores
//                                    (KAFKA_CONFIG_SSL_ENDPOINT_IDENTIFICATION_ALGORITHM=none)
//
// Refused at start-up, with one line naming the variable: an unknown protocol or mechanism; SASL without a
// mechanism, user name or password; credentials or certificates the chosen protocol would silently ignore;
// a certificate without its key; a file that cannot be read; the same property twice; and the few properties
// the services' delivery guarantees rest on (bootstrap.servers, group.id, enable.idempotence,
// enable.auto.offset.store). Properties librdkafka itself refuses are reported by the Kafka library, naming
// the variable too.

#include <string>
#include <string_view>

#include "payments/core/config.hpp"

namespace payments {

// The client properties the environment asks for, validated as above.
Result<KafkaClientProperties> kafka_client_properties(const EnvLookup& env, const EnvNames& names);

// Fills settings.client_properties (above) and settings.create_topics (KAFKA_CREATE_TOPICS, true or false).
Status load_kafka_client_settings(const EnvLookup& env, const EnvNames& names, KafkaSettings& settings);

// True for a property whose value is a credential (passwords, secrets, JAAS lines, inline private keys):
// errors about it never show its value.
bool is_sensitive_kafka_property(std::string_view name);

// "ssl.endpoint.identification.algorithm" from "SSL_ENDPOINT_IDENTIFICATION_ALGORITHM" (the part after
// KAFKA_CONFIG_).
std::string kafka_property_name(std::string_view variable_suffix);

}  // namespace payments
