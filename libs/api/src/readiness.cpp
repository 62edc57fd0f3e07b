#include "payments/api/readiness.hpp"

namespace payments::api {

namespace {

Status run(const Readiness::Check& check) { return check.test ? check.test() : Status(Ok{}); }

}  // namespace

Readiness::Readiness(std::vector<Check> checks, Options options) : options_(options) {
  for (auto& check : checks) {
    auto slot = std::make_unique<Slot>();
    slot->check = std::move(check);
    slot->last = run(slot->check);
    slot->at = std::chrono::steady_clock::now();
    slots_.push_back(std::move(slot));
  }
  for (auto& slot : slots_) threads_.emplace_back([this, raw = slot.get()] { keep_checking(*raw); });
}

Readiness::~Readiness() {
  {
    const std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  stop_.notify_all();
  for (auto& thread : threads_) thread.join();
}

void Readiness::keep_checking(Slot& slot) {
  std::unique_lock lock(mutex_);
  while (!stop_.wait_for(lock, options_.interval, [this] { return stopping_; })) {
    lock.unlock();
    Status status = run(slot.check);
    lock.lock();
    slot.last = std::move(status);
    slot.at = std::chrono::steady_clock::now();
  }
}

std::vector<Readiness::Answer> Readiness::answers() const {
  const auto now = std::chrono::steady_clock::now();
  std::vector<Answer> out;
  const std::lock_guard lock(mutex_);
  for (const auto& slot : slots_) {
    if (now - slot->at > options_.stale_after) {
      const auto age = std::chrono::duration_cast<std::chrono::seconds>(now - slot->at).count();
      out.push_back({slot->check.name, Error::unavailable("no answer from the " + slot->check.name +
                                                           " check for " + std::to_string(age) + " s")});
    } else {
      out.push_back({slot->check.name, slot->last});
    }
  }
  return out;
}

}  // namespace payments::api
