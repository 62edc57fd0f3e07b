#pragma once
// Delivers the simulator's events to one webhook endpoint the way Stripe does: a POST of the event JSON
// with a Stripe-Signature header (payments::sign_webhook), asynchronously on the sender's own thread so an
// API answer never waits for it, retried with exponential backoff on a non-2xx answer or a connection error
// until max_attempts, so at least once while the endpoint is reachable. Every attempt is recorded for
// /_sim/webhooks, and a recorded event can be sent again (duplicates, out-of-order delivery, stale
// signatures) for tests. Plain http:// only.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "payments/core/config.hpp"
#include "payments/core/result.hpp"
#include "simulator.hpp"

namespace payments::stripe_sim {

// The API version written into events (what the worker pins).
inline constexpr std::string_view kWebhookApiVersion = "2024-06-20";

struct WebhookUrl {
  std::string host;    // "127.0.0.1", "localhost", "::1"
  std::string port;    // "80" when not given
  std::string target;  // "/api/v1/webhooks/stripe" ("/" when not given), query kept
};

// "http://host[:port][/path]"; IPv6 hosts in brackets. The error's field is "url".
Result<WebhookUrl> parse_webhook_url(std::string_view url);

struct WebhookSenderOptions {
  std::string url;  // empty: nothing is sent until configure() sets one
  Secret secret;    // whsec_...; required with a url
  int max_attempts = 5;
  std::chrono::milliseconds initial_backoff{500};  // doubled after each failed attempt
  std::chrono::milliseconds max_backoff{8'000};
  std::chrono::milliseconds request_timeout{5'000};  // connect + write + read of one attempt
  std::uint64_t seed = 0;                  // for event ids
  std::function<std::int64_t()> clock;     // unix seconds for signatures; the system clock when empty
};

// Validates a url/secret pair as configure() does: an empty url is valid (webhooks off); a url needs a
// non-empty secret. Fields "url" and "secret".
Status validate_webhook_endpoint(std::string_view url, const Secret& secret);

// What to change when sending a recorded event again.
struct WebhookResend {
  std::optional<std::int64_t> created;    // the event's "created" in this delivery's body
  std::optional<std::int64_t> signed_at;  // the signature's t (e.g. a stale one), instead of now
};

class WebhookSender {
 public:
  // Starts the sender's thread. An invalid url/secret in the options leaves webhooks off (validate first).
  explicit WebhookSender(WebhookSenderOptions options);
  ~WebhookSender();  // stops the thread; deliveries still waiting are abandoned
  WebhookSender(const WebhookSender&) = delete;
  WebhookSender& operator=(const WebhookSender&) = delete;

  // Changes the endpoint at runtime; an empty url turns webhooks off (events are no longer recorded).
  // Deliveries being retried pick up the new endpoint on their next attempt. An empty secret keeps the
  // current one.
  Status configure(std::string url, Secret secret);
  [[nodiscard]] std::string url() const;

  // Records the event under a new evt_ id and starts delivering it, when a url is configured. Thread-safe,
  // never blocks on the network. Returns the event id (empty when webhooks are off).
  std::string publish(const SimEvent& event);

  // Delivers a recorded event again under the same id. Fails (not_found) for an unknown id, (invalid_state)
  // when no url is configured.
  Status resend(std::string_view event_id, const WebhookResend& options = {});

  // `{"url", "pending", "events": [{"id","type","created"}], "attempts": [{"event_id","type","delivery",
  // "attempt","status","error"?,"signed_at","at"}]}`; status 0 when no HTTP answer came. The secret is
  // never included.
  [[nodiscard]] std::string to_json() const;
  // Deliveries started and not yet finished (delivered or given up).
  [[nodiscard]] std::size_t pending() const;
  // Forgets recorded events and attempts; the endpoint stays.
  void reset();

  class Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace payments::stripe_sim
