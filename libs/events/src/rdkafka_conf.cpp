#include "rdkafka_conf.hpp"

#include "payments/core/kafka_settings.hpp"
#include "payments/core/log.hpp"

namespace payments::events::detail {

namespace {

// librdkafka quotes a refused value ("Invalid value "..." for configuration property ..."): hide credentials.
std::string without_value(std::string text, const std::string& value) {
  if (value.empty()) return text;
  for (auto at = text.find(value); at != std::string::npos; at = text.find(value, at)) {
    text.replace(at, value.size(), "[hidden]");
  }
  return text;
}

}  // namespace

Status apply_properties(const Properties& own, const KafkaClientProperties& environment, const PropertySetter& set) {
  for (const auto& [name, value] : own) {
    if (auto error = set(name, value); !error.empty()) {
      return Error::validation(name, "Kafka setting " + name + " refused: " + error);
    }
  }
  for (const auto& property : environment) {
    auto error = set(property.name, property.value.reveal());
    if (error.empty()) continue;
    if (is_sensitive_kafka_property(property.name)) error = without_value(error, property.value.reveal());
    return Error::validation(property.variable,
                             property.variable + ": librdkafka refused " + property.name + ": " + error);
  }
  return Ok{};
}

Result<std::unique_ptr<RdKafka::Conf>> make_conf(const Properties& properties,
                                                 const KafkaClientProperties& environment) {
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  std::string error;
  if (conf->set("event_cb", static_cast<RdKafka::EventCb*>(&log_bridge()), error) != RdKafka::Conf::CONF_OK) {
    return Error::internal("librdkafka refused event_cb: " + error);
  }
  auto applied = apply_properties(properties, environment, [&conf](const std::string& name, const std::string& value) {
    std::string refusal;
    return conf->set(name, value, refusal) == RdKafka::Conf::CONF_OK ? std::string{} : refusal;
  });
  if (!applied) return std::move(applied).error();
  return conf;
}

std::string name_variable(std::string error, const KafkaClientProperties& environment) {
  for (const auto& property : environment) {
    if (error.find(property.name) != std::string::npos) return property.variable + ": " + error;
  }
  return error;
}

void LogBridge::event_cb(RdKafka::Event& event) {
  switch (event.type()) {
    case RdKafka::Event::EVENT_ERROR: {
      const auto code = event.err();
      const std::string text = RdKafka::err2str(code) + ": " + event.str();
      // Connection churn is normal while a broker restarts; keep it out of warn-level logs.
      if (code == RdKafka::ERR__TRANSPORT || code == RdKafka::ERR__ALL_BROKERS_DOWN || code == RdKafka::ERR__RESOLVE) {
        log::debug("kafka", {{"error", text}});
      } else {
        log::warn("kafka", {{"error", text}, {"fatal", event.fatal() ? "true" : "false"}});
      }
      break;
    }
    case RdKafka::Event::EVENT_LOG:
      log::debug("kafka", {{"facility", event.fac()}, {"message", event.str()}});
      break;
    default:
      break;
  }
}

LogBridge& log_bridge() {
  static LogBridge bridge;
  return bridge;
}

Error kafka_error(std::string_view what, RdKafka::ErrorCode code) {
  const bool retryable = code == RdKafka::ERR__TRANSPORT || code == RdKafka::ERR__ALL_BROKERS_DOWN ||
                         code == RdKafka::ERR__TIMED_OUT || code == RdKafka::ERR__MSG_TIMED_OUT ||
                         code == RdKafka::ERR__QUEUE_FULL || code == RdKafka::ERR_REQUEST_TIMED_OUT ||
                         code == RdKafka::ERR_NOT_ENOUGH_REPLICAS || code == RdKafka::ERR_LEADER_NOT_AVAILABLE ||
                         code == RdKafka::ERR_NOT_LEADER_FOR_PARTITION || code == RdKafka::ERR__RESOLVE;
  return {retryable ? ErrorCode::unavailable : ErrorCode::internal,
          std::string(what) + ": " + RdKafka::err2str(code), {}};
}

IncomingMessage incoming(RdKafka::Message& message) {
  IncomingMessage out;
  out.topic = message.topic_name();
  out.partition = message.partition();
  out.offset = message.offset();
  if (const auto* key = message.key_pointer(); key != nullptr) {
    out.key.assign(static_cast<const char*>(key), message.key_len());
  }
  out.value.assign(static_cast<const char*>(message.payload()), message.len());
  if (const RdKafka::Headers* headers = message.headers(); headers != nullptr) {
    for (const auto& header : headers->get_all()) {
      out.headers.emplace_back(header.key(),
                               header.value() == nullptr
                                   ? std::string{}
                                   : std::string(static_cast<const char*>(header.value()), header.value_size()));
    }
  }
  return out;
}

}  // namespace payments::events::detail
