// run_api_service: the body of payments-api (see service.hpp).
#include "service.hpp"

#include <boost/asio/thread_pool.hpp>

#include <chrono>
#include <cstdio>
#include <thread>

#include "payments/api/guards.hpp"
#include "payments/api/payments_api.hpp"
#include "payments/api/webhooks.hpp"
#include "payments/auth/authenticator.hpp"
#include "payments/auth/jwt.hpp"
#include "payments/auth/rate_limiter.hpp"
#include "payments/core/config.hpp"
#include "payments/core/log.hpp"
#include "payments/crypto/data_cipher.hpp"
#include "payments/events/kafka.hpp"
#include "payments/events/topics.hpp"
#include "payments/http/async_handler.hpp"
#include "payments/http/server.hpp"
#include "payments/store/api_key_repository.hpp"
#include "payments/store/database.hpp"

namespace {

int fail(const payments::Error& error) {
  std::fprintf(stderr, "payments-api: %s\n", error.message.c_str());
  return 1;
}

struct AccessSettings {
  int rate_limit = 100;  // API_RATE_LIMIT_PER_SECOND
  int decline_limit = 20;  // API_DECLINE_LIMIT
  int otp_codes_per_destination = 10;  // OTP_MAX_CODES_PER_DESTINATION_PER_HOUR
  std::uint16_t admin_port = 9090;  // API_ADMIN_PORT
  std::string admin_bind_address = "127.0.0.1";  // API_ADMIN_BIND_ADDRESS
};

payments::Result<AccessSettings> access_settings(const payments::EnvLookup& env) {
  AccessSettings s;
  auto rate = payments::int_setting(env, "API_RATE_LIMIT_PER_SECOND", s.rate_limit, 1, 100'000);
  if (!rate) return std::move(rate).error();
  auto declines = payments::int_setting(env, "API_DECLINE_LIMIT", s.decline_limit, 1, 1'000'000);
  if (!declines) return std::move(declines).error();
  auto codes = payments::int_setting(env, "OTP_MAX_CODES_PER_DESTINATION_PER_HOUR", s.otp_codes_per_destination, 1,
                                     1000);
  if (!codes) return std::move(codes).error();
  auto admin_port = payments::int_setting(env, "API_ADMIN_PORT", s.admin_port, 1, 65535);
  if (!admin_port) return std::move(admin_port).error();
  s.rate_limit = rate.value();
  s.decline_limit = declines.value();
  s.otp_codes_per_destination = codes.value();
  s.admin_port = static_cast<std::uint16_t>(admin_port.value());
  s.admin_bind_address = env("API_ADMIN_BIND_ADDRESS").value_or(s.admin_bind_address);
  return s;
}

// JWTs are accepted only when AUTH_JWT_ISSUER is set; then the audience and a key are required.
payments::Result<std::unique_ptr<payments::auth::JwtVerifier>> jwt_verifier(const payments::EnvLookup& env) {
  const auto issuer = env("AUTH_JWT_ISSUER");
  if (!issuer || issuer->empty()) return std::unique_ptr<payments::auth::JwtVerifier>{};
  payments::auth::JwtSettings settings;
  settings.issuer = *issuer;
  settings.audience = env("AUTH_JWT_AUDIENCE").value_or("");
  if (auto claim = env("AUTH_JWT_MERCHANT_CLAIM"); claim && !claim->empty()) settings.merchant_claim = *claim;
  settings.jwks_file = env("AUTH_JWKS_FILE").value_or("");
  settings.hs256_secret = payments::Secret(env("AUTH_JWT_HS256_SECRET").value_or(""));
  return payments::auth::JwtVerifier::create(settings);
}

// API_TLS_CERT_FILE and API_TLS_KEY_FILE: both for HTTPS on the public listener, neither for plain HTTP.
payments::Result<std::optional<payments::http::TlsOptions>> public_tls(const payments::EnvLookup& env) {
  const auto cert = env("API_TLS_CERT_FILE").value_or("");
  const auto key = env("API_TLS_KEY_FILE").value_or("");
  if (cert.empty() && key.empty()) return std::optional<payments::http::TlsOptions>{};
  if (cert.empty() || key.empty()) {
    return payments::Error::validation(cert.empty() ? "API_TLS_CERT_FILE" : "API_TLS_KEY_FILE",
                                       "API_TLS_CERT_FILE and API_TLS_KEY_FILE go together: set both for HTTPS, "
                                       "or neither");
  }
  return std::optional<payments::http::TlsOptions>{{.certificate_chain_file = cert, .private_key_file = key}};
}

// SIGHUP on an HTTPS listener: the certificate and key files are read again for new connections.
void reload_certificate(payments::http::Server& server, const payments::http::TlsOptions& files) {
  if (auto reloaded = server.reload_tls(); !reloaded) {
    payments::log::error("TLS certificate reload failed, still serving the previous certificate",
                         {{"error", reloaded.error().message}});
    return;
  }
  payments::log::info("TLS certificate reloaded", {{"certificate", files.certificate_chain_file}});
}

}  // namespace

namespace payments::api {

int run_api_service(const ServiceHooks& hooks) {
  using namespace std::chrono_literals;
  auto env = process_environment();
  auto config = load_config(env, {"MYSQL_USER"});
  if (!config) return fail(config.error());
  log::set_level(config->log_level);
  auto access = access_settings(env);
  if (!access) return fail(access.error());
  auto jwt = jwt_verifier(env);
  if (!jwt) return fail(jwt.error());
  // Fail closed: no payment is read or written without the key of the encrypted columns.
  auto cipher = crypto::DataCipher::from_setting(env("DATA_ENCRYPTION_KEY"));
  if (!cipher) return fail(cipher.error());
  auto tls = public_tls(env);
  if (!tls) return fail(tls.error());

  auto webhooks = webhook_verifier_from(config->stripe.webhook_secret);
  if (!webhooks) return fail(webhooks.error());
  std::optional<events::RecordSigner> stripe_records;
  if (!webhooks.value()) {
    log::warn("STRIPE_WEBHOOK_SECRET is not set: POST /api/v1/webhooks/stripe answers 503 until it is",
              {{"setting", "STRIPE_WEBHOOK_SECRET"}});
  } else {
    // What the webhook endpoint publishes must be signed for the worker to apply it.
    auto signer = events::RecordSigner::create(config->internal_event_key);
    if (!signer) return fail(signer.error());
    stripe_records = std::move(signer).value();
  }

  // Also the start-up reachability check: an unreachable broker, or one refusing these credentials, fails here
  // with one line naming it.
  const auto topics = events::TopicNames::with_prefix(config->kafka.topic_prefix);
  const events::KafkaConnection kafka{config->kafka.brokers, config->kafka.client_properties};
  if (auto ready = events::prepare_topics(kafka, config->kafka.create_topics, topics, topics.used_by_api(), 15s); !ready) {
    return fail(ready.error());
  }

  constexpr std::size_t kDatabaseConnections = 16;
  auto database = store::Database::connect(
      {.mysql = config->mysql,
       .pool_size = kDatabaseConnections,
       .data_cipher = std::make_shared<const crypto::DataCipher>(std::move(cipher).value())});
  if (!database) return fail(database.error());
  // A caller waits for the delivery report: when Kafka is down it gets 503 after 5 s, not after 30.
  auto producer = events::Producer::create(
      {.brokers = config->kafka.brokers,
       .client_properties = config->kafka.client_properties,
       .client_id = "payments-api",
       .delivery_timeout = std::chrono::seconds(5)});
  if (!producer) return fail(producer.error());

  store::PaymentRepository payments(*database.value());
  store::RefundRepository refunds(*database.value());
  store::OtpRepository otps(*database.value());
  store::ApiKeyRepository api_keys(*database.value());
  // Keys are reloaded every second; if the database stays unreachable for a minute, callers get 503 rather
  // than an answer from a snapshot that may still hold revoked keys.
  auth::Authenticator authenticator(std::move(jwt).value(), 60s);
  auth::RateLimiter rate_limiter;
  DeclineGuard declines({.limit = access->decline_limit});
  GuardRefresher refresher(api_keys, authenticator, declines, {});
  log::info("API keys loaded", {{"keys", std::to_string(authenticator.key_count())}});
  auto authenticate = hooks.authenticate;
  if (authenticate) {
    log::warn("authentication is replaced by ServiceHooks::authenticate: API keys and JWTs are not checked");
  } else {
    authenticate = [&authenticator](std::optional<std::string_view> authorization) {
      return authenticator.authenticate(authorization);
    };
  }

  boost::asio::thread_pool blocking(kDatabaseConnections);
  MetricsRegistry metrics;
  PaymentsApi api({
      .payments = payments,
      .refunds = refunds,
      .otps = otps,
      .producer = *producer.value(),
      .blocking = blocking,
      .metrics = metrics,
      .random = system_random(),
      .topics = topics,
      // The long-lived producer's and pool's own health: no Kafka client or MySQL connection of its own.
      .kafka_ready = [p = producer.value().get()] { return p->health(2s); },
      .database_ready = [db = database.value().get()] { return db->health(); },
      .webhooks = std::move(webhooks).value(),
      .stripe_records = std::move(stripe_records),
      .authenticate = std::move(authenticate),
      .rate_limiter = rate_limiter,
      .declines = declines,
      .default_rate_limit = access->rate_limit,
      .environment = config->kafka.topic_prefix,
      .otp_codes_per_destination_per_hour = access->otp_codes_per_destination,
  });

  http::ServerOptions admin_options;
  admin_options.bind_address = access->admin_bind_address;
  admin_options.port = access->admin_port;
  http::Server admin(admin_options, [&api](const http::Request& request) { return api.handle_admin(request); });
  if (auto started = admin.start(); !started) return fail(started.error());
  std::thread admin_thread([&admin] { admin.run(); });

  http::ServerOptions options;
  options.bind_address = env("API_BIND_ADDRESS").value_or("0.0.0.0");
  options.port = config->api_port;
  options.threads = 2;
  options.tls = *tls;
  http::Server server(options, http::AsyncHandler{[&api](http::Request request) {
                        return api.handle(std::move(request));
                      }});
  if (auto started = server.start(); !started) {
    admin.stop();
    admin_thread.join();
    return fail(started.error());
  }
  log::info("payments-api listening", {{"address", options.bind_address},
                                       {"port", std::to_string(server.port())},
                                       {"scheme", options.tls ? "https" : "http"},
                                       {"admin", admin_options.bind_address + ":" + std::to_string(admin.port())}});

  if (options.tls) {
    http::run_until_signal(server, [&server, &options] { reload_certificate(server, *options.tls); });
  } else {
    http::run_until_signal(server);
  }
  log::info("payments-api draining");
  admin.stop();
  admin_thread.join();
  blocking.join();
  producer.value()->flush(10s);
  log::info("payments-api stopped");
  return 0;
}

}  // namespace payments::api
