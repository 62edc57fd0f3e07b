#include "payments/core/webhook_signature.hpp"

#include <utility>

#include "payments/core/otp.hpp"  // constant_time_equal

namespace payments {
namespace {

constexpr std::size_t kMaxTimestampDigits = 18;  // fits std::int64_t with room for arithmetic
constexpr std::size_t kSignatureHexLength = 64;  // SHA-256

struct ParsedSignatureHeader {
  std::string timestamp_text;        // exactly as sent; part of the signed payload
  std::int64_t timestamp = 0;
  std::vector<std::string> v1;       // lower-case hex
};

// Either the parsed header or why it was refused.
struct ParseOutcome {
  std::optional<ParsedSignatureHeader> header;
  std::optional<WebhookSignatureFailure> failure;
  std::string message;
};

ParseOutcome refuse(WebhookSignatureFailure failure, std::string message) {
  return {std::nullopt, failure, std::move(message)};
}

ParseOutcome malformed(std::string message) {
  return refuse(WebhookSignatureFailure::malformed_header, "Stripe-Signature is malformed: " + std::move(message));
}

std::string_view trim(std::string_view text) noexcept {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

bool is_printable_ascii(std::string_view text) noexcept {
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if ((byte < 0x20 && c != '\t') || byte > 0x7e) return false;
  }
  return true;
}

bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

std::optional<char> lower_hex_digit(char c) noexcept {
  if (is_digit(c) || (c >= 'a' && c <= 'f')) return c;
  if (c >= 'A' && c <= 'F') return static_cast<char>(c - 'A' + 'a');
  return std::nullopt;
}

std::optional<std::int64_t> parse_timestamp(std::string_view text) noexcept {
  if (text.empty() || text.size() > kMaxTimestampDigits) return std::nullopt;
  if (text.size() > 1 && text.front() == '0') return std::nullopt;
  std::int64_t value = 0;
  for (const char c : text) {
    if (!is_digit(c)) return std::nullopt;
    value = value * 10 + (c - '0');
  }
  return value;
}

std::optional<std::string> parse_v1(std::string_view text) {
  if (text.size() != kSignatureHexLength) return std::nullopt;
  std::string hex;
  hex.reserve(text.size());
  for (const char c : text) {
    const auto digit = lower_hex_digit(c);
    if (!digit) return std::nullopt;
    hex.push_back(*digit);
  }
  return hex;
}

ParseOutcome parse_header(std::optional<std::string_view> header) {
  if (!header || trim(*header).empty()) {
    return refuse(WebhookSignatureFailure::missing_header,
                  "the Stripe-Signature header is missing; Stripe signs every webhook it sends");
  }
  if (header->size() > kMaxStripeSignatureHeaderLength) {
    return malformed("longer than " + std::to_string(kMaxStripeSignatureHeaderLength) + " bytes");
  }
  if (!is_printable_ascii(*header)) return malformed("contains bytes that are not printable ASCII");

  ParsedSignatureHeader parsed;
  bool have_timestamp = false;
  std::size_t signatures = 0;
  std::string_view rest = *header;
  while (true) {
    const auto comma = rest.find(',');
    const auto item = trim(rest.substr(0, comma));
    const auto eq = item.find('=');
    if (eq == std::string_view::npos) return malformed("every item must be key=value");
    const auto key = trim(item.substr(0, eq));
    const auto value = trim(item.substr(eq + 1));
    if (key.empty()) return malformed("an item has no key");
    if (key == "t") {
      if (have_timestamp) return malformed("more than one t");
      const auto timestamp = parse_timestamp(value);
      if (!timestamp) return malformed("t must be a unix time in seconds (digits only)");
      parsed.timestamp_text = std::string(value);
      parsed.timestamp = *timestamp;
      have_timestamp = true;
    } else {
      if (++signatures > kMaxStripeSignatures) {
        return malformed("more than " + std::to_string(kMaxStripeSignatures) + " signatures");
      }
      if (key == "v1") {
        auto hex = parse_v1(value);
        if (!hex) return malformed("a v1 signature must be 64 hex digits");
        parsed.v1.push_back(std::move(*hex));
      }
      // Other schemes (v0, future ones) are skipped.
    }
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  if (!have_timestamp) return malformed("no t (timestamp)");
  if (parsed.v1.empty()) {
    return refuse(WebhookSignatureFailure::no_v1_signature,
                  "Stripe-Signature has no v1 signature; only the v1 scheme (HMAC-SHA256) is accepted");
  }
  return {std::move(parsed), std::nullopt, {}};
}

bool secrets_usable(const std::vector<Secret>& secrets) noexcept {
  if (secrets.empty()) return false;
  for (const auto& secret : secrets) {
    if (secret.empty()) return false;
  }
  return true;
}

}  // namespace

std::string_view to_string(WebhookSignatureFailure failure) noexcept {
  switch (failure) {
    case WebhookSignatureFailure::missing_header: return "missing_header";
    case WebhookSignatureFailure::malformed_header: return "malformed_header";
    case WebhookSignatureFailure::no_v1_signature: return "no_v1_signature";
    case WebhookSignatureFailure::timestamp_outside_tolerance: return "timestamp_outside_tolerance";
    case WebhookSignatureFailure::no_matching_signature: return "no_matching_signature";
  }
  return "unknown";
}

Error WebhookVerification::to_error() const {
  return Error::validation(std::string(kStripeSignatureHeader), message_.empty() ? "verified" : message_);
}

WebhookVerification verify_webhook(std::optional<std::string_view> stripe_signature, std::string_view body,
                                   const std::vector<Secret>& secrets, const WebhookHmac& hmac, std::int64_t now,
                                   std::chrono::seconds tolerance) {
  auto parsed = parse_header(stripe_signature);
  if (!parsed.header) return WebhookVerification::refused(*parsed.failure, std::move(parsed.message));
  const auto& header = *parsed.header;

  // Both sides are below 10^18 in magnitude for any sane `now`; compare without overflowing anyway.
  const std::int64_t limit = tolerance.count();
  const bool too_old = now > header.timestamp && now - header.timestamp > limit;
  const bool too_new = header.timestamp > now && header.timestamp - now > limit;
  if (limit < 0 || too_old || too_new) {
    // Neither the timestamp nor the skew: the header's digits are the sender's text and could be a card number.
    return WebhookVerification::refused(
        WebhookSignatureFailure::timestamp_outside_tolerance,
        std::string("Stripe-Signature timestamp is ") + (too_new ? "ahead of" : "behind") +
            " the current time by more than the " + std::to_string(limit) + " s tolerance");
  }

  bool match = false;
  if (hmac && secrets_usable(secrets)) {
    std::string payload;
    payload.reserve(header.timestamp_text.size() + 1 + body.size());
    payload.append(header.timestamp_text).append(1, '.').append(body);
    // Every secret against every v1, without stopping at the first match.
    for (const auto& secret : secrets) {
      const std::string expected = hmac(secret.reveal(), payload);
      for (const auto& candidate : header.v1) {
        const bool equal = !expected.empty() && constant_time_equal(expected, candidate);
        match = match || equal;
      }
    }
  }
  if (!match) {
    return WebhookVerification::refused(
        WebhookSignatureFailure::no_matching_signature,
        "no v1 signature in Stripe-Signature matches the body under the configured webhook secret(s); check "
        "STRIPE_WEBHOOK_SECRET and that the raw body was not changed");
  }
  return WebhookVerification::verified(header.timestamp);
}

Result<WebhookVerifier> WebhookVerifier::create(std::vector<Secret> secrets, WebhookHmac hmac,
                                                std::chrono::seconds tolerance) {
  if (secrets.empty()) {
    return Error::validation("STRIPE_WEBHOOK_SECRET", "at least one webhook signing secret (whsec_...) is required");
  }
  for (const auto& secret : secrets) {
    if (secret.empty()) return Error::validation("STRIPE_WEBHOOK_SECRET", "a webhook signing secret is empty");
  }
  if (tolerance.count() < 0) return Error::validation("tolerance", "the webhook tolerance must not be negative");
  if (!hmac) return Error::internal("WebhookVerifier needs an HMAC-SHA256 function");
  return WebhookVerifier(std::move(secrets), std::move(hmac), tolerance);
}

std::string sign_webhook(const Secret& secret, std::int64_t timestamp, std::string_view body,
                         const WebhookHmac& hmac) {
  const std::string t = std::to_string(timestamp);
  std::string payload;
  payload.reserve(t.size() + 1 + body.size());
  payload.append(t).append(1, '.').append(body);
  return "t=" + t + ",v1=" + hmac(secret.reveal(), payload);
}

}  // namespace payments
