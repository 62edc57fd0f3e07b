#pragma once
// Payments offered through a stack's API at a steady rate by a few callers at once (one caller waiting out a
// 503 does not hold the others up), as a shop's checkout would: each order once, with its own Idempotency-Key.
// Remembers every answer.

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "support/stack.hpp"

namespace payments::testing {

struct PaymentLoadOptions {
  int per_second = 25;
  int callers = 4;
  std::string order_prefix = "load-";  // order ids are <prefix><n>
  // Every n-th payment answered 202 is sent again at once with the same key and body, as a client that lost
  // the first answer would (0: never). The replay's answer must name the same payment.
  int replay_every = 0;
};

// One order as the API answered it.
struct PaymentAnswer {
  std::string order_id;
  std::string idempotency_key;
  int status = 0;          // 0: no answer (connection failed or timed out)
  std::string payment_id;  // for a 202
};

class PaymentLoad {
 public:
  PaymentLoad(Stack& stack, PaymentLoadOptions options);
  ~PaymentLoad() { stop(); }
  PaymentLoad(const PaymentLoad&) = delete;
  PaymentLoad& operator=(const PaymentLoad&) = delete;

  void stop();
  // How many answers of each HTTP status so far (first sends only; replays are counted apart).
  std::map<int, int> answers() const;
  std::vector<std::string> accepted() const;  // payment ids answered 202
  std::vector<PaymentAnswer> orders() const;  // every order, in no particular order
  long slowest_ms() const;
  // Replays sent, and how many of them were answered 202 with another payment id than the first 202.
  int replays() const;
  int replays_naming_another_payment() const;

 private:
  void offer(int n);

  Stack& stack_;
  PaymentLoadOptions options_;
  std::atomic<bool> stop_{false};
  mutable std::mutex mutex_;
  std::map<int, int> answers_;
  std::vector<PaymentAnswer> orders_;
  long slowest_ms_ = 0;
  int replays_ = 0;
  int replays_naming_another_payment_ = 0;
  std::vector<std::thread> callers_;
};

// Answers of each status between two snapshots of PaymentLoad::answers().
std::map<int, int> answers_since(const std::map<int, int>& before, std::map<int, int> now);

}  // namespace payments::testing
