#pragma once
// Reads a whole topic once, as it is now, for tools that look without taking part (`payments-admin dlq`):
// every partition from its first retained record to the high watermark it had when the read began, with no
// consumer group at all, so nothing is joined, committed or moved for anyone else.

#include <chrono>
#include <string>
#include <vector>

#include "payments/core/result.hpp"
#include "payments/events/kafka.hpp"

namespace payments::events {

// The records, partition by partition in offset order. A topic that does not exist is a not_found error that
// names it; a broker that does not answer within 10 s (or `timeout`, when shorter), or does not deliver
// everything within `timeout`, an error too.
Result<std::vector<IncomingMessage>> read_topic_to_end(const KafkaConnection& kafka, const std::string& topic,
                                                       std::chrono::milliseconds timeout);

}  // namespace payments::events
