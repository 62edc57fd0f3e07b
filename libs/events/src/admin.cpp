// Topic creation and reachability checks through librdkafka's C admin API (the C++ API has none).
#include <librdkafka/rdkafka.h>

#include <memory>

#include "payments/events/kafka.hpp"
#include "rdkafka_conf.hpp"

namespace payments::events {
namespace {

struct HandleDeleter {
  void operator()(rd_kafka_t* rk) const { rd_kafka_destroy(rk); }
};
using Handle = std::unique_ptr<rd_kafka_t, HandleDeleter>;

Result<Handle> admin_handle(const std::string& brokers, std::chrono::milliseconds timeout) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char error[512];
  const auto socket_timeout = std::to_string(std::max<long long>(timeout.count(), 10));
  for (const auto& [name, value] : std::initializer_list<std::pair<const char*, std::string>>{
           {"bootstrap.servers", brokers}, {"socket.timeout.ms", socket_timeout}, {"log_level", "0"}}) {
    if (rd_kafka_conf_set(conf, name, value.c_str(), error, sizeof error) != RD_KAFKA_CONF_OK) {
      rd_kafka_conf_destroy(conf);
      return Error::validation("KAFKA_BROKERS", std::string("Kafka setting refused: ") + error);
    }
  }
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof error);  // takes conf on success
  if (rk == nullptr) {
    rd_kafka_conf_destroy(conf);
    return Error::internal(std::string("cannot create Kafka client: ") + error);
  }
  return Handle(rk);
}

Error unreachable(const std::string& brokers, rd_kafka_resp_err_t code) {
  return Error::unavailable("Kafka unreachable at " + brokers + ": " + rd_kafka_err2str(code));
}

// Broker count, from a metadata request.
Result<int> broker_count(rd_kafka_t* rk, const std::string& brokers, std::chrono::milliseconds timeout) {
  const struct rd_kafka_metadata* metadata = nullptr;
  const auto code = rd_kafka_metadata(rk, 0, nullptr, &metadata, static_cast<int>(timeout.count()));
  if (code != RD_KAFKA_RESP_ERR_NO_ERROR) return unreachable(brokers, code);
  const int count = metadata->broker_cnt;
  rd_kafka_metadata_destroy(metadata);
  return count;
}

}  // namespace

Status probe(const std::string& brokers, std::chrono::milliseconds timeout) {
  auto rk = admin_handle(brokers, timeout);
  if (!rk) return std::move(rk).error();
  auto count = broker_count(rk.value().get(), brokers, timeout);
  if (!count) return std::move(count).error();
  return Ok{};
}

Status ensure_topics(const std::string& brokers, const TopicNames& names, int partitions,
                     std::chrono::milliseconds timeout) {
  std::vector<TopicSpec> specs;
  for (auto& name : names.all()) specs.push_back({std::move(name), partitions});
  return ensure_topics(brokers, specs, timeout);
}

Status ensure_topics(const std::string& brokers, const std::vector<TopicSpec>& topics,
                     std::chrono::milliseconds timeout) {
  auto rk = admin_handle(brokers, timeout);
  if (!rk) return std::move(rk).error();
  rd_kafka_t* handle = rk.value().get();
  auto count = broker_count(handle, brokers, timeout);
  if (!count) return std::move(count).error();
  const int replication = count.value() >= 3 ? 3 : 1;

  std::vector<rd_kafka_NewTopic_t*> requests;
  char error[512];
  for (const auto& spec : topics) {
    rd_kafka_NewTopic_t* topic =
        rd_kafka_NewTopic_new(spec.name.c_str(), spec.partitions, replication, error, sizeof error);
    if (topic == nullptr) {
      for (auto* t : requests) rd_kafka_NewTopic_destroy(t);
      return Error::validation("topic", "invalid topic " + spec.name + ": " + error);
    }
    requests.push_back(topic);
  }
  rd_kafka_queue_t* queue = rd_kafka_queue_new(handle);
  rd_kafka_AdminOptions_t* options = rd_kafka_AdminOptions_new(handle, RD_KAFKA_ADMIN_OP_CREATETOPICS);
  rd_kafka_AdminOptions_set_operation_timeout(options, static_cast<int>(timeout.count()), error, sizeof error);
  rd_kafka_CreateTopics(handle, requests.data(), requests.size(), options, queue);

  Status status = Ok{};
  rd_kafka_event_t* event = rd_kafka_queue_poll(queue, static_cast<int>(timeout.count()) + 1000);
  if (event == nullptr) {
    status = Error::unavailable("Kafka at " + brokers + " did not answer CreateTopics in time");
  } else if (rd_kafka_event_error(event) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    status = unreachable(brokers, rd_kafka_event_error(event));
  } else {
    const rd_kafka_CreateTopics_result_t* result = rd_kafka_event_CreateTopics_result(event);
    std::size_t n = 0;
    const rd_kafka_topic_result_t** results = rd_kafka_CreateTopics_result_topics(result, &n);
    for (std::size_t i = 0; i < n; ++i) {
      const auto code = rd_kafka_topic_result_error(results[i]);
      if (code != RD_KAFKA_RESP_ERR_NO_ERROR && code != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
        status = Error::internal(std::string("cannot create topic ") + rd_kafka_topic_result_name(results[i]) +
                                 ": " + rd_kafka_err2str(code));
        break;
      }
    }
  }
  if (event != nullptr) rd_kafka_event_destroy(event);
  rd_kafka_AdminOptions_destroy(options);
  rd_kafka_queue_destroy(queue);
  for (auto* t : requests) rd_kafka_NewTopic_destroy(t);
  return status;
}

Status delete_topics(const std::string& brokers, const std::vector<std::string>& topics,
                     std::chrono::milliseconds timeout) {
  auto rk = admin_handle(brokers, timeout);
  if (!rk) return std::move(rk).error();
  rd_kafka_t* handle = rk.value().get();
  std::vector<rd_kafka_DeleteTopic_t*> requests;
  for (const auto& name : topics) requests.push_back(rd_kafka_DeleteTopic_new(name.c_str()));
  rd_kafka_queue_t* queue = rd_kafka_queue_new(handle);
  rd_kafka_DeleteTopics(handle, requests.data(), requests.size(), nullptr, queue);
  Status status = Ok{};
  rd_kafka_event_t* event = rd_kafka_queue_poll(queue, static_cast<int>(timeout.count()));
  if (event == nullptr) {
    status = Error::unavailable("Kafka at " + brokers + " did not answer DeleteTopics in time");
  } else if (rd_kafka_event_error(event) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    status = unreachable(brokers, rd_kafka_event_error(event));
  }
  if (event != nullptr) rd_kafka_event_destroy(event);
  rd_kafka_queue_destroy(queue);
  for (auto* t : requests) rd_kafka_DeleteTopic_destroy(t);
  return status;
}

}  // namespace payments::events
