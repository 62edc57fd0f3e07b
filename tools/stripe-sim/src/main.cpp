// stripe-sim: a local stand-in for the subset of Stripe's API the worker uses. See README.md.
#include <cstdio>
#include <string>
#include <vector>

#include "command_line.hpp"
#include "payments/core/log.hpp"
#include "sim_server.hpp"

int main(int argc, char** argv) {
  using namespace payments;
  const std::vector<std::string> args(argv + 1, argv + argc);
  auto config = stripe_sim::parse_command_line(args);
  if (!config) {
    std::fprintf(stderr, "stripe-sim: %s\n%s", config.error().message.c_str(), stripe_sim::usage().c_str());
    return 2;
  }
  if (config.value().help) {
    std::fputs(stripe_sim::usage().c_str(), stdout);
    return 0;
  }
  const std::string host = config.value().host;
  stripe_sim::SimServer server(std::move(config).value());
  if (auto started = server.start(); !started) {
    std::fprintf(stderr, "stripe-sim: %s\n", started.error().message.c_str());
    return 1;
  }
  std::printf("stripe-sim listening on %s:%u\n", host.c_str(), static_cast<unsigned>(server.port()));
  std::fflush(stdout);
  const std::string webhook_url = server.webhooks().url();
  log::info("stripe-sim started", {{"url", server.base_url()}, {"webhook_url", webhook_url}});
  http::run_until_signal(server.http_server());
  log::info("stripe-sim stopped");
  return 0;
}
