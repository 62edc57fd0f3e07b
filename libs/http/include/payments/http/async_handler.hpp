#pragma once
// Coroutine handlers: for handlers that wait (timers, outbound calls) without holding a thread.
// This header includes Asio; include it only where such a handler is written.

#include <boost/asio/awaitable.hpp>
#include <functional>

#include "payments/http/message.hpp"
#include "payments/http/server.hpp"

namespace payments::http {

// Runs on the connection's strand; `co_await boost::asio::this_coro::executor` gives an executor for
// timers. Exceptions escaping it become a 500 answer.
struct AsyncHandler {
  std::function<boost::asio::awaitable<Response>(Request)> handle;
};

}  // namespace payments::http
