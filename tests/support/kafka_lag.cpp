#include "support/kafka_lag.hpp"

#include <doctest/doctest.h>
#include <librdkafka/rdkafka.h>

#include <memory>

namespace payments::testing {

std::int64_t consumer_lag(const events::KafkaConnection& kafka, const std::string& group, const std::string& topic,
                          int partitions, std::chrono::milliseconds timeout) {
  char error[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  auto set = [&](const std::string& name, const std::string& value) {
    REQUIRE_MESSAGE(rd_kafka_conf_set(conf, name.c_str(), value.c_str(), error, sizeof error) == RD_KAFKA_CONF_OK,
                    error);
  };
  set("bootstrap.servers", kafka.brokers);
  for (const auto& property : kafka.client_properties) set(property.name, property.value.reveal());
  set("group.id", group);  // only to read its committed offsets: this handle never joins the group
  std::unique_ptr<rd_kafka_t, decltype(&rd_kafka_destroy)> handle(
      rd_kafka_new(RD_KAFKA_CONSUMER, conf, error, sizeof error), &rd_kafka_destroy);
  REQUIRE_MESSAGE(handle != nullptr, error);

  std::unique_ptr<rd_kafka_topic_partition_list_t, decltype(&rd_kafka_topic_partition_list_destroy)> list(
      rd_kafka_topic_partition_list_new(partitions), &rd_kafka_topic_partition_list_destroy);
  for (int p = 0; p < partitions; ++p) rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), p);
  const auto ms = static_cast<int>(timeout.count());
  const rd_kafka_resp_err_t committed = rd_kafka_committed(handle.get(), list.get(), ms);
  REQUIRE_MESSAGE(committed == RD_KAFKA_RESP_ERR_NO_ERROR, rd_kafka_err2str(committed));

  std::int64_t lag = 0;
  for (int i = 0; i < list->cnt; ++i) {
    const auto& partition = list->elems[i];
    std::int64_t low = 0;
    std::int64_t high = 0;
    const auto queried = rd_kafka_query_watermark_offsets(handle.get(), topic.c_str(), partition.partition, &low,
                                                          &high, ms);
    REQUIRE_MESSAGE(queried == RD_KAFKA_RESP_ERR_NO_ERROR, rd_kafka_err2str(queried));
    const std::int64_t from = partition.offset >= 0 ? partition.offset : low;
    lag += high - from;
  }
  return lag;
}

}  // namespace payments::testing
