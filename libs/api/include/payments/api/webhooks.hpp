#pragma once
// Stripe's webhook endpoint, `POST /api/v1/webhooks/stripe` (docs/webhooks.md): what it needs from the
// configuration, and its body limit (which event types it takes in: payments::stripe_event_use). The route
// itself is in src/webhooks.cpp.

#include <cstddef>
#include <optional>

#include "payments/core/config.hpp"
#include "payments/core/result.hpp"
#include "payments/core/webhook_signature.hpp"

namespace payments::api {

// The worker refuses Kafka messages above 64 KiB, and the HTTP server bodies above 64 KiB (413); a webhook
// body above this limit is refused with 400 before its signature is even looked at.
inline constexpr std::size_t kWebhookBodyLimit = 60 * 1024;

// The endpoint's verifier from STRIPE_WEBHOOK_SECRET: one signing secret `whsec_...`, or several separated
// by commas while a secret is rolled (spaces around each are ignored). Unset or empty: nullopt, the endpoint
// is not configured. Anything else (an item not starting with `whsec_`, an empty item) is a validation error
// naming STRIPE_WEBHOOK_SECRET; its message never repeats the value.
Result<std::optional<WebhookVerifier>> webhook_verifier_from(const Secret& configured);

}  // namespace payments::api
