#pragma once
// Exponential backoff with jitter under a total deadline, for retrying Stripe after transient failures.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <chrono>
#include <random>
#include <string>

namespace payments::worker {

class Backoff {
 public:
  Backoff(std::chrono::milliseconds initial, std::chrono::milliseconds max, std::chrono::milliseconds deadline,
          const std::string& seed)
      : delay_(initial), max_(max), until_(std::chrono::steady_clock::now() + deadline),
        jitter_(std::hash<std::string>{}(seed)) {}

  // False when the next wait would pass the deadline: give up and leave the work for reconciliation.
  [[nodiscard]] bool can_wait() const { return std::chrono::steady_clock::now() + delay_ <= until_; }

  // Waits between half and all of the current delay, then doubles it (up to the maximum).
  boost::asio::awaitable<void> wait() {
    const auto sleep = std::chrono::milliseconds(
        std::uniform_int_distribution<std::int64_t>(delay_.count() / 2, delay_.count())(jitter_));
    boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor, sleep);
    co_await timer.async_wait(boost::asio::use_awaitable);
    delay_ = std::min(delay_ * 2, max_);
  }

 private:
  std::chrono::milliseconds delay_;
  std::chrono::milliseconds max_;
  std::chrono::steady_clock::time_point until_;
  std::mt19937_64 jitter_;
};

}  // namespace payments::worker
