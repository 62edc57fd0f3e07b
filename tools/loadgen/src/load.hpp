#pragma once
// The two ways load is offered: POST /api/v1/payments over keep-alive HTTP connections, and payment.create
// commands produced straight into payment-commands as an order service would (key = payment_id).

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "latency.hpp"
#include "payments/events/kafka.hpp"
#include "ledger.hpp"

namespace payments::loadgen {

struct LoadResult {
  std::uint64_t offered = 0;   // requests sent / commands produced
  std::uint64_t accepted = 0;  // 202 answers / delivery reports without error
  std::uint64_t transport_errors = 0;
  std::map<int, std::uint64_t> statuses;  // HTTP status -> count (HTTP mode)
  std::string first_error;
  LatencySamples latency;  // API response time, or Kafka delivery-report time
  std::vector<std::uint64_t> accepted_per_second;
  Clock::time_point started{};
  Clock::time_point finished{};
};

struct HttpLoadOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;
  int connections = 64;
  int threads = 1;
  std::chrono::milliseconds duration{20'000};
  double rate = 0;  // payments/s offered in total; 0 = closed loop, each connection as fast as answers come
  bool idempotency_keys = true;
  std::string authorization;  // the Authorization header of every request ("Bearer <key>"); empty: none
  std::string id_prefix;  // order ids and idempotency keys start with it
  std::uint64_t max_requests = 0;  // per connection; 0 = until `duration` has passed
};

// Offers payments to the API until `duration` has passed. Latency of an open-loop request counts from its
// scheduled instant, so a stalled server cannot hide queueing (no coordinated omission). Accepted payment
// ids go into `ledger` with their submission instant.
LoadResult run_http_load(const HttpLoadOptions& options, PaymentLedger& ledger);

struct KafkaLoadOptions {
  events::KafkaConnection kafka;  // --brokers and the environment's KAFKA_* security settings
  std::string topic;     // the (prefixed) payment-commands topic
  std::uint64_t count = 0;  // backlog mode: this many commands as fast as the producer takes them
  double rate = 0;          // open-loop mode (count = 0): this many commands per second ...
  std::chrono::milliseconds duration{15'000};  // ... for this long
  std::string id_prefix;    // payment ids are <id_prefix><n>
};

LoadResult run_kafka_load(const KafkaLoadOptions& options, PaymentLedger& ledger);

// The payment.create command of an order service for `payment_id`.
std::string payment_create_command(const std::string& payment_id);
// The REST body of the same payment.
std::string payment_body(const std::string& order_id);

}  // namespace payments::loadgen
