#include "payments/core/metrics.hpp"

#include <set>

namespace payments {

Metric& MetricsRegistry::counter(const std::string& name, const std::string& help, const std::string& labels) {
  return find_or_add(name, help, "counter", labels);
}

Metric& MetricsRegistry::gauge(const std::string& name, const std::string& help, const std::string& labels) {
  return find_or_add(name, help, "gauge", labels);
}

Metric& MetricsRegistry::find_or_add(const std::string& name, const std::string& help, const std::string& type,
                                     const std::string& labels) {
  std::lock_guard lock(mutex_);
  for (auto& e : entries_) {
    if (e.name == name && e.labels == labels) return e.metric;
  }
  auto& e = entries_.emplace_back();
  e.name = name;
  e.help = help;
  e.type = type;
  e.labels = labels;
  return e.metric;
}

std::string MetricsRegistry::render() const {
  std::lock_guard lock(mutex_);
  std::string out;
  std::set<std::string> described;
  for (const auto& e : entries_) {
    if (described.insert(e.name).second) {
      out += "# HELP " + e.name + " " + e.help + "\n# TYPE " + e.name + " " + e.type + "\n";
      for (const auto& other : entries_) {
        if (other.name != e.name) continue;
        out += other.name;
        if (!other.labels.empty()) out += "{" + other.labels + "}";
        out += " " + std::to_string(other.metric.value()) + "\n";
      }
    }
  }
  return out;
}

}  // namespace payments
