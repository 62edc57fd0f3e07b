#pragma once
// Reads payment-success and payment-failed (from the beginning, in a group of its own) on a thread of its
// own and tells the ledger when each payment's terminal event arrives. The event's key is its payment id.

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "ledger.hpp"
#include "payments/core/result.hpp"
#include "payments/events/kafka.hpp"

namespace payments::loadgen {

class CompletionTracker {
 public:
  static Result<std::unique_ptr<CompletionTracker>> start(const events::KafkaConnection& kafka, const std::string& group_id,
                                                          std::string success_topic, std::string failed_topic,
                                                          PaymentLedger& ledger);
  ~CompletionTracker();
  CompletionTracker(const CompletionTracker&) = delete;
  CompletionTracker& operator=(const CompletionTracker&) = delete;

  // Consumer errors seen while polling (a healthy run has none).
  [[nodiscard]] std::uint64_t errors() const { return errors_.load(); }

 private:
  CompletionTracker(std::unique_ptr<events::Consumer> consumer, std::string success_topic, PaymentLedger& ledger);
  void loop();

  std::unique_ptr<events::Consumer> consumer_;
  std::string success_topic_;
  PaymentLedger& ledger_;
  std::atomic<bool> stop_{false};
  std::atomic<std::uint64_t> errors_{0};
  std::thread thread_;
};

}  // namespace payments::loadgen
