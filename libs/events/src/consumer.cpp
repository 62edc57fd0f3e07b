#include "payments/core/log.hpp"
#include "payments/events/kafka.hpp"
#include "rdkafka_conf.hpp"

namespace payments::events {

namespace {

// Applies assignments the way the negotiated protocol wants: incrementally for cooperative-sticky, whole for
// eager strategies. librdkafka 2.0.2 needs this explicitly for a consumer to leave its group cleanly on close.
class Rebalance final : public RdKafka::RebalanceCb {
 public:
  std::function<void(const std::vector<TopicPartition>&)> on_revoked;
  bool paused = false;  // the consumer is paused: partitions assigned meanwhile start paused too

  void rebalance_cb(RdKafka::KafkaConsumer* consumer, RdKafka::ErrorCode code,
                    std::vector<RdKafka::TopicPartition*>& partitions) override {
    const bool cooperative = consumer->rebalance_protocol() == "COOPERATIVE";
    if (code == RdKafka::ERR__ASSIGN_PARTITIONS) {
      if (cooperative) {
        if (auto error = std::unique_ptr<RdKafka::Error>(consumer->incremental_assign(partitions))) {
          log::error("kafka incremental assign failed", {{"error", error->str()}});
        }
      } else {
        consumer->assign(partitions);
      }
      if (paused) consumer->pause(partitions);
    } else {
      if (on_revoked && !partitions.empty()) {
        std::vector<TopicPartition> revoked;
        revoked.reserve(partitions.size());
        for (const auto* tp : partitions) revoked.push_back({tp->topic(), tp->partition()});
        on_revoked(revoked);
      }
      if (cooperative) {
        if (auto error = std::unique_ptr<RdKafka::Error>(consumer->incremental_unassign(partitions))) {
          log::error("kafka incremental unassign failed", {{"error", error->str()}});
        }
      } else {
        consumer->unassign();
      }
    }
  }
};

}  // namespace

struct Consumer::Impl {
  Rebalance rebalance;
  std::unique_ptr<RdKafka::KafkaConsumer> consumer;
  bool closed = false;

  ~Impl() {
    if (consumer && !closed) consumer->close();
  }
};

Result<std::unique_ptr<Consumer>> Consumer::create(const ConsumerOptions& options) {
  detail::Properties properties{
      {"bootstrap.servers", options.brokers},
      {"group.id", options.group_id},
      {"client.id", options.client_id},
      {"auto.offset.reset", options.auto_offset_reset},
      // At-least-once: the caller stores an offset only when the record is fully done; librdkafka then
      // commits stored offsets in the background and on close.
      {"enable.auto.offset.store", "false"},
      {"enable.auto.commit", "true"},
      {"auto.commit.interval.ms", "1000"},
      {"partition.assignment.strategy", "cooperative-sticky"},
      {"enable.partition.eof", "false"},
      // A crashed worker's partitions move to the others after this long without heartbeats.
      {"session.timeout.ms", "10000"},
      {"heartbeat.interval.ms", "2000"},
  };
  properties.insert(properties.end(), options.extra.begin(), options.extra.end());
  auto conf = detail::make_conf(properties, options.client_properties);
  if (!conf) return std::move(conf).error();
  std::string error;
  auto impl = std::make_unique<Impl>();
  impl->rebalance.on_revoked = options.on_revoked;
  if (conf.value()->set("rebalance_cb", static_cast<RdKafka::RebalanceCb*>(&impl->rebalance), error) !=
      RdKafka::Conf::CONF_OK) {
    return Error::internal("librdkafka refused rebalance_cb: " + error);
  }
  impl->consumer.reset(RdKafka::KafkaConsumer::create(conf.value().get(), error));
  if (!impl->consumer) {
    return Error::internal("cannot create Kafka consumer: " + detail::name_variable(error, options.client_properties));
  }
  if (const auto code = impl->consumer->subscribe(options.topics); code != RdKafka::ERR_NO_ERROR) {
    return detail::kafka_error("cannot subscribe", code);
  }
  return std::unique_ptr<Consumer>(new Consumer(std::move(impl)));
}

Consumer::Consumer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Consumer::~Consumer() = default;

Result<std::optional<IncomingMessage>> Consumer::poll(std::chrono::milliseconds timeout) {
  std::unique_ptr<RdKafka::Message> message(impl_->consumer->consume(static_cast<int>(timeout.count())));
  switch (message->err()) {
    case RdKafka::ERR_NO_ERROR: break;
    case RdKafka::ERR__TIMED_OUT:
    case RdKafka::ERR__PARTITION_EOF: return std::optional<IncomingMessage>{};
    default: return detail::kafka_error("Kafka consume failed", message->err());
  }
  return std::optional<IncomingMessage>{detail::incoming(*message)};
}

Status Consumer::store_offset(const std::string& topic, std::int32_t partition, std::int64_t next_offset) {
  std::unique_ptr<RdKafka::TopicPartition> position(RdKafka::TopicPartition::create(topic, partition, next_offset));
  std::vector<RdKafka::TopicPartition*> positions{position.get()};
  if (const auto code = impl_->consumer->offsets_store(positions); code != RdKafka::ERR_NO_ERROR) {
    return detail::kafka_error("cannot store offset", code);
  }
  return Ok{};
}

Status Consumer::commit() {
  const auto code = impl_->consumer->commitSync();
  if (code != RdKafka::ERR_NO_ERROR && code != RdKafka::ERR__NO_OFFSET) {
    return detail::kafka_error("cannot commit offsets", code);
  }
  return Ok{};
}

void Consumer::pause() {
  impl_->rebalance.paused = true;
  std::vector<RdKafka::TopicPartition*> partitions;
  if (impl_->consumer->assignment(partitions) == RdKafka::ERR_NO_ERROR) impl_->consumer->pause(partitions);
  RdKafka::TopicPartition::destroy(partitions);
}

void Consumer::resume() {
  impl_->rebalance.paused = false;
  std::vector<RdKafka::TopicPartition*> partitions;
  if (impl_->consumer->assignment(partitions) == RdKafka::ERR_NO_ERROR) impl_->consumer->resume(partitions);
  RdKafka::TopicPartition::destroy(partitions);
}

void Consumer::close() {
  if (impl_->closed) return;
  impl_->consumer->close();
  impl_->closed = true;
}

}  // namespace payments::events
