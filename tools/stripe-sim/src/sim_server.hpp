#pragma once
// The simulator as a running server: simulator + faults + HTTP frontend on payments::http.

#include <cstdint>
#include <optional>
#include <string>

#include "faults.hpp"
#include "frontend.hpp"
#include "payments/http/server.hpp"
#include "simulator.hpp"
#include "webhook_sender.hpp"

namespace payments::stripe_sim {

struct SimConfig {
  std::string host = "127.0.0.1";
  std::uint16_t port = 12111;  // 0: ephemeral
  int threads = 2;
  FaultSettings faults;
  std::optional<std::uint64_t> seed;  // unset: random
  std::optional<http::TlsOptions> tls;
  std::string webhook_url;  // http://...; empty: no webhooks until POST /_sim/webhooks/config
  Secret webhook_secret;    // whsec_...; signs every webhook; never printed
  bool help = false;
};

class SimServer {
 public:
  explicit SimServer(SimConfig config);
  ~SimServer();
  SimServer(const SimServer&) = delete;
  SimServer& operator=(const SimServer&) = delete;

  Status start();  // binds; port() and base_url() are valid afterwards
  [[nodiscard]] std::uint16_t port() const noexcept { return server_.port(); }
  [[nodiscard]] std::string base_url() const;  // "http://127.0.0.1:12111" (https with TLS)
  void run() { server_.run(); }
  void stop() { server_.stop(); }

  http::Server& http_server() noexcept { return server_; }
  StripeSimulator& simulator() noexcept { return simulator_; }
  FaultInjector& faults() noexcept { return faults_; }
  WebhookSender& webhooks() noexcept { return webhooks_; }

 private:
  SimConfig config_;
  std::uint64_t seed_;
  StripeSimulator simulator_;
  FaultInjector faults_;
  WebhookSender webhooks_;
  SimFrontend frontend_;
  http::Server server_;
};

}  // namespace payments::stripe_sim
