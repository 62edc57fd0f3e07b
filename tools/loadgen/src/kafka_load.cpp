// Load straight into payment-commands, as an order service would: its own payment ids, key = payment_id.
#include <atomic>
#include <mutex>
#include <random>
#include <thread>

#include "load.hpp"
#include "payments/core/time.hpp"
#include "payments/events/kafka.hpp"
#include "payments/json/json.hpp"

namespace payments::loadgen {

namespace {

std::string random_uuid() {
  thread_local std::mt19937_64 random{std::random_device{}()};
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 32; ++i) {
    if (i == 8 || i == 12 || i == 16 || i == 20) out += '-';
    auto nibble = random() & 0xF;
    if (i == 12) nibble = 4;                   // version 4
    if (i == 16) nibble = 8 | (nibble & 0x3);  // RFC 4122 variant
    out += kHex[nibble];
  }
  return out;
}

}  // namespace

std::string payment_body(const std::string& order_id) {
  json::Builder body;
  body.begin_object()
      .field("order_id", order_id)
      .field("amount", std::int64_t{1999})
      .field("currency", "usd")
      .field("payment_method", "pm_card_visa")
      .end_object();
  return body.str();
}

std::string payment_create_command(const std::string& payment_id) {
  json::Builder command;
  command.begin_object()
      .field("command_id", random_uuid())
      .field("type", "payment.create")
      .field("payment_id", payment_id)
      .field("issued_at", rfc3339_now())
      .key("data")
      .raw(payment_body(payment_id))
      .end_object();
  return command.str();
}

LoadResult run_kafka_load(const KafkaLoadOptions& options, PaymentLedger& ledger) {
  LoadResult result;
  auto producer = events::Producer::create({.brokers = options.kafka.brokers,
                                            .client_properties = options.kafka.client_properties,
                                            .client_id = "payments-loadgen"});
  if (!producer) {
    result.first_error = producer.error().message;
    result.transport_errors = 1;
    return result;
  }
  std::mutex mutex;  // delivery callbacks run on the producer's thread
  const bool backlog = options.count > 0;
  result.started = Clock::now();
  const auto deadline = result.started + options.duration;
  for (std::uint64_t n = 0;; ++n) {
    auto submit = Clock::now();
    if (backlog) {
      if (n >= options.count) break;
    } else {
      const auto offset = std::chrono::duration<double>(static_cast<double>(n) / options.rate);
      submit = result.started + std::chrono::duration_cast<Clock::duration>(offset);
      if (submit >= deadline) break;
      std::this_thread::sleep_until(submit);
    }
    const auto payment_id = options.id_prefix + std::to_string(n);
    ledger.submitted(payment_id, submit);
    ++result.offered;
    producer.value()->produce({options.topic, payment_id, payment_create_command(payment_id), {}},
                              [&result, &mutex, submit](Status delivered) {
                                const auto now = Clock::now();
                                const std::lock_guard lock(mutex);
                                if (!delivered) {
                                  ++result.transport_errors;
                                  if (result.first_error.empty()) result.first_error = delivered.error().message;
                                  return;
                                }
                                ++result.accepted;
                                result.latency.add_micros(
                                    std::chrono::duration_cast<std::chrono::microseconds>(now - submit).count());
                                const auto second = static_cast<std::size_t>(
                                    std::chrono::duration_cast<std::chrono::seconds>(now - result.started).count());
                                if (result.accepted_per_second.size() <= second) {
                                  result.accepted_per_second.resize(second + 1, 0);
                                }
                                ++result.accepted_per_second[second];
                              });
  }
  if (!producer.value()->flush(std::chrono::seconds(60))) {
    const std::lock_guard lock(mutex);
    if (result.first_error.empty()) result.first_error = "producer flush timed out";
  }
  const std::lock_guard lock(mutex);
  result.finished = Clock::now();
  return result;
}

}  // namespace payments::loadgen
