#include "payments/worker/outbox_relay.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>

#include "payments/core/log.hpp"
#include "payments/events/publish.hpp"
#include "payments/runtime/awaitable.hpp"

namespace payments::worker {

OutboxRelay::OutboxRelay(store::PaymentStore& payments, events::EventPublisher& producer,
                         boost::asio::thread_pool& blocking, MetricsRegistry& metrics, OutboxRelayOptions options)
    : payments_(payments),
      producer_(producer),
      blocking_(blocking),
      published_(metrics.counter("payments_worker_outbox_relayed_total", "Owed events published by the relay")),
      options_(options) {}

boost::asio::awaitable<void> OutboxRelay::run(const std::atomic<bool>& stop) {
  boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor);
  while (!stop.load()) {
    timer.expires_after(options_.interval);
    co_await timer.async_wait(boost::asio::use_awaitable);
    co_await sweep();
  }
}

boost::asio::awaitable<int> OutboxRelay::sweep() {
  auto stale = co_await runtime::run_blocking(
      blocking_, [this] { return payments_.stale_unpublished_events(options_.min_age, options_.batch); });
  if (!stale) {
    log::warn("outbox sweep failed", {{"error", stale.error().message}});
    co_return 0;
  }
  int published = 0;
  for (const auto& event : stale.value()) {
    events::OutgoingMessage message{event.topic, event.payment_id, event.payload, {}};
    Status delivered = co_await events::publish(producer_, std::move(message));
    if (!delivered) co_return published;  // Kafka is down; the next sweep tries again
    const std::string event_id = event.event_id;
    auto marked = co_await runtime::run_blocking(blocking_, [&] { return payments_.mark_published(event_id); });
    if (!marked) co_return published;
    ++published;
    published_.add();
  }
  if (published > 0) log::info("outbox relay published owed events", {{"count", std::to_string(published)}});
  co_return published;
}

}  // namespace payments::worker
