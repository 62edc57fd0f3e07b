#pragma once
// What the worker needs to send a record to Kafka: one message, and later the broker's verdict. Producer
// (librdkafka, kafka.hpp) implements it; the unit tests use an in-memory fake (tests/unit/worker/fakes.hpp).
// Kept apart from kafka.hpp so that code written against it names no client at all.

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "payments/core/result.hpp"

namespace payments::events {

using Headers = std::vector<std::pair<std::string, std::string>>;

// The value of the first header called `name`, or nullptr.
inline const std::string* header_value(const Headers& headers, std::string_view name) noexcept {
  for (const auto& [key, value] : headers) {
    if (key == name) return &value;
  }
  return nullptr;
}

// A message that was not acknowledged although the broker may have written it (librdkafka's "possibly
// persisted": it was on the wire when the broker or the connection went away). Its Error is `unavailable`
// and names this in `field`, so that a caller about to undo its own write because the message "failed" knows
// that a consumer may still receive it.
inline constexpr std::string_view kPossiblyWritten = "kafka:possibly_persisted";
inline bool may_have_been_written(const Error& error) noexcept {
  return error.code == ErrorCode::unavailable && error.field == kPossiblyWritten;
}

struct OutgoingMessage {
  std::string topic;
  std::string key;
  std::string value;
  Headers headers;
};

class EventPublisher {
 public:
  using DeliveryCallback = std::function<void(Status)>;

  virtual ~EventPublisher() = default;

  // Queues the message; `on_delivery` runs once, on any thread, with the verdict (an error when the message
  // was not delivered: the broker down, the queue full, the topic unknown; see may_have_been_written).
  virtual void produce(OutgoingMessage message, DeliveryCallback on_delivery) = 0;

 protected:
  EventPublisher() = default;
  EventPublisher(const EventPublisher&) = default;
  EventPublisher& operator=(const EventPublisher&) = default;
};

}  // namespace payments::events
