#pragma once
// Private helpers shared by the producer, the consumer and the admin calls.

#include <librdkafka/rdkafkacpp.h>

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "payments/core/config.hpp"
#include "payments/core/result.hpp"
#include "payments/events/kafka.hpp"

namespace payments::events::detail {

using Properties = std::vector<std::pair<std::string, std::string>>;

// Sets the client's own properties, then the environment's (which may override them). `set` returns librdkafka's
// refusal, empty when it accepted. An error names the property, or the variable it came from, and never shows
// the value of a credential.
using PropertySetter = std::function<std::string(const std::string& name, const std::string& value)>;
Status apply_properties(const Properties& own, const KafkaClientProperties& environment, const PropertySetter& set);

// Builds a global configuration with apply_properties.
Result<std::unique_ptr<RdKafka::Conf>> make_conf(const Properties& properties,
                                                 const KafkaClientProperties& environment = {});

// librdkafka's refusal to create a client ("ssl.ca.location failed: ..."), prefixed with the variable behind the
// property it names, if the environment set it.
std::string name_variable(std::string error, const KafkaClientProperties& environment);

// Routes librdkafka's own logs and errors into the service log instead of raw stderr lines.
class LogBridge final : public RdKafka::EventCb {
 public:
  void event_cb(RdKafka::Event& event) override;
};
LogBridge& log_bridge();

Error kafka_error(std::string_view what, RdKafka::ErrorCode code);

// A consumed record as the rest of the project sees it: topic, position, key, value and headers. (Not const:
// librdkafka's Message::headers() is not.)
IncomingMessage incoming(RdKafka::Message& message);

}  // namespace payments::events::detail
