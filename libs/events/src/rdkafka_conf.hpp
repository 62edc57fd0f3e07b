#pragma once
// Private helpers shared by the producer, the consumer and the admin calls.

#include <librdkafka/rdkafkacpp.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "payments/core/result.hpp"

namespace payments::events::detail {

using Properties = std::vector<std::pair<std::string, std::string>>;

// Builds a global configuration; the error names the property that librdkafka refused.
Result<std::unique_ptr<RdKafka::Conf>> make_conf(const Properties& properties);

// Routes librdkafka's own logs and errors into the service log instead of raw stderr lines.
class LogBridge final : public RdKafka::EventCb {
 public:
  void event_cb(RdKafka::Event& event) override;
};
LogBridge& log_bridge();

Error kafka_error(std::string_view what, RdKafka::ErrorCode code);

}  // namespace payments::events::detail
