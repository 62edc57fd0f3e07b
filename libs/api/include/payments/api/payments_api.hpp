#pragma once
// The REST API as one asynchronous function from a request to a response: routing, validation,
// idempotency, the first durable record of a payment, and publishing its command. No sockets here.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "payments/api/guards.hpp"
#include "payments/auth/principal.hpp"
#include "payments/auth/rate_limiter.hpp"
#include "payments/core/metrics.hpp"
#include "payments/core/random.hpp"
#include "payments/core/result.hpp"
#include "payments/core/webhook_signature.hpp"
#include "payments/events/kafka.hpp"
#include "payments/events/record_signature.hpp"
#include "payments/events/topics.hpp"
#include "payments/http/message.hpp"
#include "payments/store/payment_repository.hpp"
#include "payments/store/otp_repository.hpp"
#include "payments/store/refund_repository.hpp"

namespace payments::api {

struct Dependencies {
  store::PaymentRepository& payments;
  store::RefundRepository& refunds;
  store::OtpRepository& otps;
  events::Producer& producer;
  boost::asio::thread_pool& blocking;  // where database calls run
  MetricsRegistry& metrics;
  RandomSource& random;
  events::TopicNames topics;
  // Readiness: each returns Ok when its dependency answers; it may block (the service passes the producer's and
  // the pool's health). Each runs once a second on a thread of its own, never on an I/O thread; /ready reads
  // their last answers (see readiness.hpp).
  std::function<Status()> kafka_ready;
  std::function<Status()> database_ready;
  // Checks Stripe-Signature on POST /api/v1/webhooks/stripe (see webhook_verifier_from in webhooks.hpp).
  // nullopt: no STRIPE_WEBHOOK_SECRET, and the endpoint answers 503 unavailable.
  std::optional<WebhookVerifier> webhooks;
  // Signs what the webhook endpoint writes to payment-stripe-events (INTERNAL_EVENT_KEY), so that the worker
  // applies only records that passed the check above. Set whenever `webhooks` is.
  std::optional<events::RecordSigner> stripe_records;
  // Who may call: every route but /health, /ready and the webhook needs a credential. Given the
  // Authorization header's value (if any), the caller it proves or the error to answer with; the service
  // passes auth::Authenticator::authenticate (see auth/).
  std::function<Result<auth::Principal>(std::optional<std::string_view>)> authenticate;
  auth::RateLimiter& rate_limiter;
  const DeclineGuard& declines;
  int default_rate_limit = 100;  // API_RATE_LIMIT_PER_SECOND, for keys made without --rate-limit
  std::string environment;       // KAFKA_TOPIC_PREFIX: named in Stripe idempotency keys
  // OTP_MAX_CODES_PER_DESTINATION_PER_HOUR: a resend to a destination at the limit answers 429.
  int otp_codes_per_destination_per_hour = 10;
};

class PaymentsApi {
 public:
  explicit PaymentsApi(Dependencies dependencies);
  ~PaymentsApi();
  PaymentsApi(const PaymentsApi&) = delete;
  PaymentsApi& operator=(const PaymentsApi&) = delete;

  // The public listener: the REST API, /health, and /ready as a bare 200/503.
  boost::asio::awaitable<http::Response> handle(http::Request request);
  // The admin listener (API_ADMIN_PORT, loopback by default): /health, /ready with what is wrong, /metrics.
  http::Response handle_admin(const http::Request& request);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace payments::api
