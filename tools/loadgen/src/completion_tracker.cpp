#include "completion_tracker.hpp"

namespace payments::loadgen {

Result<std::unique_ptr<CompletionTracker>> CompletionTracker::start(const events::KafkaConnection& kafka,
                                                                    const std::string& group_id,
                                                                    std::string success_topic,
                                                                    std::string failed_topic, PaymentLedger& ledger) {
  auto consumer = events::Consumer::create({.brokers = kafka.brokers,
                                            .client_properties = kafka.client_properties,
                                            .group_id = group_id,
                                            .topics = {success_topic, failed_topic},
                                            .client_id = "payments-loadgen",
                                            .auto_offset_reset = "earliest",
                                            // Hand records over as soon as they exist: this measures latency.
                                            .extra = {{"fetch.wait.max.ms", "10"}}});
  if (!consumer) return std::move(consumer).error();
  return std::unique_ptr<CompletionTracker>(
      new CompletionTracker(std::move(consumer).value(), std::move(success_topic), ledger));
}

CompletionTracker::CompletionTracker(std::unique_ptr<events::Consumer> consumer, std::string success_topic,
                                     PaymentLedger& ledger)
    : consumer_(std::move(consumer)), success_topic_(std::move(success_topic)), ledger_(ledger) {
  thread_ = std::thread([this] { loop(); });
}

CompletionTracker::~CompletionTracker() {
  stop_ = true;
  thread_.join();
  consumer_->close();
}

void CompletionTracker::loop() {
  while (!stop_.load()) {
    auto polled = consumer_->poll(std::chrono::milliseconds(100));
    const auto now = Clock::now();
    if (!polled) {
      ++errors_;
      continue;
    }
    if (!polled.value()) continue;
    const auto& message = *polled.value();
    ledger_.event_seen(message.key, now, message.topic == success_topic_);
  }
}

}  // namespace payments::loadgen
