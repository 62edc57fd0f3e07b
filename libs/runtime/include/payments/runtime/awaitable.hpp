#pragma once
// Bridges from callback-style and blocking work into Asio C++20 coroutines. Header-only; include it only
// from the .cpp files that run coroutines.

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>
#include <variant>

namespace payments::runtime {

// Awaits an operation that reports once through a callback, on any thread; the coroutine resumes on its own
// executor. `start` receives the callback: `co_await await_callback<Status>([&](auto done) { x.f(done); })`.
// (Every object handed to a co_await expression here is a named local: GCC 12 can destroy temporaries inside
// co_await expressions twice.)
template <typename T, typename Start>
boost::asio::awaitable<T> await_callback(Start start) {
  auto initiation = [](auto handler, Start begin) {
    auto shared = std::make_shared<decltype(handler)>(std::move(handler));
    begin(std::function<void(T)>([shared](T value) {
      auto executor = boost::asio::get_associated_executor(*shared);
      boost::asio::post(executor, [shared, v = std::move(value)]() mutable { std::move(*shared)(std::move(v)); });
    }));
  };
  T result = co_await boost::asio::async_initiate<const boost::asio::use_awaitable_t<>&, void(T)>(
      std::move(initiation), boost::asio::use_awaitable, std::move(start));
  co_return result;
}

// Runs blocking work (a database call) on `pool` and awaits its result without blocking the event loop. An
// exception `work` throws (a SOCI conversion, say) is carried back and rethrown in the awaiting coroutine,
// where the flow's own handling sees it; it never escapes on the pool thread, which would end the process.
template <typename F>
boost::asio::awaitable<std::invoke_result_t<F&>> run_blocking(boost::asio::thread_pool& pool, F work) {
  using T = std::invoke_result_t<F&>;
  using Outcome = std::variant<T, std::exception_ptr>;
  auto start = [&pool, &work](std::function<void(Outcome)> done) {
    boost::asio::post(pool, [&work, done = std::move(done)]() mutable {
      std::optional<Outcome> outcome;
      try {
        outcome.emplace(std::in_place_index<0>, work());
      } catch (...) {
        outcome.emplace(std::in_place_index<1>, std::current_exception());
      }
      done(std::move(*outcome));
    });
  };
  Outcome outcome = co_await await_callback<Outcome>(std::move(start));
  if (outcome.index() == 1) std::rethrow_exception(std::get<1>(outcome));
  co_return std::move(std::get<0>(outcome));
}

}  // namespace payments::runtime
