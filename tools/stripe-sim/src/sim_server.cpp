#include "sim_server.hpp"

#include <array>

#include "payments/core/random.hpp"

namespace payments::stripe_sim {
namespace {

std::uint64_t random_seed() {
  std::array<std::uint8_t, 8> bytes{};
  system_random().fill(bytes);
  std::uint64_t seed = 0;
  for (auto b : bytes) seed = (seed << 8U) | b;
  return seed;
}

http::ServerOptions server_options(const SimConfig& config) {
  http::ServerOptions options;
  options.bind_address = config.host;
  options.port = config.port;
  options.threads = config.threads;
  options.tls = config.tls;
  options.read_timeout = std::chrono::seconds(30);
  options.write_timeout = std::chrono::seconds(30);
  options.idle_timeout = std::chrono::seconds(60);
  options.drain_timeout = std::chrono::seconds(5);
  return options;
}

WebhookSenderOptions webhook_options(const SimConfig& config, std::uint64_t seed) {
  WebhookSenderOptions options;
  options.url = config.webhook_url;
  options.secret = config.webhook_secret;
  options.seed = seed;
  return options;
}

SimulatorOptions simulator_options(std::uint64_t seed) {
  SimulatorOptions options;
  options.seed = seed;
  return options;
}

}  // namespace

SimServer::SimServer(SimConfig config)
    : config_(std::move(config)),
      seed_(config_.seed.value_or(random_seed())),
      simulator_(simulator_options(seed_)),
      faults_(config_.faults, seed_ ^ 0x9e3779b97f4a7c15ULL),
      webhooks_(webhook_options(config_, seed_)),
      frontend_(simulator_, faults_, webhooks_),
      server_(server_options(config_), frontend_.handler()) {
  simulator_.set_event_listener([this](const SimEvent& event) { webhooks_.publish(event); });
}

SimServer::~SimServer() { simulator_.set_event_listener({}); }

Status SimServer::start() {
  if (auto valid = validate_webhook_endpoint(config_.webhook_url, config_.webhook_secret); !valid) return valid;
  auto started = server_.start();
  if (started) simulator_.set_public_base_url(base_url());
  return started;
}

std::string SimServer::base_url() const {
  return std::string(config_.tls ? "https://" : "http://") + config_.host + ":" + std::to_string(server_.port());
}

}  // namespace payments::stripe_sim
