// POST /api/v1/webhooks/stripe: Stripe's events, verified on the raw body, handed verbatim to the worker through
// payment-stripe-events (key = payment_id). The API applies nothing itself. The body and the Stripe-Signature
// header are never logged or echoed.
#include "payments/api/webhooks.hpp"

#include <algorithm>
#include <chrono>

#include "api_impl.hpp"
#include "payments/api/errors.hpp"
#include "payments/core/ids.hpp"
#include "payments/core/log.hpp"
#include "payments/crypto/crypto.hpp"
#include "payments/json/json.hpp"
#include "payments/runtime/awaitable.hpp"
#include "payments/stripe/stripe_json.hpp"

namespace payments::api {
namespace {

using boost::asio::awaitable;
using runtime::run_blocking;

constexpr std::string_view kSecretVariable = "STRIPE_WEBHOOK_SECRET";
constexpr std::string_view kSecretPrefix = "whsec_";

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

bool printable_without_spaces(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return c > ' ' && c < 0x7f; });
}

// 200 for an event taken in; with `ignored` when it was taken in and dropped.
http::Response received(std::string_view ignored = {}) {
  json::Builder b;
  b.begin_object().key("received").value(true);
  if (!ignored.empty()) b.field("ignored", ignored);
  b.end_object();
  http::Response response;
  response.body = b.str();
  return response;
}

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

Result<std::optional<WebhookVerifier>> webhook_verifier_from(const Secret& configured) {
  const std::string& text = configured.reveal();
  if (trim(text).empty()) return std::optional<WebhookVerifier>{};
  std::vector<Secret> secrets;
  std::size_t start = 0;
  for (int item = 1;; ++item) {
    const auto comma = text.find(',', start);
    const auto secret = trim(std::string_view(text).substr(start, comma == std::string::npos ? comma : comma - start));
    // The message names the item by position: the value itself is never repeated.
    const std::string which = "item " + std::to_string(item);
    if (secret.empty()) {
      return Error::validation(std::string(kSecretVariable),
                               std::string(kSecretVariable) + " has an empty " + which +
                                   "; give one signing secret (whsec_...) or several separated by commas");
    }
    if (secret.substr(0, kSecretPrefix.size()) != kSecretPrefix || secret.size() == kSecretPrefix.size() ||
        !printable_without_spaces(secret)) {
      return Error::validation(std::string(kSecretVariable),
                               std::string(kSecretVariable) + " " + which +
                                   " is not a webhook signing secret: each must be whsec_ followed by the rest of "
                                   "the secret Stripe shows for the endpoint");
    }
    secrets.emplace_back(std::string(secret));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  auto verifier = WebhookVerifier::create(std::move(secrets), crypto::hmac_sha256_hex);
  if (!verifier) return std::move(verifier).error();
  return std::optional<WebhookVerifier>(std::move(verifier).value());
}

void PaymentsApi::Impl::count_webhook(std::string_view outcome) {
  deps.metrics
      .counter("payments_api_webhooks_total", "Stripe webhook deliveries by outcome",
               "outcome=\"" + std::string(outcome) + "\"")
      .add();
}

awaitable<http::Response> PaymentsApi::Impl::receive_stripe_webhook(const http::Request& request) {
  if (!deps.webhooks || !deps.stripe_records) {
    count_webhook("not_configured");
    co_return error_response(Error::unavailable("webhooks are not configured: set STRIPE_WEBHOOK_SECRET to the "
                                                "endpoint's whsec_... signing secret and restart"));
  }
  // Size first, then the signature over the raw bytes: nothing unverified is parsed.
  if (request.body.size() > kWebhookBodyLimit) {
    count_webhook("too_large");
    log::warn("stripe webhook refused", {{"reason", "too_large"}, {"remote", request.remote_address}});
    co_return error_response(
        Error::validation("body", "webhook body exceeds " + std::to_string(kWebhookBodyLimit) + " bytes"));
  }
  const auto verification = deps.webhooks->verify(request.header(kStripeSignatureHeader), request.body, unix_now());
  if (!verification) {
    const std::string_view reason = to_string(*verification.failure());
    count_webhook("bad_signature");
    log::warn("stripe webhook refused", {{"reason", reason}, {"remote", request.remote_address}});
    co_return error_response(Error::validation(std::string(kStripeSignatureHeader),
                                               std::string(reason) + ": " + verification.message()));
  }

  auto parsed = stripe::parse_event(request.body);
  if (!parsed) {
    count_webhook("invalid_event");
    log::warn("stripe webhook refused", {{"reason", "invalid_event"}, {"field", parsed.error().field}});
    std::string message = parsed.error().message;
    if (!parsed.error().field.empty()) message = parsed.error().field + " " + message;
    co_return error_response(Error::validation(parsed.error().field, "not a Stripe event: " + message));
  }
  const StripeEvent& event = parsed.value();
  const auto ignore = [&](std::string_view outcome, std::string reason) {
    count_webhook(outcome);
    log::info("stripe webhook ignored", {{"event_id", event.id}, {"type", event.type}, {"outcome", outcome}});
    return received(reason);
  };
  // Every other type is answered 200 and dropped, so Stripe does not retry an event nobody here reads.
  if (stripe_event_use(event.type) == StripeEventUse::unused) {
    co_return ignore("ignored_type", "event type " + event.type + " is not used by this service");
  }

  // Which payment: the id this service put in the object's metadata, else the payment intent it recorded.
  std::string payment_id;
  if (is_valid_external_id(event.metadata_payment_id)) {
    payment_id = event.metadata_payment_id;
  } else if (!event.payment_intent.empty()) {
    auto found = co_await run_blocking(deps.blocking,
                                       [&] { return deps.payments.find_by_intent(event.payment_intent); });
    if (!found) {
      count_webhook("unavailable");
      log::warn("stripe webhook not taken in", {{"event_id", event.id}, {"type", event.type},
                                                {"error", found.error().message}});
      co_return error_response(Error::unavailable("webhooks are temporarily unavailable; Stripe will retry"));
    }
    if (found.value()) payment_id = *found.value();
  }
  if (payment_id.empty()) co_return ignore("ignored_unknown_payment", "the event concerns no payment of this service");

  // The verified bytes exactly as received, durably in Kafka before the 200.
  // Named, not a temporary inside the co_await expression (GCC 12; see publish()).
  events::OutgoingMessage message{deps.topics.stripe_events, payment_id, request.body, {}};
  deps.stripe_records->sign(message);
  auto published = co_await publish(std::move(message));
  if (!published) {
    count_webhook("unavailable");
    log::warn("stripe webhook not taken in", {{"event_id", event.id}, {"type", event.type},
                                              {"payment_id", payment_id}, {"error", published.error().message}});
    co_return error_response(Error::unavailable("webhooks are temporarily unavailable (queue); Stripe will retry"));
  }
  count_webhook("published");
  log::info("stripe webhook received", {{"event_id", event.id}, {"type", event.type}, {"payment_id", payment_id},
                                        {"outcome", "published"}});
  co_return received();
}

}  // namespace payments::api
