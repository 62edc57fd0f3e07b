// payments-api: reads configuration, connects to MySQL and Kafka, serves the REST API until SIGTERM.
#include <boost/asio/thread_pool.hpp>

#include <chrono>
#include <cstdio>

#include "payments/api/payments_api.hpp"
#include "payments/api/webhooks.hpp"
#include "payments/core/config.hpp"
#include "payments/core/log.hpp"
#include "payments/events/kafka.hpp"
#include "payments/events/topics.hpp"
#include "payments/http/async_handler.hpp"
#include "payments/http/server.hpp"
#include "payments/store/database.hpp"

namespace {

int fail(const payments::Error& error) {
  std::fprintf(stderr, "payments-api: %s\n", error.message.c_str());
  return 1;
}

}  // namespace

int main() {
  using namespace payments;
  using namespace std::chrono_literals;
  auto env = process_environment();
  auto config = load_config(env, {"MYSQL_USER"});
  if (!config) return fail(config.error());
  log::set_level(config->log_level);

  auto webhooks = api::webhook_verifier_from(config->stripe.webhook_secret);
  if (!webhooks) return fail(webhooks.error());
  if (!webhooks.value()) {
    log::warn("STRIPE_WEBHOOK_SECRET is not set: POST /api/v1/webhooks/stripe answers 503 until it is",
              {{"setting", "STRIPE_WEBHOOK_SECRET"}});
  }

  // Also the start-up reachability check: an unreachable broker fails here with one line naming it.
  const auto topics = events::TopicNames::with_prefix(config->kafka.topic_prefix);
  if (auto created = events::ensure_topics(config->kafka.brokers, topics, events::kDefaultPartitions, 15s); !created) {
    return fail(created.error());
  }

  constexpr std::size_t kDatabaseConnections = 16;
  auto database = store::Database::connect({.mysql = config->mysql, .pool_size = kDatabaseConnections});
  if (!database) return fail(database.error());
  // A caller waits for the delivery report: when Kafka is down it gets 503 after 5 s, not after 30.
  auto producer = events::Producer::create(
      {.brokers = config->kafka.brokers, .client_id = "payments-api", .delivery_timeout = std::chrono::seconds(5)});
  if (!producer) return fail(producer.error());

  store::PaymentRepository payments(*database.value());
  store::RefundRepository refunds(*database.value());
  store::OtpRepository otps(*database.value());
  boost::asio::thread_pool blocking(kDatabaseConnections);
  MetricsRegistry metrics;
  const std::string brokers = config->kafka.brokers;
  api::PaymentsApi api({
      .payments = payments,
      .refunds = refunds,
      .otps = otps,
      .producer = *producer.value(),
      .blocking = blocking,
      .metrics = metrics,
      .random = system_random(),
      .topics = topics,
      .kafka_ready = [brokers] { return events::probe(brokers, 2s); },
      .database_ready = [db = database.value().get()] { return db->ping(); },
      .webhooks = std::move(webhooks).value(),
  });

  http::ServerOptions options;
  options.bind_address = env("API_BIND_ADDRESS").value_or("0.0.0.0");
  options.port = config->api_port;
  options.threads = 2;
  http::Server server(options, http::AsyncHandler{[&api](http::Request request) {
                        return api.handle(std::move(request));
                      }});
  if (auto started = server.start(); !started) return fail(started.error());
  log::info("payments-api listening", {{"address", options.bind_address}, {"port", std::to_string(server.port())}});

  http::run_until_signal(server);
  log::info("payments-api draining");
  blocking.join();
  producer.value()->flush(10s);
  log::info("payments-api stopped");
  return 0;
}
