#pragma once
// Latency samples kept whole (a run holds at most a few hundred thousand) so percentiles are exact.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

namespace payments::loadgen {

class LatencySamples {
 public:
  void add_micros(std::int64_t micros) {
    samples_.push_back(micros);
    sorted_ = false;
  }
  void merge(const LatencySamples& other) {
    samples_.insert(samples_.end(), other.samples_.begin(), other.samples_.end());
    sorted_ = false;
  }
  [[nodiscard]] std::size_t count() const { return samples_.size(); }

  // The q-quantile (0..1) in milliseconds, nearest-rank; 0 without samples.
  double quantile_ms(double q) {
    if (samples_.empty()) return 0;
    sort();
    const auto n = samples_.size();
    auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(n)));
    rank = std::clamp<std::size_t>(rank, 1, n);
    return static_cast<double>(samples_[rank - 1]) / 1000.0;
  }
  double max_ms() { return quantile_ms(1.0); }
  [[nodiscard]] double mean_ms() const {
    if (samples_.empty()) return 0;
    double sum = 0;
    for (auto s : samples_) sum += static_cast<double>(s);
    return sum / static_cast<double>(samples_.size()) / 1000.0;
  }

 private:
  void sort() {
    if (!sorted_) std::sort(samples_.begin(), samples_.end());
    sorted_ = true;
  }
  std::vector<std::int64_t> samples_;
  bool sorted_ = true;
};

}  // namespace payments::loadgen
