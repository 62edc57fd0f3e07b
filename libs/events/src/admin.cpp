// Topic creation and reachability checks through librdkafka's C admin API (the C++ API has none).
#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <memory>
#include <mutex>
#include <set>

#include "payments/events/kafka.hpp"
#include "rdkafka_conf.hpp"

namespace payments::events {
namespace {

struct HandleDeleter {
  void operator()(rd_kafka_t* rk) const { rd_kafka_destroy(rk); }
};
using Handle = std::unique_ptr<rd_kafka_t, HandleDeleter>;

struct MetadataDeleter {
  void operator()(const rd_kafka_metadata_t* metadata) const { rd_kafka_metadata_destroy(metadata); }
};
using Metadata = std::unique_ptr<const rd_kafka_metadata_t, MetadataDeleter>;

// The last connection error librdkafka reported (its error callback, served by rd_kafka_poll), so that a failed
// call can say why (credentials refused, a failed TLS handshake, a listener speaking another protocol) rather
// than only that it timed out.
class ConnectionErrors {
 public:
  static void record(rd_kafka_t* /*rk*/, int code, const char* reason, void* opaque) {
    auto* self = static_cast<ConnectionErrors*>(opaque);
    const std::lock_guard lock(self->mutex_);
    self->code_ = static_cast<rd_kafka_resp_err_t>(code);
    self->reason_ = reason == nullptr ? "" : reason;
  }
  // The broker refused this client: retrying will not help.
  [[nodiscard]] bool refused() const {
    const std::lock_guard lock(mutex_);
    return code_ == RD_KAFKA_RESP_ERR__AUTHENTICATION || code_ == RD_KAFKA_RESP_ERR__SSL;
  }
  [[nodiscard]] std::pair<rd_kafka_resp_err_t, std::string> last() const {
    const std::lock_guard lock(mutex_);
    return {code_, reason_};
  }

 private:
  mutable std::mutex mutex_;
  rd_kafka_resp_err_t code_ = RD_KAFKA_RESP_ERR_NO_ERROR;
  std::string reason_;
};

struct AdminClient {
  const KafkaConnection* kafka = nullptr;
  std::unique_ptr<ConnectionErrors> errors;
  Handle handle;
  [[nodiscard]] rd_kafka_t* get() const { return handle.get(); }
};

Result<AdminClient> admin_client(const KafkaConnection& kafka, std::chrono::milliseconds timeout) {
  AdminClient client{&kafka, std::make_unique<ConnectionErrors>(), nullptr};
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  const auto socket_timeout = std::to_string(std::max<long long>(timeout.count(), 10));
  auto applied = detail::apply_properties(
      {{"bootstrap.servers", kafka.brokers}, {"socket.timeout.ms", socket_timeout}, {"log_level", "0"}},
      kafka.client_properties, [conf](const std::string& name, const std::string& value) {
        char error[512];
        return rd_kafka_conf_set(conf, name.c_str(), value.c_str(), error, sizeof error) == RD_KAFKA_CONF_OK
                   ? std::string{}
                   : std::string(error);
      });
  if (!applied) {
    rd_kafka_conf_destroy(conf);
    return std::move(applied).error();
  }
  rd_kafka_conf_set_error_cb(conf, &ConnectionErrors::record);
  rd_kafka_conf_set_opaque(conf, client.errors.get());
  char error[512];
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof error);  // takes conf on success
  if (rk == nullptr) {
    rd_kafka_conf_destroy(conf);
    return Error::internal("cannot create Kafka client: " + detail::name_variable(error, kafka.client_properties));
  }
  client.handle.reset(rk);
  return client;
}

// Why a call failed: the broker's refusal when it refused this client, else "unreachable" with librdkafka's
// last connection error (which says, for instance, that the listener seems to expect TLS).
Error failure(const AdminClient& client, rd_kafka_resp_err_t code) {
  const auto& brokers = client.kafka->brokers;
  const auto [last_code, reason] = client.errors->last();
  if (last_code == RD_KAFKA_RESP_ERR__AUTHENTICATION) {
    return {ErrorCode::unauthenticated,
            "Kafka at " + brokers + " refused the credentials (check KAFKA_SASL_MECHANISM, KAFKA_SASL_USERNAME and "
            "KAFKA_SASL_PASSWORD): " + reason, {}};
  }
  if (last_code == RD_KAFKA_RESP_ERR__SSL) {
    return {ErrorCode::unauthenticated,
            "TLS with Kafka at " + brokers + " failed (check KAFKA_SSL_CA_LOCATION and the broker's certificate): " +
                reason, {}};
  }
  std::string message = "Kafka unreachable at " + brokers + ": " + rd_kafka_err2str(code);
  if (last_code != RD_KAFKA_RESP_ERR_NO_ERROR && !reason.empty()) message += " (last error: " + reason + ")";
  return Error::unavailable(std::move(message));
}

// Cluster metadata (every topic this user may see, or none), asked in short slices so that a refused login
// ends the wait at once instead of after `timeout`.
Result<Metadata> metadata(const AdminClient& client, bool all_topics, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    using std::chrono::milliseconds;
    const auto left = std::chrono::duration_cast<milliseconds>(deadline - std::chrono::steady_clock::now());
    const auto slice = std::clamp<long long>(left.count(), 100, 1000);
    const rd_kafka_metadata_t* answer = nullptr;
    const auto code = rd_kafka_metadata(client.get(), all_topics ? 1 : 0, nullptr, &answer, static_cast<int>(slice));
    if (code == RD_KAFKA_RESP_ERR_NO_ERROR) return Metadata(answer);
    rd_kafka_poll(client.get(), 0);  // serves the error callback
    if (client.errors->refused() || std::chrono::steady_clock::now() >= deadline) return failure(client, code);
  }
}

// The names in `wanted` that this user cannot see in the cluster's metadata (missing, or no Describe right).
std::vector<std::string> missing_topics(const rd_kafka_metadata_t& md, const std::vector<std::string>& wanted) {
  std::set<std::string> present;
  for (int i = 0; i < md.topic_cnt; ++i) {
    if (md.topics[i].err != RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART &&
        md.topics[i].err != RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED) {
      present.insert(md.topics[i].topic);
    }
  }
  std::vector<std::string> missing;
  for (const auto& name : wanted) {
    if (present.count(name) == 0) missing.push_back(name);
  }
  return missing;
}

Error create_refused(const std::string& topic, const std::string& brokers, rd_kafka_resp_err_t code) {
  const bool forbidden =
      code == RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED || code == RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED;
  std::string message = "cannot create topic " + topic + " on " + brokers + ": " + rd_kafka_err2str(code);
  if (!forbidden) return Error::internal(std::move(message));
  return {ErrorCode::forbidden,
          message + " (this Kafka user may not create topics: set KAFKA_CREATE_TOPICS=false and run "
                    "`payments-admin topics` as a user who may)",
          "KAFKA_CREATE_TOPICS"};
}

// CreateTopics for `specs`; replication 3 on a cluster of at least three brokers, else 1.
Status create_topics(const AdminClient& client, const std::vector<TopicSpec>& specs, int brokers,
                     std::chrono::milliseconds timeout) {
  const int replication = brokers >= 3 ? 3 : 1;
  rd_kafka_t* handle = client.get();
  std::vector<rd_kafka_NewTopic_t*> requests;
  char error[512];
  for (const auto& spec : specs) {
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
    status = Error::unavailable("Kafka at " + client.kafka->brokers + " did not answer CreateTopics in time");
  } else if (rd_kafka_event_error(event) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    status = failure(client, rd_kafka_event_error(event));
  } else {
    const rd_kafka_CreateTopics_result_t* result = rd_kafka_event_CreateTopics_result(event);
    std::size_t n = 0;
    const rd_kafka_topic_result_t** results = rd_kafka_CreateTopics_result_topics(result, &n);
    for (std::size_t i = 0; i < n; ++i) {
      const auto code = rd_kafka_topic_result_error(results[i]);
      if (code != RD_KAFKA_RESP_ERR_NO_ERROR && code != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
        status = create_refused(rd_kafka_topic_result_name(results[i]), client.kafka->brokers, code);
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

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& name : names) out += (out.empty() ? "" : ", ") + name;
  return out;
}

}  // namespace

Status probe(const KafkaConnection& kafka, std::chrono::milliseconds timeout) {
  auto client = admin_client(kafka, timeout);
  if (!client) return std::move(client).error();
  auto answer = metadata(client.value(), false, timeout);
  if (!answer) return std::move(answer).error();
  return Ok{};
}

Status ensure_topics(const KafkaConnection& kafka, const TopicNames& names, int partitions,
                     std::chrono::milliseconds timeout) {
  std::vector<TopicSpec> specs;
  for (auto& name : names.all()) specs.push_back({std::move(name), partitions});
  return ensure_topics(kafka, specs, timeout);
}

Status ensure_topics(const KafkaConnection& kafka, const std::vector<TopicSpec>& topics,
                     std::chrono::milliseconds timeout) {
  auto client = admin_client(kafka, timeout);
  if (!client) return std::move(client).error();
  std::vector<std::string> wanted;
  for (const auto& spec : topics) wanted.push_back(spec.name);
  auto answer = metadata(client.value(), true, timeout);
  if (!answer) return std::move(answer).error();
  const auto missing = missing_topics(*answer.value(), wanted);
  if (missing.empty()) return Ok{};
  std::vector<TopicSpec> to_create;
  for (const auto& spec : topics) {
    if (std::find(missing.begin(), missing.end(), spec.name) != missing.end()) to_create.push_back(spec);
  }
  return create_topics(client.value(), to_create, answer.value()->broker_cnt, timeout);
}

Status require_topics(const KafkaConnection& kafka, const std::vector<std::string>& topics,
                      std::chrono::milliseconds timeout) {
  auto client = admin_client(kafka, timeout);
  if (!client) return std::move(client).error();
  auto answer = metadata(client.value(), true, timeout);
  if (!answer) return std::move(answer).error();
  const auto missing = missing_topics(*answer.value(), topics);
  if (missing.empty()) return Ok{};
  return Error{ErrorCode::unavailable,
               "Kafka topics missing at " + kafka.brokers + " (or not visible to this user): " +
                   joined(missing) + "; with KAFKA_CREATE_TOPICS=false they must exist: run `payments-admin topics` (as a user who may "
                   "create topics) and grant this service its ACLs",
               "KAFKA_CREATE_TOPICS"};
}

Status prepare_topics(const KafkaConnection& kafka, bool create, const TopicNames& names,
                      const std::vector<std::string>& uses, std::chrono::milliseconds timeout) {
  return create ? ensure_topics(kafka, names, kDefaultPartitions, timeout) : require_topics(kafka, uses, timeout);
}

Status delete_topics(const KafkaConnection& kafka, const std::vector<std::string>& topics,
                     std::chrono::milliseconds timeout) {
  auto client = admin_client(kafka, timeout);
  if (!client) return std::move(client).error();
  rd_kafka_t* handle = client->get();
  std::vector<rd_kafka_DeleteTopic_t*> requests;
  for (const auto& name : topics) requests.push_back(rd_kafka_DeleteTopic_new(name.c_str()));
  rd_kafka_queue_t* queue = rd_kafka_queue_new(handle);
  rd_kafka_DeleteTopics(handle, requests.data(), requests.size(), nullptr, queue);
  Status status = Ok{};
  rd_kafka_event_t* event = rd_kafka_queue_poll(queue, static_cast<int>(timeout.count()));
  if (event == nullptr) {
    status = Error::unavailable("Kafka at " + kafka.brokers + " did not answer DeleteTopics in time");
  } else if (rd_kafka_event_error(event) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    status = failure(client.value(), rd_kafka_event_error(event));
  }
  if (event != nullptr) rd_kafka_event_destroy(event);
  rd_kafka_queue_destroy(queue);
  for (auto* t : requests) rd_kafka_DeleteTopic_destroy(t);
  return status;
}

}  // namespace payments::events
