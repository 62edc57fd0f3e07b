#pragma once
// The real StripeGateway: HTTPS (or plain HTTP for the simulator) to Stripe's REST API, on an Asio
// io_context, with C++20 coroutines inside. No thread per call: every call is a coroutine on the client's
// strand, so hundreds can be in flight. Beast and OpenSSL stay in src/ (pimpl).

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "payments/core/config.hpp"
#include "payments/core/result.hpp"
#include "payments/core/stripe_gateway.hpp"
#include "payments/stripe/request_pacer.hpp"

namespace boost::asio {
class io_context;
}

namespace payments::stripe {

// The API version every request pins with the Stripe-Version header.
inline constexpr const char* kStripeApiVersion = "2024-06-20";

struct StripeClientOptions {
  std::string api_base = "https://api.stripe.com";  // http://127.0.0.1:12111 for the simulator
  Secret secret_key;                                 // sent as Authorization: Bearer; never logged
  std::string stripe_version = kStripeApiVersion;
  std::string user_agent = "payments-service/0.1";

  std::chrono::milliseconds request_timeout{30'000};  // one attempt: connect + TLS + write + read
  std::chrono::milliseconds total_timeout{80'000};    // all attempts and backoff together
  int max_retries = 2;                                // attempts = 1 + max_retries
  std::chrono::milliseconds initial_retry_delay{500};
  std::chrono::milliseconds max_retry_delay{5'000};

  // Every request, retries included, waits for its turn at this rate (STRIPE_MAX_REQUESTS_PER_SECOND);
  // the wait does not count against total_timeout. max_rate 0: not paced.
  PacingOptions pacing;

  std::size_t max_connections = 256;           // open connections to the host, busy and idle together
  std::chrono::milliseconds idle_timeout{30'000};  // an idle keep-alive connection older than this is closed
  std::size_t max_response_bytes = 8 * 1024 * 1024;

  std::string extra_ca_file;  // PEM file trusted in addition to the system CA store (tests)
};

class StripeClient final : public StripeGateway {
 public:
  // Validates the options (base URL scheme/host/port, key present, CA file readable). The io_context must
  // outlive the client; it may be run by several threads: the client keeps its state on its own strand and
  // invokes callbacks there.
  static Result<std::unique_ptr<StripeClient>> create(boost::asio::io_context& io, StripeClientOptions options);

  ~StripeClient() override;  // closes idle connections; calls in flight still complete
  StripeClient(const StripeClient&) = delete;
  StripeClient& operator=(const StripeClient&) = delete;

  void create_payment_intent(PaymentIntentRequest request, StripeCallback<PaymentIntent> done) override;
  void retrieve_payment_intent(std::string id, StripeCallback<PaymentIntent> done) override;
  void cancel_payment_intent(std::string id, std::string reason, std::string idempotency_key,
                             StripeCallback<PaymentIntent> done) override;
  void search_payment_intents_by_metadata(std::string key, std::string value,
                                          StripeCallback<std::vector<PaymentIntent>> done) override;
  void create_refund(RefundRequest request, StripeCallback<Refund> done) override;
  void retrieve_refund(std::string id, StripeCallback<Refund> done) override;

  // Connections currently open (busy + idle) and idle, for metrics and tests. Read on any thread.
  [[nodiscard]] std::size_t open_connections() const noexcept;
  [[nodiscard]] std::size_t connections_opened_total() const noexcept;
  // 429s answered because Stripe's rate limit was exceeded (lock_timeout 429s not included).
  [[nodiscard]] std::size_t rate_limited_total() const noexcept;

  class Impl;

 private:
  explicit StripeClient(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;
};

}  // namespace payments::stripe
