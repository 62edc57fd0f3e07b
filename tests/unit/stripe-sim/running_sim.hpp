#pragma once
// A Stripe simulator serving on an ephemeral loopback port on its own thread, for the simulator's tests.

#include <doctest/doctest.h>

#include <cstdint>
#include <thread>

#include "sim_server.hpp"

namespace payments::stripe_sim::testing {

class RunningSim {
 public:
  // Port 0 and a fixed seed override whatever `config` says.
  explicit RunningSim(SimConfig config, std::uint64_t seed = 1) : server_(with_defaults(std::move(config), seed)) {
    auto started = server_.start();
    REQUIRE_MESSAGE(started.has_value(), (started ? "" : started.error().message));
    thread_ = std::thread([this] { server_.run(); });
  }
  ~RunningSim() {
    server_.stop();
    thread_.join();
  }
  RunningSim(const RunningSim&) = delete;
  RunningSim& operator=(const RunningSim&) = delete;

  std::uint16_t port() const { return server_.port(); }
  SimServer& server() { return server_; }

 private:
  static SimConfig with_defaults(SimConfig config, std::uint64_t seed) {
    config.port = 0;
    config.seed = seed;
    return config;
  }
  SimServer server_;
  std::thread thread_;
};

}  // namespace payments::stripe_sim::testing
