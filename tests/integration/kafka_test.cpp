#include <doctest/doctest.h>

#include <map>
#include <set>

#include "payments/events/kafka.hpp"
#include "support/test_env.hpp"

using namespace payments;
using namespace payments::events;
using namespace std::chrono_literals;

namespace {

std::vector<IncomingMessage> consume(Consumer& consumer, std::size_t count, std::chrono::seconds deadline) {
  std::vector<IncomingMessage> out;
  const auto until = std::chrono::steady_clock::now() + deadline;
  while (out.size() < count && std::chrono::steady_clock::now() < until) {
    auto polled = consumer.poll(200ms);
    REQUIRE(polled);
    if (polled.value()) out.push_back(std::move(*polled.value()));
  }
  return out;
}

}  // namespace

TEST_CASE("messages produced with the idempotent producer are delivered, keyed and in order per key") {
  const auto kafka = testing::kafka_connection();
  const auto& brokers = kafka.brokers;
  const auto topic = testing::unique_name("it-roundtrip");
  REQUIRE(ensure_topics(kafka, {{topic, 3}}, 10s));
  // Creating again is not an error.
  REQUIRE(ensure_topics(kafka, {{topic, 3}}, 10s));

  auto producer = Producer::create({.brokers = brokers});
  REQUIRE(producer);
  for (int i = 0; i < 30; ++i) {
    const std::string key = "pay_" + std::to_string(i % 3);
    auto delivered = producer.value()->produce_and_wait(
        {topic, key, R"({"seq":)" + std::to_string(i) + "}", {{"reason", "test"}}});
    REQUIRE_MESSAGE(delivered, (delivered ? "" : delivered.error().message));
  }

  auto consumer = Consumer::create({.brokers = brokers, .group_id = testing::unique_name("it-group"), .topics = {topic}});
  REQUIRE(consumer);
  auto messages = consume(*consumer.value(), 30, 30s);
  REQUIRE(messages.size() == 30);

  std::map<std::string, std::vector<int>> seq_by_key;
  std::map<std::string, std::set<std::int32_t>> partitions_by_key;
  for (const auto& m : messages) {
    seq_by_key[m.key].push_back(std::stoi(m.value.substr(7)));
    partitions_by_key[m.key].insert(m.partition);
    REQUIRE(m.headers.size() == 1);
    CHECK(m.headers[0].first == "reason");
    CHECK(m.headers[0].second == "test");
  }
  CHECK(seq_by_key.size() == 3);
  for (const auto& [key, seqs] : seq_by_key) {
    CHECK(std::is_sorted(seqs.begin(), seqs.end()));
    CHECK(partitions_by_key[key].size() == 1);  // one key, one partition
  }
  consumer.value()->close();
  consumer = Error::internal("destroyed");  // before its topic goes: librdkafka 2.0.2 can hang otherwise
  CHECK(delete_topics(kafka, {topic}, 10s));
}

TEST_CASE("a consumer that stores offsets only for finished records resumes after the last finished one") {
  const auto kafka = testing::kafka_connection();
  const auto& brokers = kafka.brokers;
  const auto topic = testing::unique_name("it-offsets");
  const auto group = testing::unique_name("it-group");
  REQUIRE(ensure_topics(kafka, {{topic, 1}}, 10s));
  auto producer = Producer::create({.brokers = brokers});
  REQUIRE(producer);
  for (int i = 0; i < 10; ++i) REQUIRE(producer.value()->produce_and_wait({topic, "k", std::to_string(i), {}}));

  {
    auto consumer = Consumer::create({.brokers = brokers, .group_id = group, .topics = {topic}});
    REQUIRE(consumer);
    auto first = consume(*consumer.value(), 10, 30s);
    REQUIRE(first.size() == 10);
    // Only the first four are "done": store the offset after record 3.
    REQUIRE(consumer.value()->store_offset(topic, first[3].partition, first[3].offset + 1));
    REQUIRE(consumer.value()->commit());
    consumer.value()->close();
  }

  auto again = Consumer::create({.brokers = brokers, .group_id = group, .topics = {topic}});
  REQUIRE(again);
  auto redelivered = consume(*again.value(), 6, 30s);
  REQUIRE(redelivered.size() == 6);
  CHECK(redelivered.front().value == "4");
  CHECK(redelivered.back().value == "9");
  again.value()->close();
  again = Error::internal("destroyed");  // before its topic goes, as above
  CHECK(delete_topics(kafka, {topic}, 10s));
}

TEST_CASE("an unreachable broker is reported in one line naming where") {
  auto status = probe({"127.0.0.1:1", {}}, 1500ms);
  REQUIRE_FALSE(status);
  CHECK(status.error().code == ErrorCode::unavailable);
  CHECK(status.error().message.rfind("Kafka unreachable at 127.0.0.1:1: ", 0) == 0);
  CHECK(status.error().message.find('\n') == std::string::npos);
  CHECK(probe(testing::kafka_connection(), 5s));
}

TEST_CASE("a producer's health comes from its own connections: unreachable in one line, ok once a broker answers") {
  auto lost = Producer::create({.brokers = "127.0.0.1:1"});
  REQUIRE(lost);
  const auto started = std::chrono::steady_clock::now();
  const auto down = lost.value()->health(1500ms);
  REQUIRE_FALSE(down);
  CHECK(down.error().code == ErrorCode::unavailable);
  CHECK(down.error().message.rfind("Kafka unreachable at 127.0.0.1:1: ", 0) == 0);
  CHECK(std::chrono::steady_clock::now() - started < 5s);  // bounded by its timeout

  const auto kafka = testing::kafka_connection();
  auto producer = Producer::create({.brokers = kafka.brokers});
  REQUIRE(producer);
  const auto up = producer.value()->health(5s);
  CHECK_MESSAGE(up, (up ? "" : up.error().message));
}

TEST_CASE("a partition assigned to a paused consumer stays paused until it resumes") {
  const auto kafka = testing::kafka_connection();
  const auto& brokers = kafka.brokers;
  const auto topic = testing::unique_name("it-pause");
  const auto group = testing::unique_name("it-group");
  REQUIRE(ensure_topics(kafka, {{topic, 2}}, 10s));
  auto producer = Producer::create({.brokers = brokers});
  REQUIRE(producer);
  auto produce_both = [&](int round) {
    for (int i = 0; i < 10; ++i) {
      const std::string value = std::to_string(round) + "-" + std::to_string(i);
      REQUIRE(producer.value()->produce_and_wait({topic, "key-" + std::to_string(i), value, {}}));
    }
  };

  // The other member joins first and takes both partitions; the tested one joins and takes one of them.
  auto other = Consumer::create({.brokers = brokers, .group_id = group, .topics = {topic}});
  REQUIRE(other);
  CHECK(consume(*other.value(), 1, 3s).empty());
  auto tested = Consumer::create({.brokers = brokers, .group_id = group, .topics = {topic}});
  REQUIRE(tested);
  std::set<std::int32_t> owned;  // partitions the tested member has read from
  const auto start = std::chrono::steady_clock::now();
  for (int round = 0; owned.empty() && std::chrono::steady_clock::now() < start + 40s; ++round) {
    produce_both(round);
    for (int i = 0; i < 20; ++i) {
      auto polled = tested.value()->poll(50ms);
      REQUIRE(polled);
      if (polled.value()) owned.insert(polled.value()->partition);
      REQUIRE(other.value()->poll(50ms));
    }
  }
  REQUIRE(owned.size() == 1);

  // Paused, the tested member is handed the other partition (one it never had) when the other member leaves.
  tested.value()->pause();
  other.value()->close();
  other = Error::internal("destroyed");
  produce_both(100);
  std::size_t while_paused = 0;
  const auto until = std::chrono::steady_clock::now() + 8s;
  while (std::chrono::steady_clock::now() < until) {
    auto polled = tested.value()->poll(100ms);
    REQUIRE(polled);
    if (polled.value() && !owned.contains(polled.value()->partition)) ++while_paused;
  }
  CHECK(while_paused == 0);

  tested.value()->resume();
  bool other_partition_read = false;
  const auto resumed = std::chrono::steady_clock::now();
  while (!other_partition_read && std::chrono::steady_clock::now() < resumed + 30s) {
    auto polled = tested.value()->poll(100ms);
    REQUIRE(polled);
    if (polled.value() && !owned.contains(polled.value()->partition)) other_partition_read = true;
  }
  CHECK(other_partition_read);  // it was assigned all along, and resuming starts it
  tested.value()->close();
  tested = Error::internal("destroyed");  // before its topic goes, as above
  CHECK(delete_topics(kafka, {topic}, 10s));
}
