#pragma once
// Reads Kafka topics from their beginning as a new consumer group would: what a downstream consumer of the
// event topics sees, duplicates included.

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "payments/events/kafka.hpp"

namespace payments::testing {

// Every record of `topics` from the beginning, until `enough` accepts what arrived so far (asked before each
// poll) or `timeout` passes; then `linger` longer, to catch the late duplicates that would break "exactly
// one". REQUIREs that the consumer could be made.
std::vector<events::IncomingMessage> read_topics_until(
    const events::KafkaConnection& kafka, const std::vector<std::string>& topics,
    const std::function<bool(const std::vector<events::IncomingMessage>&)>& enough, std::chrono::milliseconds timeout,
    std::chrono::milliseconds linger = std::chrono::seconds(1));

}  // namespace payments::testing
