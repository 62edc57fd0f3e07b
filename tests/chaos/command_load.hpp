#pragma once
// Payments produced straight to payment-commands at a steady rate, as an order service writes them, through a
// producer of its own that keeps producing while the broker is away (librdkafka queues, then delivers or
// times out). One in five uses a card Stripe declines. Remembers each command's delivery report.

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "chaos/offered.hpp"
#include "payments/events/kafka.hpp"
#include "support/stack.hpp"

namespace payments::testing {

class CommandLoad {
 public:
  CommandLoad(Stack& stack, int per_second);
  ~CommandLoad() { stop(); }
  CommandLoad(const CommandLoad&) = delete;
  CommandLoad& operator=(const CommandLoad&) = delete;

  // Stops producing and waits (up to the producer's delivery timeout) for every delivery report.
  void stop();
  // After stop(): delivered commands as expected payments, the others as maybe.
  Offered offered() const;
  int delivered() const;
  int produced() const;

 private:
  void produce(int n);

  Stack& stack_;
  std::string run_tag_;
  std::atomic<bool> stop_{false};
  mutable std::mutex mutex_;
  std::map<std::string, std::string> sent_;  // payment id -> the status its card leads to
  std::map<std::string, bool> delivered_;    // payment id -> the delivery report's verdict
  std::thread producing_;
  // Last, so it goes first: its destructor may still report deliveries, into the members above.
  std::unique_ptr<events::Producer> producer_;
};

}  // namespace payments::testing
