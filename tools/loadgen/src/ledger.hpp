#pragma once
// What the load generator offered and what came back: each payment id with the instant it was submitted,
// and the first terminal event (payment-success / payment-failed) seen for each id. Thread-safe: the load
// runs on its own threads, the completion tracker on another.

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "latency.hpp"

namespace payments::loadgen {

using Clock = std::chrono::steady_clock;

class PaymentLedger {
 public:
  void submitted(const std::string& payment_id, Clock::time_point at);
  void event_seen(const std::string& payment_id, Clock::time_point at, bool succeeded);

  [[nodiscard]] bool seen(const std::string& payment_id) const;
  // Submitted ids that have their terminal event.
  [[nodiscard]] std::size_t completed() const;
  [[nodiscard]] std::size_t submitted_count() const;
  [[nodiscard]] std::vector<std::string> submitted_ids() const;

  struct Outcome {
    std::size_t submitted = 0;
    std::size_t completed = 0;
    std::size_t succeeded = 0;
    std::size_t failed = 0;
    std::size_t duplicate_events = 0;  // at-least-once: a second event for an id (same event_id expected)
    Clock::time_point first_submit{};
    Clock::time_point last_completion{};
    LatencySamples end_to_end;  // submission to the event being read here
    std::vector<std::uint64_t> completed_per_second;  // by completion instant, from `origin`
  };
  [[nodiscard]] Outcome outcome(Clock::time_point origin) const;

 private:
  struct Seen {
    Clock::time_point at;
    bool succeeded = false;
    std::uint32_t count = 0;
  };
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Clock::time_point> submitted_;
  std::unordered_map<std::string, Seen> seen_;
};

}  // namespace payments::loadgen
