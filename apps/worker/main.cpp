// payments-worker: consumes payment-commands and the verified Stripe events, charges through Stripe, persists
// to MySQL, emits events, and reconciles payments whose outcome is unknown.
// Serves /health and /metrics on WORKER_METRICS_PORT. SIGTERM drains in-flight commands before exit.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/thread_pool.hpp>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <functional>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "payments/core/config.hpp"
#include "payments/core/log.hpp"
#include "payments/core/otp.hpp"
#include "payments/core/stripe_trust.hpp"
#include "payments/crypto/crypto.hpp"
#include "payments/crypto/data_cipher.hpp"
#include "payments/events/kafka.hpp"
#include "payments/events/topics.hpp"
#include "payments/http/server.hpp"
#include "payments/store/database.hpp"
#include "payments/store/otp_repository.hpp"
#include "payments/store/payment_repository.hpp"
#include "payments/store/refund_repository.hpp"
#include "payments/stripe/stripe_client.hpp"
#include "payments/worker/command_processor.hpp"
#include "payments/worker/outbox_relay.hpp"
#include "payments/worker/worker.hpp"

namespace {

std::atomic<bool> g_stop{false};

// Fails payments whose one-time code expired unverified, every two seconds.
boost::asio::awaitable<void> expire_otps_until(payments::worker::CommandProcessor& processor,
                                               const std::atomic<bool>& stop) {
  boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor);
  while (!stop.load()) {
    timer.expires_after(std::chrono::seconds(2));
    co_await timer.async_wait(boost::asio::use_awaitable);
    co_await processor.expire_due_otps();
  }
}

// Whole-number settings from the environment: each one present is parsed and handed to its setter.
using IntSetting = std::pair<const char*, std::function<void(int)>>;
payments::Status read_int_settings(const payments::EnvLookup& env, std::initializer_list<IntSetting> settings) {
  for (const auto& [name, apply] : settings) {
    const auto text = env(name);
    if (!text || text->empty()) continue;
    int value = 0;
    const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
    if (ec != std::errc{} || end != text->data() + text->size()) {
      return payments::Error::validation(name, std::string(name) + " must be a whole number, got '" + *text + "'");
    }
    apply(value);
  }
  return payments::Ok{};
}

// OTP_TTL_SECONDS, OTP_MAX_ATTEMPTS, OTP_RESEND_COOLDOWN_SECONDS, OTP_MAX_RESENDS,
// OTP_MAX_CODES_PER_DESTINATION_PER_HOUR over OtpPolicy's defaults.
payments::Result<payments::OtpPolicy> otp_policy(const payments::EnvLookup& env) {
  payments::OtpPolicy policy;
  auto read = read_int_settings(
      env, {
               {"OTP_TTL_SECONDS", [&](int v) { policy.ttl = std::chrono::seconds(v); }},
               {"OTP_MAX_ATTEMPTS", [&](int v) { policy.max_attempts = v; }},
               {"OTP_RESEND_COOLDOWN_SECONDS", [&](int v) { policy.resend_cooldown = std::chrono::seconds(v); }},
               {"OTP_MAX_RESENDS", [&](int v) { policy.max_resends = v; }},
               {"OTP_MAX_CODES_PER_DESTINATION_PER_HOUR",
                [&](int v) { policy.max_codes_per_destination_per_hour = v; }},
           });
  if (!read) return std::move(read).error();
  if (auto valid = payments::validate_otp_policy(policy); !valid) {
    return payments::Error::validation("OTP_*", "OTP settings out of range: " + valid.error().message);
  }
  return policy;
}

// Retries of one Stripe call: enough that STRIPE_RETRY_DEADLINE_SECONDS, not the count, ends them.
constexpr int kStripeMaxRetries = 12;

struct StripeTiming {
  std::chrono::milliseconds request_timeout{30'000};
  std::chrono::milliseconds retry_deadline{60'000};
};

// STRIPE_TIMEOUT_SECONDS (one attempt), STRIPE_RETRY_DEADLINE_SECONDS (one Stripe call with all its retries,
// after which a charge or refund is left to reconciliation).
payments::Result<StripeTiming> stripe_timing(const payments::EnvLookup& env) {
  StripeTiming t;
  auto read = read_int_settings(
      env, {
               {"STRIPE_TIMEOUT_SECONDS", [&](int v) { t.request_timeout = std::chrono::seconds(v); }},
               {"STRIPE_RETRY_DEADLINE_SECONDS", [&](int v) { t.retry_deadline = std::chrono::seconds(v); }},
           });
  if (!read) return std::move(read).error();
  if (t.request_timeout.count() < 1000 || t.request_timeout.count() > 300'000 || t.retry_deadline.count() < 0 ||
      t.retry_deadline.count() > 3'600'000) {
    return payments::Error::validation("STRIPE_*", "STRIPE_TIMEOUT_SECONDS must be 1-300 and "
                                                   "STRIPE_RETRY_DEADLINE_SECONDS 0-3600");
  }
  return t;
}

struct ReconcileSettings {
  payments::worker::ReconcileOptions options;
  std::chrono::seconds interval{5};
};

// RECONCILE_INTERVAL_SECONDS, RECONCILE_UNSETTLED_AFTER_SECONDS, RECONCILE_BATCH,
// REQUIRES_ACTION_TIMEOUT_SECONDS over the defaults.
payments::Result<ReconcileSettings> reconcile_settings(const payments::EnvLookup& env) {
  ReconcileSettings s;
  auto read = read_int_settings(
      env, {
               {"RECONCILE_INTERVAL_SECONDS", [&](int v) { s.interval = std::chrono::seconds(v); }},
               {"RECONCILE_UNSETTLED_AFTER_SECONDS", [&](int v) { s.options.unsettled_after = std::chrono::seconds(v); }},
               {"RECONCILE_BATCH", [&](int v) { s.options.batch = v; }},
               {"REQUIRES_ACTION_TIMEOUT_SECONDS",
                [&](int v) { s.options.requires_action_timeout = std::chrono::seconds(v); }},
           });
  if (!read) return std::move(read).error();
  if (s.interval.count() < 1 || s.interval.count() > 3600 || s.options.batch < 1 || s.options.batch > 1000 ||
      s.options.unsettled_after.count() < 1 || s.options.requires_action_timeout.count() < 1) {
    return payments::Error::validation("RECONCILE_*", "reconciliation settings out of range: interval 1-3600 s, "
                                                      "batch 1-1000, ages at least 1 s");
  }
  // A payment is looked at again soon after its first check, then less and less often.
  s.options.first_retry = std::min(s.options.first_retry, s.options.unsettled_after);
  return s;
}

// Every `interval`, one round of reconciliation (see CommandProcessor::reconcile_once).
boost::asio::awaitable<void> reconcile_until(payments::worker::CommandProcessor& processor,
                                             std::chrono::seconds interval, const std::atomic<bool>& stop) {
  boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor);
  while (!stop.load()) {
    timer.expires_after(interval);
    co_await timer.async_wait(boost::asio::use_awaitable);
    if (!stop.load()) co_await processor.reconcile_once();
  }
}

int fail(const payments::Error& error) {
  std::fprintf(stderr, "payments-worker: %s\n", error.message.c_str());
  return 1;
}

bool has_flag(int argc, char** argv, std::string_view flag) {
  for (int i = 1; i < argc; ++i) {
    if (flag == argv[i]) return true;
  }
  return false;
}

// --max-in-flight N (default 512); flags mirror the environment otherwise.
std::size_t max_in_flight(int argc, char** argv) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::string_view(argv[i]) == "--max-in-flight") return static_cast<std::size_t>(std::stoul(argv[i + 1]));
  }
  if (const char* env = std::getenv("WORKER_MAX_IN_FLIGHT")) return static_cast<std::size_t>(std::stoul(env));
  return 512;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace payments;
  using namespace std::chrono_literals;
  auto env = process_environment();
  auto config = load_config(env, {"MYSQL_USER", "STRIPE_SECRET_KEY", "OTP_SECRET", "INTERNAL_EVENT_KEY"});
  if (!config) return fail(config.error());
  auto record_signer = events::RecordSigner::create(config->internal_event_key);
  if (!record_signer) return fail(record_signer.error());
  log::set_level(config->log_level);
  std::size_t in_flight_bound = 0;
  try {
    in_flight_bound = max_in_flight(argc, argv);
  } catch (const std::exception&) {
    return fail(Error::validation("--max-in-flight", "--max-in-flight / WORKER_MAX_IN_FLIGHT must be a number"));
  }
  if (in_flight_bound == 0 || in_flight_bound > 100'000) {
    return fail(Error::validation("--max-in-flight", "--max-in-flight must be between 1 and 100000"));
  }

  // Fail closed: no payment is read or written without the key of the encrypted columns.
  auto cipher = crypto::DataCipher::from_setting(env("DATA_ENCRYPTION_KEY"));
  if (!cipher) return fail(cipher.error());

  // Also the start-up reachability check: an unreachable broker, or one refusing these credentials, fails here
  // with one line naming it.
  const auto topics = events::TopicNames::with_prefix(config->kafka.topic_prefix);
  const events::KafkaConnection kafka{config->kafka.brokers, config->kafka.client_properties};
  if (auto ready = events::prepare_topics(kafka, config->kafka.create_topics, topics, topics.used_by_worker(), 15s); !ready) {
    return fail(ready.error());
  }

  constexpr std::size_t kDatabaseConnections = 16;
  auto database = store::Database::connect(
      {.mysql = config->mysql,
       .pool_size = kDatabaseConnections,
       .data_cipher = std::make_shared<const crypto::DataCipher>(std::move(cipher).value())});
  if (!database) return fail(database.error());
  auto producer = events::Producer::create({.brokers = config->kafka.brokers,
                                            .client_properties = config->kafka.client_properties,
                                            .client_id = "payments-worker"});
  if (!producer) return fail(producer.error());

  boost::asio::io_context io;
  auto work = boost::asio::make_work_guard(io);
  auto timing = stripe_timing(env);
  if (!timing) return fail(timing.error());
  // HTTP/1.1 carries one request per connection at a time, and every command in flight may be waiting on Stripe.
  // One retry layer: the client retries a Stripe call by Stripe's rules until STRIPE_RETRY_DEADLINE_SECONDS;
  // what it gives up on is left to reconciliation, never retried around it (README, "Failure policy").
  // STRIPE_MAX_REQUESTS_PER_SECOND: this process's share of the account's Stripe rate limit (README, "Stripe
  // pacing"); by default a little under Stripe's own limit for the key's mode. 0 turns pacing off.
  const bool live_key = is_live_key(config->stripe.secret_key.reveal());
  const int default_rate = static_cast<int>(live_key ? stripe::kLiveModeRequestsPerSecond
                                                     : stripe::kTestModeRequestsPerSecond);
  auto stripe_rate = int_setting(env, "STRIPE_MAX_REQUESTS_PER_SECOND", default_rate, 0, 100'000);
  if (!stripe_rate) return fail(stripe_rate.error());
  auto stripe = stripe::StripeClient::create(io, {.api_base = config->stripe.api_base,
                                                  .secret_key = config->stripe.secret_key,
                                                  .request_timeout = timing->request_timeout,
                                                  .total_timeout = std::max(timing->request_timeout,
                                                                            timing->retry_deadline),
                                                  .max_retries = kStripeMaxRetries,
                                                  .pacing = {.max_rate = static_cast<double>(*stripe_rate)},
                                                  .max_connections = std::max<std::size_t>(256, in_flight_bound)});
  if (!stripe) return fail(stripe.error());

  MetricsRegistry metrics;
  store::PaymentRepository payments(*database.value());
  store::RefundRepository refunds(*database.value());
  store::OtpRepository otps(*database.value());
  auto otp_hasher = OtpHasher::create(config->otp_secret, crypto::hmac_sha256_hex);
  if (!otp_hasher) return fail(otp_hasher.error());
  auto policy = otp_policy(env);
  if (!policy) return fail(policy.error());
  auto reconcile = reconcile_settings(env);
  if (!reconcile) return fail(reconcile.error());
  boost::asio::thread_pool blocking(kDatabaseConnections);
  worker::CommandProcessor processor({payments, refunds, otps, otp_hasher.value(), system_random(), *stripe.value(), *producer.value(), blocking,
       metrics, topics},
      {.otp_policy = policy.value(),
       .reconcile = reconcile->options,
       .default_merchant = config->kafka.default_merchant,
       .environment = config->kafka.topic_prefix,
       .stripe_live = live_key});
  // WORKER_SHUTDOWN_DRAIN_SECONDS: how long SIGTERM waits for commands in flight (below Kubernetes' 30 s grace).
  auto drain_seconds = int_setting(env, "WORKER_SHUTDOWN_DRAIN_SECONDS", 20, 1, 600);
  if (!drain_seconds) return fail(drain_seconds.error());
  // WORKER_REVOKE_DRAIN_SECONDS: how long a rebalance waits for a revoked partition's running commands.
  auto revoke_drain_seconds = int_setting(env, "WORKER_REVOKE_DRAIN_SECONDS", 10, 0, 120);
  if (!revoke_drain_seconds) return fail(revoke_drain_seconds.error());
  // --sequential: one command at a time per partition, the baseline `make bench` compares against.
  worker::Worker consumer_loop(io, processor, metrics,
                               {.max_in_flight = in_flight_bound,
                                .drain_timeout = std::chrono::seconds(drain_seconds.value()),
                                .revoke_drain_timeout = std::chrono::seconds(revoke_drain_seconds.value()),
                                .sequential_per_partition = has_flag(argc, argv, "--sequential"),
                                .stripe_events_topic = topics.stripe_events,
                                .stripe_events_signer = record_signer.value()});

  auto consumer = events::Consumer::create({
      .brokers = config->kafka.brokers,
      .client_properties = config->kafka.client_properties,
      .group_id = config->kafka.consumer_group,
      .topics = {topics.commands, topics.stripe_events},
      .client_id = "payments-worker",
      // What librdkafka prefetches while the worker is at its in-flight bound: at most 16 MB of records.
      // Fetches wait up to 10 ms for 64 KB rather than returning each record on its own: under a steady
      // stream that is far fewer fetch requests for the broker, for at most 10 ms more latency.
      .extra = {{"queued.max.messages.kbytes", "16384"}, {"fetch.min.bytes", "65536"}, {"fetch.wait.max.ms", "10"}},
      .on_revoked = [&consumer_loop](const auto& partitions) { consumer_loop.on_revoked(partitions); },
  });
  if (!consumer) return fail(consumer.error());

  http::ServerOptions health_options;
  health_options.bind_address = env("WORKER_METRICS_BIND_ADDRESS").value_or("127.0.0.1");
  health_options.port = config->worker_metrics_port;
  http::Server health(health_options, [&metrics](const http::Request& request) {
    http::Response response;
    if (request.path() == "/metrics") {
      response.body = metrics.render();
      response.content_type = "text/plain; version=0.0.4";
    } else if (request.path() == "/health") {
      response.body = R"({"status":"ok"})";
    } else {
      response = http::Response::json_error(404, "not_found", "no such path");
    }
    return response;
  });
  if (auto started = health.start(); !started) return fail(started.error());
  std::thread health_thread([&health] { health.run(); });
  worker::OutboxRelay relay(payments, *producer.value(), blocking, metrics, {});
  boost::asio::co_spawn(io, relay.run(g_stop), boost::asio::detached);
  boost::asio::co_spawn(io, expire_otps_until(processor, g_stop), boost::asio::detached);
  boost::asio::co_spawn(io, reconcile_until(processor, reconcile->interval, g_stop), boost::asio::detached);
  std::thread io_thread([&io] { io.run(); });

  std::signal(SIGTERM, [](int) { g_stop = true; });
  std::signal(SIGINT, [](int) { g_stop = true; });
  log::info("payments-worker consuming", {{"topic", topics.commands},
                                          {"max_in_flight", std::to_string(in_flight_bound)},
                                          {"stripe", config->stripe.api_base}});
  consumer_loop.run(*consumer.value(), g_stop);

  // The drain is over; what follows (committing, flushing, joining threads) waits on Kafka and MySQL, which may
  // be down. Whatever they do, the process ends within kShutdownGrace: what was not committed is redelivered
  // to the next owner, and every command is idempotent.
  static constexpr auto kShutdownGrace = 5s;
  std::thread([] {
    std::this_thread::sleep_for(kShutdownGrace);
    log::warn("payments-worker stopped: shutdown grace over, exiting without waiting for its dependencies",
              {{"grace_seconds", std::to_string(kShutdownGrace.count())}});
    std::_Exit(0);
  }).detach();
  log::info("payments-worker stopping");
  consumer.value()->close();  // commits the stored offsets
  work.reset();
  io.stop();
  io_thread.join();
  blocking.join();
  producer.value()->flush(10s);
  health.stop();
  health_thread.join();
  log::info("payments-worker stopped");
  return 0;
}
