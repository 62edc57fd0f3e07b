// POST /api/v1/webhooks/stripe as the API takes it: the Stripe-Signature header verified against the raw body
// (payments::verify_webhook, with the endpoint's HMAC), then the body read as a Stripe event
// (stripe::parse_event). Input: the header's value, a newline, then the body.
//
// Invariants:
// - a refusal's message never repeats the secret, the expected signature or a card number, and the refusal is a
//   400 naming Stripe-Signature;
// - nothing verifies unless the header carries the body's true v1 signature within the tolerance;
// - a header sign_webhook() made for the body verifies, and stops verifying when the body changes by one byte
//   or the secret is another;
// - an event's errors name their field and never repeat a card number; an accepted event's data.object reads
//   back to the same object.
#include <cstddef>
#include <cstdint>
#include <optional>

#include "invariants.hpp"
#include "payments/api/errors.hpp"
#include "payments/core/webhook_signature.hpp"
#include "payments/crypto/crypto.hpp"
#include "payments/json/json.hpp"
#include "payments/stripe/stripe_json.hpp"

namespace {

using namespace payments;
using fuzz::require;

constexpr std::int64_t kNow = 1'700'000'000;
const Secret kSecret{"whsec_fuzz_endpoint_secret"};

std::string lower(std::string_view text) {
  std::string out(text);
  for (auto& c : out) {
    if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// The value of the header's `t` item, as it was signed.
std::string timestamp_text(std::string_view header) {
  while (true) {
    const auto comma = header.find(',');
    const auto item = header.substr(0, comma);
    const auto eq = item.find('=');
    if (eq != std::string_view::npos && trim(item.substr(0, eq)) == "t") return std::string(trim(item.substr(eq + 1)));
    if (comma == std::string_view::npos) return {};
    header.remove_prefix(comma + 1);
  }
}

void signature(std::optional<std::string_view> header, std::string_view body) {
  const WebhookVerification verification =
      verify_webhook(header, body, {kSecret}, crypto::hmac_sha256_hex, kNow, kWebhookDefaultTolerance);
  if (!verification) {
    const std::string& message = verification.message();
    require(!message.empty(), "a refused signature has no message");
    require(message.find(kSecret.reveal()) == std::string::npos, "a refusal repeats the webhook secret", message);
    fuzz::require_no_card_number(message, "a signature refusal repeats a card number");
    const Error error = verification.to_error();
    require(error.field == kStripeSignatureHeader, "a signature refusal does not name Stripe-Signature");
    // What the endpoint answers: "<reason>: <message>" on the header's field.
    const http::Response response = api::error_response(
        Error::validation(error.field, std::string(to_string(*verification.failure())) + ": " + message));
    require(response.status == 400, "a signature refusal is not a 400", response.body);
    fuzz::require_no_card_number(response.body, "a signature refusal's response repeats a card number");
    return;
  }
  // Verified: only with the body's own signature, signed within the tolerance.
  require(header.has_value(), "verified without a header");
  const std::string t = timestamp_text(*header);
  const std::string expected = crypto::hmac_sha256_hex(kSecret.reveal(), t + "." + std::string(body));
  require(lower(*header).find(expected) != std::string::npos, "verified without the body's signature",
          std::string(*header));
  const std::int64_t skew = verification.timestamp() - kNow;
  require(skew <= kWebhookDefaultTolerance.count() && -skew <= kWebhookDefaultTolerance.count(),
          "verified outside the tolerance");
  for (const auto& text : {expected, kSecret.reveal()}) {
    require(verification.message().find(text) == std::string::npos, "a verification message leaks");
  }
}

void round_trip(std::string_view body) {
  const std::string header = sign_webhook(kSecret, kNow, body, crypto::hmac_sha256_hex);
  require(static_cast<bool>(verify_webhook(header, body, {kSecret}, crypto::hmac_sha256_hex, kNow)),
          "a header sign_webhook() made does not verify", header);
  std::string changed(body);
  changed.push_back('x');
  require(!verify_webhook(header, changed, {kSecret}, crypto::hmac_sha256_hex, kNow),
          "a signature verifies another body", header);
  require(!verify_webhook(header, body, {Secret{"whsec_another"}}, crypto::hmac_sha256_hex, kNow),
          "a signature verifies under another secret", header);
}

void event(std::string_view body) {
  auto parsed = stripe::parse_event(body);
  if (!parsed) {
    fuzz::require_well_formed_error(parsed.error());
    require(!parsed.error().field.empty(), "an event error names no field", parsed.error().message);
    return;
  }
  const StripeEvent& e = parsed.value();
  require(e.id.rfind("evt_", 0) == 0 && !e.type.empty() && !e.object_id.empty(), "an event accepted without its ids");
  // data.object, serialized, is the same object when read again.
  json::Builder wrapper;
  wrapper.begin_object().field("id", e.id).field("type", e.type).field("created", e.created);
  wrapper.key("data").begin_object().key("object").raw(e.object_json).end_object().end_object();
  auto again = stripe::parse_event(wrapper.str());
  require(again.has_value(), "an event's data.object does not read back", wrapper.str());
  require(again->object_json == e.object_json && again->object_id == e.object_id &&
              again->object_type == e.object_type && again->payment_intent == e.payment_intent &&
              again->metadata_payment_id == e.metadata_payment_id && again->metadata_refund_id == e.metadata_refund_id,
          "an event's data.object changes when read back", e.object_json);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input = fuzz::as_text(data, size);
  const auto newline = input.find('\n');
  // No newline: no Stripe-Signature header at all, and the input is the body.
  const std::optional<std::string_view> header =
      newline == std::string_view::npos ? std::nullopt : std::optional<std::string_view>(input.substr(0, newline));
  const std::string_view body = newline == std::string_view::npos ? input : input.substr(newline + 1);
  signature(header, body);
  round_trip(body);
  event(body);
  return 0;
}
