#pragma once
// Kafka over librdkafka, behind types that keep librdkafka out of every other header.
//  - Producer: idempotent (acks=all), a message counts as sent only when its delivery report says so.
//  - Consumer: at-least-once; offsets are stored by the caller once a record is fully done, never automatically.
//  - ensure_topics / require_topics / probe: start-up checks with a clear one-line error when the broker cannot
//    be reached, refuses the credentials, or the topics are missing.
// Every client applies the properties the environment asked for (KafkaSettings::client_properties: TLS, SASL,
// KAFKA_CONFIG_*) after its own, so an operator's setting wins; an error about one names its variable.

#include <chrono>
#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "payments/core/config.hpp"
#include "payments/core/result.hpp"
#include "payments/events/event_publisher.hpp"
#include "payments/events/topics.hpp"

namespace payments::events {

struct IncomingMessage {
  std::string topic;
  std::int32_t partition = 0;
  std::int64_t offset = 0;
  std::string key;
  std::string value;
  Headers headers;
};

// Where and how an administrative call connects: the bootstrap servers and the environment's properties.
struct KafkaConnection {
  std::string brokers;
  KafkaClientProperties client_properties;
};

struct ProducerOptions {
  std::string brokers;
  KafkaClientProperties client_properties;  // from the environment; applied last
  std::string client_id = "payments";
  int linger_ms = 5;
  std::chrono::milliseconds delivery_timeout{30'000};
  // Extra librdkafka properties, applied last (tests and tuning).
  std::vector<std::pair<std::string, std::string>> extra;
};

class Producer final : public EventPublisher {
 public:
  static Result<std::unique_ptr<Producer>> create(const ProducerOptions& options);
  ~Producer() override;
  Producer(const Producer&) = delete;
  Producer& operator=(const Producer&) = delete;

  // Queues the message; `on_delivery` runs once, on the producer's own thread, with the broker's verdict.
  // A queue-full or invalid-topic refusal is reported through the callback too, so callers have one path.
  void produce(OutgoingMessage message, DeliveryCallback on_delivery) override;
  // Convenience for call sites that can block: waits for the delivery report.
  Status produce_and_wait(OutgoingMessage message);
  // Waits until every queued message has its delivery report, up to `timeout`. False if some are left.
  bool flush(std::chrono::milliseconds timeout);
  // Whether this producer reaches the cluster, from its own connections (no new client): Ok when a message was
  // delivered within the last second; else a metadata request to the brokers, waiting up to `timeout`.
  // "Kafka unreachable at <brokers>: <reason>" otherwise. Blocks: call it off the I/O threads.
  Status health(std::chrono::milliseconds timeout);

  struct Impl;

 private:
  explicit Producer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

struct TopicPartition {
  std::string topic;
  std::int32_t partition = 0;
};

struct ConsumerOptions {
  std::string brokers;
  KafkaClientProperties client_properties;  // from the environment; applied last
  std::string group_id;
  std::vector<std::string> topics;
  std::string client_id = "payments";
  std::string auto_offset_reset = "earliest";
  std::vector<std::pair<std::string, std::string>> extra;
  // Called on the polling thread, once per rebalance, with the partitions taken away, before the next owner
  // can read them: the consumer still holds them meanwhile, so the hook may finish their work and commit()
  // (and the rebalance waits for it, up to max.poll.interval.ms).
  std::function<void(const std::vector<TopicPartition>& partitions)> on_revoked;
};

// What a consumer loop needs from a group member: records, and a say over which offsets are committed. The
// Consumer below is the Kafka one; the worker's unit tests drive the loop with a scripted fake.
class MessageSource {
 public:
  virtual ~MessageSource() = default;

  // The next record, or nullopt when none arrived within `timeout`. Broker-side errors are returned as Error.
  // Rebalance hooks (ConsumerOptions::on_revoked) run inside this call, on the calling thread.
  virtual Result<std::optional<IncomingMessage>> poll(std::chrono::milliseconds timeout) = 0;
  // Marks everything before `next_offset` in the partition as done; the next commit includes it.
  virtual Status store_offset(const std::string& topic, std::int32_t partition, std::int64_t next_offset) = 0;
  // Commits stored offsets synchronously.
  virtual Status commit() = 0;
  // Stops (resumes) fetching from every assigned partition, and from partitions assigned while paused;
  // poll() must still be called meanwhile so the group keeps this member. Call from the polling thread.
  virtual void pause() = 0;
  virtual void resume() = 0;

 protected:
  MessageSource() = default;
  MessageSource(const MessageSource&) = default;
  MessageSource& operator=(const MessageSource&) = default;
};

class Consumer final : public MessageSource {
 public:
  static Result<std::unique_ptr<Consumer>> create(const ConsumerOptions& options);
  ~Consumer() override;
  Consumer(const Consumer&) = delete;
  Consumer& operator=(const Consumer&) = delete;

  Result<std::optional<IncomingMessage>> poll(std::chrono::milliseconds timeout) override;
  Status store_offset(const std::string& topic, std::int32_t partition, std::int64_t next_offset) override;
  Status commit() override;
  void pause() override;
  void resume() override;
  // Leaves the group cleanly (commits stored offsets first).
  void close();

  struct Impl;

 private:
  explicit Consumer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

struct TopicSpec {
  std::string name;
  int partitions = 1;
};

// Creates the topics that do not exist yet (replication factor 1 on a single broker, else 3 capped by broker
// count). Topics that exist are left as they are, and when none is missing nothing is asked of the broker, so
// a user without Create rights gets through when the topics are there. A refusal says so in one line.
Status ensure_topics(const KafkaConnection& kafka, const std::vector<TopicSpec>& topics,
                     std::chrono::milliseconds timeout);

// The contract's topics under `names`, each with `partitions` partitions when created.
Status ensure_topics(const KafkaConnection& kafka, const TopicNames& names, int partitions,
                     std::chrono::milliseconds timeout);

// For services that may not create topics (KAFKA_CREATE_TOPICS=false): Ok when every topic in `topics` exists
// and this user may see it; else one line naming the missing ones and telling the operator to run
// `payments-admin topics`.
Status require_topics(const KafkaConnection& kafka, const std::vector<std::string>& topics,
                      std::chrono::milliseconds timeout);

// A service's start-up check of its topics, as KAFKA_CREATE_TOPICS (`create`) says: with it, whatever of `names`
// is missing is created (kDefaultPartitions each); without it, the topics the service `uses` must exist. Also the
// reachability check: an unreachable broker, or one refusing the credentials, is one line naming it.
Status prepare_topics(const KafkaConnection& kafka, bool create, const TopicNames& names,
                      const std::vector<std::string>& uses, std::chrono::milliseconds timeout);

// Deletes topics (tests and tooling clean up after themselves). Missing topics are not an error.
Status delete_topics(const KafkaConnection& kafka, const std::vector<std::string>& topics,
                     std::chrono::milliseconds timeout);

// Asks the cluster for its metadata: Ok when a broker answered within `timeout`.
// The error reads "Kafka unreachable at <brokers>: <reason>", with the broker's refusal when it refused the
// TLS handshake or the credentials (it then comes back early, without waiting out the timeout).
Status probe(const KafkaConnection& kafka, std::chrono::milliseconds timeout);

}  // namespace payments::events
