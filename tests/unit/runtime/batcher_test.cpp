// runtime::Batcher: what many coroutines submitting at once get back, and how their work is grouped.

#include <doctest/doctest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>

#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "payments/runtime/batcher.hpp"

using payments::runtime::Batcher;

namespace {

// Records every batch the flush is handed; answers each item with its text doubled.
struct RecordingFlush {
  std::mutex mutex;
  std::vector<std::vector<int>> batches;
  std::atomic<int> concurrent{0};
  std::atomic<int> most_concurrent{0};

  std::vector<std::string> operator()(const std::vector<int>& items) {
    const int now = ++concurrent;
    int seen = most_concurrent.load();
    while (now > seen && !most_concurrent.compare_exchange_weak(seen, now)) {
    }
    {
      std::lock_guard lock(mutex);
      batches.push_back(items);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));  // a database round trip
    std::vector<std::string> out;
    for (const int i : items) out.push_back(std::to_string(i) + std::to_string(i));
    --concurrent;
    return out;
  }
};

}  // namespace

TEST_CASE("every submitter gets its own item's outcome, and items submitted together share flushes") {
  boost::asio::io_context io;
  boost::asio::thread_pool pool(4);
  RecordingFlush recorder;
  Batcher<int, std::string> batcher(
      pool, [&recorder](const std::vector<int>& items) { return recorder(items); }, 16);

  constexpr int kSubmitters = 100;
  std::vector<std::string> answers(kSubmitters);
  for (int i = 0; i < kSubmitters; ++i) {
    boost::asio::co_spawn(
        io,
        [&batcher, &answers, i]() -> boost::asio::awaitable<void> {
          std::string answer = co_await batcher.submit(i);
          answers[static_cast<std::size_t>(i)] = std::move(answer);
        },
        boost::asio::detached);
  }
  io.run();
  pool.join();

  for (int i = 0; i < kSubmitters; ++i) {
    CHECK(answers[static_cast<std::size_t>(i)] == std::to_string(i) + std::to_string(i));
  }
  std::size_t items = 0;
  for (const auto& batch : recorder.batches) {
    CHECK(batch.size() <= 16);
    items += batch.size();
  }
  CHECK(items == kSubmitters);                   // each item flushed exactly once
  CHECK(recorder.batches.size() < kSubmitters);  // and not one flush per item
  CHECK(recorder.most_concurrent.load() == 1);   // one flush at a time
}

TEST_CASE("a lone submission is flushed on its own") {
  boost::asio::io_context io;
  boost::asio::thread_pool pool(1);
  RecordingFlush recorder;
  Batcher<int, std::string> batcher(
      pool, [&recorder](const std::vector<int>& items) { return recorder(items); }, 16);
  std::string answer;
  boost::asio::co_spawn(
      io, [&]() -> boost::asio::awaitable<void> { answer = co_await batcher.submit(7); }, boost::asio::detached);
  io.run();
  CHECK(answer == "77");
  CHECK(recorder.batches.size() == 1);
  pool.join();
}
