#include "rdkafka_conf.hpp"

#include "payments/core/log.hpp"

namespace payments::events::detail {

Result<std::unique_ptr<RdKafka::Conf>> make_conf(const Properties& properties) {
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  std::string error;
  if (conf->set("event_cb", static_cast<RdKafka::EventCb*>(&log_bridge()), error) != RdKafka::Conf::CONF_OK) {
    return Error::internal("librdkafka refused event_cb: " + error);
  }
  for (const auto& [name, value] : properties) {
    if (conf->set(name, value, error) != RdKafka::Conf::CONF_OK) {
      return Error::validation(name, "Kafka setting " + name + " refused: " + error);
    }
  }
  return conf;
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

}  // namespace payments::events::detail
