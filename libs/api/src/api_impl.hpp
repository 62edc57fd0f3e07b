#pragma once
// PaymentsApi's private state, shared by the files that implement its routes.

#include <boost/asio/awaitable.hpp>

#include <optional>
#include <string>

#include "payments/api/payments_api.hpp"
#include "payments/api/readiness.hpp"
#include "payments/events/commands.hpp"
#include "payments/runtime/batcher.hpp"

namespace payments::api {

// What handling one request learnt on the way that the response must carry: the route's name (for metrics)
// and the caller's rate-limit state (for the RateLimit-* headers).
struct RouteInfo {
  std::string name = "unknown";
  std::optional<auth::RateDecision> rate;
};

struct PaymentsApi::Impl {
  // Payments created at the same moment share one transaction (see PaymentRepository::create_all).
  static constexpr std::size_t kMaxCreateBatch = 128;

  Dependencies deps;
  // Kafka's and MySQL's health, checked off the I/O threads once a second; /ready reads the last answers.
  Readiness readiness;
  runtime::Batcher<store::NewPayment, Result<store::CreateResult>> creates;

  explicit Impl(Dependencies d)
      : deps(std::move(d)),
        readiness({{"kafka", deps.kafka_ready}, {"mysql", deps.database_ready}}, {}),
        creates(
            deps.blocking,
            [&payments = deps.payments](const std::vector<store::NewPayment>& rows) {
              return payments.create_all(rows);
            },
            kMaxCreateBatch) {}

  void count(std::string_view route, int status) {
    deps.metrics
        .counter("payments_api_requests_total", "HTTP requests by route and status",
                 "route=\"" + std::string(route) + "\",status=\"" + std::to_string(status) + "\"")
        .add();
  }

  boost::asio::awaitable<http::Response> route(const http::Request& request, RouteInfo& info);
  // access.cpp: the caller a request proves, within its rate and with `scope`; else the error to answer.
  Result<auth::Principal> authorize(const http::Request& request, auth::Scope scope, RouteInfo& info);
  // The payment when it exists and is the caller's; nullopt otherwise, exactly alike (no existence oracle).
  boost::asio::awaitable<Result<std::optional<store::PaymentRecord>>> find_own(std::string payment_id,
                                                                               const auth::Principal& caller);

  boost::asio::awaitable<http::Response> create_payment(const http::Request& request, const auth::Principal& caller);
  boost::asio::awaitable<http::Response> read_payment(std::string payment_id, bool status_only,
                                                      const auth::Principal& caller);
  // /ready from what the readiness checks last saw: never waits on Kafka or MySQL.
  http::Response ready(bool details) const;
  boost::asio::awaitable<Status> publish(events::OutgoingMessage message);
  // A command of the caller's merchant, keyed by its payment.
  events::OutgoingMessage command_message(events::CommandType type, const std::string& payment_id,
                                          const auth::Principal& caller, std::string data_json);

  // refunds.cpp
  boost::asio::awaitable<http::Response> create_refund(const http::Request& request, std::string payment_id,
                                                       const auth::Principal& caller);
  boost::asio::awaitable<http::Response> list_refunds(std::string payment_id, const auth::Principal& caller);
  boost::asio::awaitable<http::Response> read_refund(std::string refund_id, const auth::Principal& caller);

  // otp.cpp
  boost::asio::awaitable<http::Response> send_otp(std::string payment_id, const auth::Principal& caller);
  boost::asio::awaitable<http::Response> verify_otp(const http::Request& request, std::string payment_id,
                                                    const auth::Principal& caller);
  // The caller's payment when it is waiting for a one-time code; else the error to answer with.
  boost::asio::awaitable<Result<store::PaymentRecord>> waiting_for_code(std::string payment_id,
                                                                       const auth::Principal& caller);
  // How many codes went to this payment's destination within the last hour (0 when it has no challenge).
  boost::asio::awaitable<Result<int>> codes_sent_to_destination(std::string payment_id);
  boost::asio::awaitable<http::Response> publish_otp_command(events::CommandType type, std::string payment_id,
                                                             const auth::Principal& caller, std::string data_json);

  // webhooks.cpp: POST /api/v1/webhooks/stripe.
  boost::asio::awaitable<http::Response> receive_stripe_webhook(const http::Request& request);
  void count_webhook(std::string_view outcome);  // payments_api_webhooks_total{outcome}
};

http::Response json_response(int status, std::string body);
Error not_found(std::string_view what);
constexpr std::size_t kMaxIdempotencyKeyLength = 255;
// The Idempotency-Key header, when present and well-formed; an error when present and malformed.
Result<std::optional<std::string>> idempotency_key(const http::Request& request);

}  // namespace payments::api
