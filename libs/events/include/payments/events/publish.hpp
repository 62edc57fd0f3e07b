#pragma once
// The one awaitable around producing to Kafka: the calling coroutine resumes, on its own executor, with the
// broker's verdict on the message (see EventPublisher::produce).

#include <boost/asio/awaitable.hpp>

#include <functional>
#include <utility>

#include "payments/core/result.hpp"
#include "payments/events/event_publisher.hpp"
#include "payments/runtime/awaitable.hpp"

namespace payments::events {

inline boost::asio::awaitable<Status> publish(EventPublisher& publisher, OutgoingMessage message) {
  // Named, not a temporary inside the co_await expression: GCC 12 can destroy such temporaries twice.
  auto start = [&publisher, &message](std::function<void(Status)> done) {
    publisher.produce(std::move(message), std::move(done));
  };
  Status delivered = co_await runtime::await_callback<Status>(std::move(start));
  co_return delivered;
}

}  // namespace payments::events
