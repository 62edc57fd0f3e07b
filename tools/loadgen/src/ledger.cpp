#include "ledger.hpp"

namespace payments::loadgen {

void PaymentLedger::submitted(const std::string& payment_id, Clock::time_point at) {
  const std::lock_guard lock(mutex_);
  submitted_.emplace(payment_id, at);
}

void PaymentLedger::event_seen(const std::string& payment_id, Clock::time_point at, bool succeeded) {
  const std::lock_guard lock(mutex_);
  auto [it, first] = seen_.try_emplace(payment_id, Seen{at, succeeded, 0});
  (void)first;
  ++it->second.count;
}

bool PaymentLedger::seen(const std::string& payment_id) const {
  const std::lock_guard lock(mutex_);
  return seen_.contains(payment_id);
}

std::size_t PaymentLedger::completed() const {
  const std::lock_guard lock(mutex_);
  std::size_t n = 0;
  for (const auto& [id, at] : submitted_) {
    if (seen_.contains(id)) ++n;
  }
  return n;
}

std::size_t PaymentLedger::submitted_count() const {
  const std::lock_guard lock(mutex_);
  return submitted_.size();
}

std::vector<std::string> PaymentLedger::submitted_ids() const {
  const std::lock_guard lock(mutex_);
  std::vector<std::string> ids;
  ids.reserve(submitted_.size());
  for (const auto& [id, at] : submitted_) ids.push_back(id);
  return ids;
}

PaymentLedger::Outcome PaymentLedger::outcome(Clock::time_point origin) const {
  const std::lock_guard lock(mutex_);
  Outcome out;
  out.submitted = submitted_.size();
  bool any = false;
  for (const auto& [id, submit] : submitted_) {
    if (!any || submit < out.first_submit) out.first_submit = submit;
    any = true;
    auto it = seen_.find(id);
    if (it == seen_.end()) continue;
    const auto& seen = it->second;
    ++out.completed;
    ++(seen.succeeded ? out.succeeded : out.failed);
    out.duplicate_events += seen.count - 1;
    if (seen.at > out.last_completion) out.last_completion = seen.at;
    out.end_to_end.add_micros(std::chrono::duration_cast<std::chrono::microseconds>(seen.at - submit).count());
    const auto second = std::chrono::duration_cast<std::chrono::seconds>(seen.at - origin).count();
    if (second >= 0) {
      const auto index = static_cast<std::size_t>(second);
      if (out.completed_per_second.size() <= index) out.completed_per_second.resize(index + 1, 0);
      ++out.completed_per_second[index];
    }
  }
  return out;
}

}  // namespace payments::loadgen
