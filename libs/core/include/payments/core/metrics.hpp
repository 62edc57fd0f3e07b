#pragma once
// Counters and gauges rendered in the Prometheus text format for /metrics. Registration happens at
// start-up; updates are lock-free atomics, safe from any thread.

#include <atomic>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>

namespace payments {

class Metric {
 public:
  void add(std::int64_t delta = 1) noexcept { value_.fetch_add(delta, std::memory_order_relaxed); }
  void set(std::int64_t value) noexcept { value_.store(value, std::memory_order_relaxed); }
  [[nodiscard]] std::int64_t value() const noexcept { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::int64_t> value_{0};
};

class MetricsRegistry {
 public:
  // `labels` is Prometheus label text without braces, e.g. `route="create",status="202"`.
  // The same name and labels always return the same metric.
  Metric& counter(const std::string& name, const std::string& help, const std::string& labels = {});
  Metric& gauge(const std::string& name, const std::string& help, const std::string& labels = {});

  [[nodiscard]] std::string render() const;

 private:
  struct Entry {
    std::string name;
    std::string help;
    std::string type;
    std::string labels;
    Metric metric;
  };
  Metric& find_or_add(const std::string& name, const std::string& help, const std::string& type,
                      const std::string& labels);

  mutable std::mutex mutex_;
  std::deque<Entry> entries_;  // deque: references stay valid as entries are added
};

}  // namespace payments
