#include "support/payment_load.hpp"

#include <algorithm>

namespace payments::testing {

PaymentLoad::PaymentLoad(Stack& stack, PaymentLoadOptions options) : stack_(stack), options_(std::move(options)) {
  const int callers = options_.callers;
  const auto pause = std::chrono::milliseconds(1000 * callers / options_.per_second);
  for (int c = 0; c < callers; ++c) {
    callers_.emplace_back([this, c, callers, pause] {
      for (int n = c; !stop_.load(); n += callers) {
        const auto next = std::chrono::steady_clock::now() + pause;
        offer(n);
        std::this_thread::sleep_until(next);
      }
    });
  }
}

void PaymentLoad::stop() {
  stop_ = true;
  for (auto& caller : callers_) {
    if (caller.joinable()) caller.join();
  }
}

std::map<int, int> PaymentLoad::answers() const {
  std::lock_guard lock(mutex_);
  return answers_;
}

std::vector<std::string> PaymentLoad::accepted() const {
  std::lock_guard lock(mutex_);
  std::vector<std::string> ids;
  for (const auto& order : orders_) {
    if (order.status == 202) ids.push_back(order.payment_id);
  }
  return ids;
}

std::vector<PaymentAnswer> PaymentLoad::orders() const {
  std::lock_guard lock(mutex_);
  return orders_;
}

long PaymentLoad::slowest_ms() const {
  std::lock_guard lock(mutex_);
  return slowest_ms_;
}

int PaymentLoad::replays() const {
  std::lock_guard lock(mutex_);
  return replays_;
}

int PaymentLoad::replays_naming_another_payment() const {
  std::lock_guard lock(mutex_);
  return replays_naming_another_payment_;
}

void PaymentLoad::offer(int n) {
  PaymentAnswer order;
  order.order_id = options_.order_prefix + std::to_string(n);
  order.idempotency_key = "idem-" + order.order_id;
  const std::string body = R"({"order_id":")" + order.order_id +
                           R"(","amount":1200,"currency":"usd","payment_method":"pm_card_visa"})";
  const auto sent = std::chrono::steady_clock::now();
  auto r = stack_.post_payment(body, order.idempotency_key);
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - sent);
  order.status = r.status;
  if (r.status == 202) order.payment_id = json_field(r.body, "payment_id");

  const bool replay = options_.replay_every > 0 && r.status == 202 && n % options_.replay_every == 0;
  std::string replayed_id;
  if (replay) {
    auto again = stack_.post_payment(body, order.idempotency_key);
    if (again.status == 202) replayed_id = json_field(again.body, "payment_id");
  }

  std::lock_guard lock(mutex_);
  slowest_ms_ = std::max<long>(slowest_ms_, took.count());
  ++answers_[r.status];
  if (replay) {
    ++replays_;
    if (!replayed_id.empty() && replayed_id != order.payment_id) ++replays_naming_another_payment_;
  }
  orders_.push_back(std::move(order));
}

std::map<int, int> answers_since(const std::map<int, int>& before, std::map<int, int> now) {
  for (const auto& [status, count] : before) now[status] -= count;
  std::erase_if(now, [](const auto& entry) { return entry.second == 0; });
  return now;
}

}  // namespace payments::testing
