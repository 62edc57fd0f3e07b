// runtime::run_blocking: blocking work's result, or its exception, comes back to the awaiting coroutine.

#include <doctest/doctest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>

#include <optional>
#include <stdexcept>
#include <string>
#include <typeinfo>

#include "payments/runtime/awaitable.hpp"

using payments::runtime::run_blocking;

TEST_CASE("blocking work's value reaches the coroutine") {
  boost::asio::io_context io;
  boost::asio::thread_pool pool(2);
  std::optional<int> got;
  boost::asio::co_spawn(
      io, [&]() -> boost::asio::awaitable<void> { got = co_await run_blocking(pool, [] { return 42; }); },
      boost::asio::detached);
  io.run();
  CHECK(got == 42);
  pool.join();
}

TEST_CASE("an exception thrown on the pool thread is rethrown in the coroutine, not on the pool thread") {
  boost::asio::io_context io;
  boost::asio::thread_pool pool(2);
  std::string caught;
  bool after = false;
  boost::asio::co_spawn(
      io,
      [&]() -> boost::asio::awaitable<void> {
        try {
          (void)co_await run_blocking(pool, []() -> int { throw std::bad_cast(); });
        } catch (const std::bad_cast&) {
          caught = "bad_cast";
        }
        try {
          (void)co_await run_blocking(pool, []() -> std::string { throw std::invalid_argument("stoll"); });
        } catch (const std::invalid_argument& e) {
          caught += std::string("+") + e.what();
        }
        // The pool still works afterwards.
        after = co_await run_blocking(pool, [] { return true; });
      },
      boost::asio::detached);
  io.run();
  CHECK(caught == "bad_cast+stoll");
  CHECK(after);
  pool.join();
}
