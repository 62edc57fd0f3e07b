#pragma once
// Group commit for blocking work: many coroutines submit small writes, and one flush at a time runs on a
// thread pool with everything submitted so far (up to `max_batch`). While a flush runs, new submissions
// queue up and form the next batch, so a quiet service flushes each write at once and a busy one shares
// one database round trip or commit among many writes, without a timer adding latency to either.
// Header-only; include it only from the .cpp files that run coroutines.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>

#include <algorithm>
#include <cassert>
#include <cstddef>
#include <iterator>
#include <functional>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include "payments/runtime/awaitable.hpp"

namespace payments::runtime {

template <typename Item, typename Outcome>
class Batcher {
 public:
  // Runs on the pool with one batch; returns one outcome per item, in order. It must not throw.
  using Flush = std::function<std::vector<Outcome>(const std::vector<Item>&)>;

  Batcher(boost::asio::thread_pool& pool, Flush flush, std::size_t max_batch)
      : state_(std::make_shared<State>(pool, std::move(flush), max_batch == 0 ? 1 : max_batch)) {}

  // Resumes with the outcome of `item` once the batch holding it has been flushed.
  boost::asio::awaitable<Outcome> submit(Item item) {
    auto start = [this, &item](std::function<void(Outcome)> done) { enqueue(std::move(item), std::move(done)); };
    Outcome outcome = co_await await_callback<Outcome>(std::move(start));
    co_return outcome;
  }

 private:
  // Queues the item; starts a flush on the pool unless one is running (it will take this item too).
  void enqueue(Item item, std::function<void(Outcome)> done) {
    std::lock_guard lock(state_->mutex);
    state_->queued.push_back({std::move(item), std::move(done)});
    if (state_->flushing) return;
    state_->flushing = true;
    boost::asio::post(state_->pool, [state = state_] { drain(*state); });
  }

  struct Entry {
    Item item;
    std::function<void(Outcome)> done;
  };
  struct State {
    State(boost::asio::thread_pool& p, Flush f, std::size_t max) : pool(p), flush(std::move(f)), max_batch(max) {}
    boost::asio::thread_pool& pool;
    Flush flush;
    std::size_t max_batch;
    std::mutex mutex;
    std::vector<Entry> queued;
    bool flushing = false;
  };

  static void drain(State& state) {
    for (;;) {
      std::vector<Entry> batch;
      {
        std::lock_guard lock(state.mutex);
        if (state.queued.empty()) {
          state.flushing = false;
          return;
        }
        const auto n = static_cast<std::ptrdiff_t>(std::min(state.max_batch, state.queued.size()));
        batch.assign(std::make_move_iterator(state.queued.begin()), std::make_move_iterator(state.queued.begin() + n));
        state.queued.erase(state.queued.begin(), state.queued.begin() + n);
      }
      std::vector<Item> items;
      items.reserve(batch.size());
      for (auto& entry : batch) items.push_back(std::move(entry.item));
      std::vector<Outcome> outcomes = state.flush(items);
      assert(outcomes.size() == batch.size());
      for (std::size_t i = 0; i < batch.size(); ++i) batch[i].done(std::move(outcomes[i]));
    }
  }

  std::shared_ptr<State> state_;
};

}  // namespace payments::runtime
