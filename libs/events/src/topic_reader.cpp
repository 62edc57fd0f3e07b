// A group-less read of a whole topic through librdkafka's simple (legacy) consumer: it fetches the partitions it
// is told to, from the offsets it is told, and has no group to join or commit to.
#include "payments/events/topic_reader.hpp"

#include <algorithm>
#include <map>
#include <memory>

#include "rdkafka_conf.hpp"

namespace payments::events {
namespace {

using Clock = std::chrono::steady_clock;

int millis_left(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return static_cast<int>(std::max<long long>(left, 0));
}

struct PartitionRange {
  std::int64_t low = 0;
  std::int64_t high = 0;  // the high watermark when the read began: the offset after the last record to read
  bool done = false;
};

// The partitions of `topic`, or an error naming a topic that does not exist.
Result<std::vector<std::int32_t>> partitions_of(RdKafka::Handle& handle, RdKafka::Topic& topic, int timeout_ms) {
  RdKafka::Metadata* raw = nullptr;
  const auto code = handle.metadata(false, &topic, &raw, timeout_ms);
  std::unique_ptr<RdKafka::Metadata> metadata(raw);
  if (code != RdKafka::ERR_NO_ERROR) return detail::kafka_error("cannot read the metadata of " + topic.name(), code);
  for (const auto* described : *metadata->topics()) {
    if (described->topic() != topic.name()) continue;
    if (described->err() == RdKafka::ERR_UNKNOWN_TOPIC_OR_PART || described->partitions()->empty()) break;
    if (described->err() != RdKafka::ERR_NO_ERROR) {
      return detail::kafka_error("cannot read the metadata of " + topic.name(), described->err());
    }
    std::vector<std::int32_t> out;
    for (const auto* partition : *described->partitions()) out.push_back(partition->id());
    return out;
  }
  return Error{ErrorCode::not_found,
               "Kafka topic " + topic.name() + " does not exist (or this user may not see it); `payments-admin "
               "topics` creates the contract's topics", {}};
}

}  // namespace

Result<std::vector<IncomingMessage>> read_topic_to_end(const KafkaConnection& kafka, const std::string& topic,
                                                       std::chrono::milliseconds timeout) {
  // The probe's error says why a broker cannot be used (unreachable, credentials or TLS refused), and says it
  // after at most 10 s even when the read itself may take longer.
  if (auto reachable = probe(kafka, std::min<std::chrono::milliseconds>(timeout, std::chrono::seconds(10)));
      !reachable) {
    return std::move(reachable).error();
  }
  const auto deadline = Clock::now() + timeout;
  auto conf = detail::make_conf({{"bootstrap.servers", kafka.brokers},
                                 {"client.id", "payments-topic-reader"},
                                 {"enable.partition.eof", "true"},
                                 {"allow.auto.create.topics", "false"}},
                                kafka.client_properties);
  if (!conf) return std::move(conf).error();
  std::string error;
  std::unique_ptr<RdKafka::Consumer> consumer(RdKafka::Consumer::create(conf.value().get(), error));
  if (!consumer) {
    return Error::internal("cannot create Kafka consumer: " + detail::name_variable(error, kafka.client_properties));
  }
  std::unique_ptr<RdKafka::Topic> handle(RdKafka::Topic::create(consumer.get(), topic, nullptr, error));
  if (!handle) return Error::internal("cannot open Kafka topic " + topic + ": " + error);
  auto partitions = partitions_of(*consumer, *handle, millis_left(deadline));
  if (!partitions) return std::move(partitions).error();

  std::map<std::int32_t, PartitionRange> ranges;
  for (const auto partition : partitions.value()) {
    PartitionRange range;
    const auto code =
        consumer->query_watermark_offsets(topic, partition, &range.low, &range.high, millis_left(deadline));
    if (code != RdKafka::ERR_NO_ERROR) return detail::kafka_error("cannot read the offsets of " + topic, code);
    range.done = range.high <= range.low;
    ranges[partition] = range;
  }

  std::unique_ptr<RdKafka::Queue> queue(RdKafka::Queue::create(consumer.get()));
  std::vector<std::int32_t> started;
  Status status = Ok{};
  for (auto& [partition, range] : ranges) {
    if (range.done) continue;
    if (const auto code = consumer->start(handle.get(), partition, range.low, queue.get());
        code != RdKafka::ERR_NO_ERROR) {
      status = detail::kafka_error("cannot start reading " + topic, code);
      break;
    }
    started.push_back(partition);
  }

  std::vector<IncomingMessage> records;
  const auto all_done = [&ranges] {
    for (const auto& [partition, range] : ranges) {
      if (!range.done) return false;
    }
    return true;
  };
  while (status && !all_done()) {
    if (Clock::now() >= deadline) {
      status = Error::unavailable("Kafka did not deliver all of " + topic + " within " +
                                  std::to_string(timeout.count() / 1000) + " s");
      break;
    }
    std::unique_ptr<RdKafka::Message> message(consumer->consume(queue.get(), std::min(200, millis_left(deadline))));
    const auto err = message->err();
    if (err == RdKafka::ERR__TIMED_OUT) continue;
    if (err != RdKafka::ERR_NO_ERROR && err != RdKafka::ERR__PARTITION_EOF) {
      // A broker's passing trouble is librdkafka's to ride out until the deadline; anything else ends the read.
      auto failure = detail::kafka_error("cannot read " + topic, err);
      if (failure.code == ErrorCode::unavailable) continue;
      status = std::move(failure);
      break;
    }
    const auto range = ranges.find(message->partition());
    if (range == ranges.end()) continue;
    if (err == RdKafka::ERR__PARTITION_EOF) {
      range->second.done = true;
      continue;
    }
    if (message->offset() < range->second.high) records.push_back(detail::incoming(*message));
    range->second.done = message->offset() + 1 >= range->second.high;
  }
  for (const auto partition : started) consumer->stop(handle.get(), partition);
  if (!status) return std::move(status).error();
  std::stable_sort(records.begin(), records.end(), [](const IncomingMessage& a, const IncomingMessage& b) {
    return a.partition < b.partition;
  });
  return records;
}

}  // namespace payments::events
