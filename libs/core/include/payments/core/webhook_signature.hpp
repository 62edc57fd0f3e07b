#pragma once
// Stripe webhook signatures, as pure domain logic: no clock, no I/O, no OpenSSL. The time comes in as `now`
// (unix seconds) and HMAC-SHA256 through an injected function (production and tests pass
// payments::crypto::hmac_sha256_hex), like OtpHasher.
//
// What Stripe sends (https://docs.stripe.com/webhooks#verify-manually, stripe-go webhook/client.go):
//   Stripe-Signature: t=1700000000,v1=5257a869...,v0=6ffbb59b...
// - `t` is the unix time of signing; `v1` = lower-case hex HMAC-SHA256(endpoint secret, "<t>.<raw body>").
//   Several `v1` appear while the endpoint's secret is rolled; every one is compared, in constant time.
// - Other schemes (`v0`, anything unknown) are ignored: a header with no `v1` is refused, never "verified"
//   through a weaker scheme.
// - The timestamp must lie within `tolerance` (default 300 s) of `now`, in both directions, so a captured
//   request cannot be replayed later and a clock skewed far ahead is noticed.
// - Verify against the raw body bytes, before any JSON parsing.
//
// Parsing rules (anything else is `malformed_header`):
// - comma-separated `key=value` items; spaces and tabs around items, keys and values are ignored;
// - exactly one `t`: 1 to 18 ASCII digits, no sign, no leading zero (so "<t>" in the signed payload is the
//   header's text exactly);
// - every `v1` is 64 hex digits (either case);
// - keys are non-empty; unknown keys and their values are skipped;
// - at most kMaxStripeSignatureHeaderLength bytes, at most kMaxStripeSignatures items besides `t`;
// - only printable ASCII (a header is never trusted to be text).
// Messages name the rule broken and never contain a secret or an expected signature.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "payments/core/config.hpp"
#include "payments/core/result.hpp"

namespace payments {

// Lower-case hex HMAC-SHA256 of `data` under `key`.
using WebhookHmac = std::function<std::string(std::string_view key, std::string_view data)>;

inline constexpr std::string_view kStripeSignatureHeader = "Stripe-Signature";
inline constexpr std::chrono::seconds kWebhookDefaultTolerance{300};
inline constexpr std::size_t kMaxStripeSignatureHeaderLength = 4096;
inline constexpr std::size_t kMaxStripeSignatures = 16;  // v1, v0 and unknown schemes together

enum class WebhookSignatureFailure {
  missing_header,               // no Stripe-Signature header, or an empty one
  malformed_header,             // breaks a parsing rule above
  no_v1_signature,              // well formed but without a v1 (e.g. v0 only)
  timestamp_outside_tolerance,  // t too old, or too far in the future
  no_matching_signature,        // no v1 equals the HMAC under any configured secret
};
// "missing_header", "malformed_header", "no_v1_signature", "timestamp_outside_tolerance",
// "no_matching_signature".
std::string_view to_string(WebhookSignatureFailure failure) noexcept;

// The outcome of a verification: verified (with the header's timestamp), or the reason it was refused.
class [[nodiscard]] WebhookVerification {
 public:
  static WebhookVerification verified(std::int64_t timestamp) { return WebhookVerification(timestamp); }
  static WebhookVerification refused(WebhookSignatureFailure failure, std::string message) {
    return WebhookVerification(failure, std::move(message));
  }

  [[nodiscard]] bool ok() const noexcept { return !failure_.has_value(); }
  explicit operator bool() const noexcept { return ok(); }
  // The signed timestamp (unix seconds); 0 when refused.
  [[nodiscard]] std::int64_t timestamp() const noexcept { return timestamp_; }
  // Why it was refused; nullopt when verified.
  [[nodiscard]] std::optional<WebhookSignatureFailure> failure() const noexcept { return failure_; }
  // Safe to log and to answer the sender with; empty when verified.
  [[nodiscard]] const std::string& message() const noexcept { return message_; }
  // validation_error with field "Stripe-Signature" (answered 400); call only when refused.
  [[nodiscard]] Error to_error() const;

 private:
  explicit WebhookVerification(std::int64_t timestamp) : timestamp_(timestamp) {}
  WebhookVerification(WebhookSignatureFailure failure, std::string message)
      : failure_(failure), message_(std::move(message)) {}

  std::int64_t timestamp_ = 0;
  std::optional<WebhookSignatureFailure> failure_;
  std::string message_;
};

// Verifies `stripe_signature` (the header's value, nullopt when absent) against the raw `body`. Accepts when
// some v1 equals the HMAC of "<t>.<body>" under one of `secrets` (the current one and, while rolling, the
// previous one). Checks in order: missing, malformed, no v1, tolerance, signatures. An empty `secrets`, an
// empty secret in it or an empty `hmac` never verifies (no_matching_signature), nor does a negative tolerance
// (timestamp_outside_tolerance); use WebhookVerifier to have such a configuration refused at start-up.
WebhookVerification verify_webhook(std::optional<std::string_view> stripe_signature, std::string_view body,
                                   const std::vector<Secret>& secrets, const WebhookHmac& hmac, std::int64_t now,
                                   std::chrono::seconds tolerance = kWebhookDefaultTolerance);

// The secrets, the HMAC and the tolerance, checked once: what the webhook endpoint holds.
class WebhookVerifier {
 public:
  // Fails (field "STRIPE_WEBHOOK_SECRET") without secrets or with an empty one, (field "tolerance") for a
  // negative tolerance, (internal) without an hmac function.
  static Result<WebhookVerifier> create(std::vector<Secret> secrets, WebhookHmac hmac,
                                        std::chrono::seconds tolerance = kWebhookDefaultTolerance);

  [[nodiscard]] WebhookVerification verify(std::optional<std::string_view> stripe_signature, std::string_view body,
                                           std::int64_t now) const {
    return verify_webhook(stripe_signature, body, secrets_, hmac_, now, tolerance_);
  }
  [[nodiscard]] std::chrono::seconds tolerance() const noexcept { return tolerance_; }

 private:
  WebhookVerifier(std::vector<Secret> secrets, WebhookHmac hmac, std::chrono::seconds tolerance)
      : secrets_(std::move(secrets)), hmac_(std::move(hmac)), tolerance_(tolerance) {}

  std::vector<Secret> secrets_;
  WebhookHmac hmac_;
  std::chrono::seconds tolerance_;
};

// A valid header for `body` signed at `timestamp` (unix seconds, >= 0): "t=<timestamp>,v1=<hex>". For the
// simulator and tests; the service itself only verifies.
std::string sign_webhook(const Secret& secret, std::int64_t timestamp, std::string_view body,
                         const WebhookHmac& hmac);

}  // namespace payments
