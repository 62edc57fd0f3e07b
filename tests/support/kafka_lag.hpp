#pragma once
// How far a consumer group's committed offsets are behind the end of a topic, as an operator reads it with
// kafka-consumer-groups --describe: the sum over partitions of (high watermark - committed offset), a
// partition without a committed offset counting from its low watermark.

#include <chrono>
#include <cstdint>
#include <string>

#include "payments/events/kafka.hpp"

namespace payments::testing {

// REQUIREs that the broker answered.
std::int64_t consumer_lag(const events::KafkaConnection& kafka, const std::string& group, const std::string& topic,
                          int partitions, std::chrono::milliseconds timeout = std::chrono::seconds(10));

}  // namespace payments::testing
