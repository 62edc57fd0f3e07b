#include "chaos/command_load.hpp"

#include <doctest/doctest.h>

#include "payments/core/ids.hpp"
#include "payments/core/random.hpp"
#include "support/commands.hpp"

namespace payments::testing {

using namespace std::chrono_literals;

CommandLoad::CommandLoad(Stack& stack, int per_second)
    : stack_(stack), run_tag_(random_token(system_random()).substr(0, 8)) {
  auto producer = events::Producer::create({.brokers = stack.kafka().brokers,
                                            .client_properties = stack.kafka().client_properties,
                                            .client_id = "chaos-order-service",
                                            .delivery_timeout = 30s});
  REQUIRE_MESSAGE(producer, (producer ? "" : producer.error().message));
  producer_ = std::move(producer).value();
  const auto pause = std::chrono::milliseconds(1000 / per_second);
  producing_ = std::thread([this, pause] {
    for (int n = 0; !stop_.load(); ++n) {
      const auto next = std::chrono::steady_clock::now() + pause;
      produce(n);
      std::this_thread::sleep_until(next);
    }
  });
}

void CommandLoad::stop() {
  if (stop_.exchange(true)) return;
  producing_.join();
  // Unreported after this long is as good as failed: the broker may or may not have the command.
  (void)producer_->flush(35s);
}

void CommandLoad::produce(int n) {
  const std::string payment_id = "kafka-" + run_tag_ + "-" + std::to_string(n);
  const bool declined = n % 5 == 4;
  const std::string data = payment_data("order-" + payment_id, "1500", "",
                                        declined ? "pm_card_visa_chargeDeclined" : "pm_card_visa");
  {
    std::lock_guard lock(mutex_);
    sent_[payment_id] = declined ? "failed" : "succeeded";
  }
  events::OutgoingMessage command{stack_.topics().commands, payment_id,
                                  create_command(new_uuid_v4(system_random()), payment_id, data), {}};
  producer_->produce(std::move(command), [this, payment_id](Status delivered) {
    std::lock_guard lock(mutex_);
    delivered_[payment_id] = static_cast<bool>(delivered);
  });
}

Offered CommandLoad::offered() const {
  std::lock_guard lock(mutex_);
  Offered out;
  for (const auto& [payment_id, status] : sent_) {
    auto report = delivered_.find(payment_id);
    if (report != delivered_.end() && report->second) {
      out.expected_status[payment_id] = status;
    } else {
      out.maybe.insert(payment_id);
    }
  }
  return out;
}

int CommandLoad::delivered() const {
  std::lock_guard lock(mutex_);
  int count = 0;
  for (const auto& [payment_id, ok] : delivered_) count += ok ? 1 : 0;
  return count;
}

int CommandLoad::produced() const {
  std::lock_guard lock(mutex_);
  return static_cast<int>(sent_.size());
}

}  // namespace payments::testing
