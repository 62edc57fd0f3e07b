#pragma once
// Publishes events a payment owes when the worker that wrote them died before publishing and no command for
// that payment is coming back soon: the relay half of the outbox. Every worker runs one; two publishing the
// same event is harmless (consumers deduplicate on event_id).

#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>

#include <atomic>
#include <chrono>

#include "payments/core/metrics.hpp"
#include "payments/events/event_publisher.hpp"
#include "payments/store/payment_store.hpp"

namespace payments::worker {

struct OutboxRelayOptions {
  std::chrono::seconds min_age{5};  // leave fresh events to the worker that wrote them
  std::chrono::milliseconds interval{2'000};
  int batch = 200;
};

class OutboxRelay {
 public:
  OutboxRelay(store::PaymentStore& payments, events::EventPublisher& producer, boost::asio::thread_pool& blocking,
              MetricsRegistry& metrics, OutboxRelayOptions options);

  // Runs until `stop` is set.
  boost::asio::awaitable<void> run(const std::atomic<bool>& stop);
  // One sweep; returns how many events were published.
  boost::asio::awaitable<int> sweep();

 private:
  store::PaymentStore& payments_;
  events::EventPublisher& producer_;
  boost::asio::thread_pool& blocking_;
  Metric& published_;
  OutboxRelayOptions options_;
};

}  // namespace payments::worker
