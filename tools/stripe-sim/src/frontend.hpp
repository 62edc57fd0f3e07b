#pragma once
// Puts the simulator behind HTTP: Stripe's API under /v1/ (with latency and injected faults) and the
// test-control endpoints under /_sim/ (no authentication, no faults).

#include <boost/asio/awaitable.hpp>

#include "faults.hpp"
#include "payments/http/async_handler.hpp"
#include "simulator.hpp"
#include "webhook_sender.hpp"

namespace payments::stripe_sim {

class SimFrontend {
 public:
  SimFrontend(StripeSimulator& simulator, FaultInjector& faults, WebhookSender& webhooks)
      : simulator_(simulator), faults_(faults), webhooks_(webhooks) {}

  // Everything: /_sim/ control, then auth, faults, the API call, latency.
  boost::asio::awaitable<http::Response> handle(http::Request request);
  // Only the /_sim/ endpoints; synchronous.
  http::Response handle_control(const http::Request& request);
  http::AsyncHandler handler();

 private:
  StripeSimulator& simulator_;
  FaultInjector& faults_;
  WebhookSender& webhooks_;
};

}  // namespace payments::stripe_sim
