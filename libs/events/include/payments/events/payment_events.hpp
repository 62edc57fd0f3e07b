#pragma once
// The events downstream services consume: payment-success, payment-failed, payment-refunded.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "payments/core/money.hpp"

namespace payments::events {

struct Failure {
  std::string code;          // card_declined, validation_error, otp_expired, ...
  std::string decline_code;  // the issuer's reason when Stripe gives one
  std::string message;       // for people; never contains card data, codes or secrets
};

// What an event carries in place of an amount this service holds: the minor units and currency a refused command
// had, as far as it had them with the right types, or nothing (0, "") for a refund of a payment that was not
// found. The contract lets these be 0, empty or out of range (schemas/json/payment-event.schema.json), which no
// Money can be.
struct EchoedAmount {
  std::int64_t minor = 0;
  std::string currency;
};

// An amount as an event tells it: the payment's Money, or an echo where there is no such payment.
using EventAmount = std::variant<EchoedAmount, Money>;

struct PaymentEvent {
  std::string event_id;  // stable: the same transition always has the same id, so consumers deduplicate on it
  std::string type;      // payment.succeeded | payment.failed | payment.refunded
  std::string merchant_id;  // whose payment: lets downstream services route without a lookup
  std::string payment_id;
  std::string order_id;
  EventAmount amount;  // "amount" and "currency"
  std::string status;
  std::string stripe_payment_intent_id;
  std::string occurred_at;
  std::optional<Failure> failure;
  std::optional<std::string> refund_id;
  std::optional<EventAmount> refund_amount;    // in `amount`'s currency; only its minor units are written
  std::optional<EventAmount> amount_refunded;  // likewise
};

namespace event_type {
inline constexpr std::string_view kSucceeded = "payment.succeeded";
inline constexpr std::string_view kFailed = "payment.failed";
inline constexpr std::string_view kRefunded = "payment.refunded";
// On payment-refunded too: a refund that was rejected (over the refundable amount, payment not succeeded)
// or that Stripe failed. `refund_id`, `refund_amount` and `failure` say which and why.
inline constexpr std::string_view kRefundFailed = "payment.refund_failed";
}  // namespace event_type

std::string serialize(const PaymentEvent& event);

// The message on payment-otp for the notification service: the only place a one-time code appears in clear.
struct OtpMessage {
  std::string event_id;
  std::string payment_id;
  std::string channel;
  std::string destination;
  std::string code;
  std::string expires_at;  // RFC 3339
  std::string merchant_id;
};
std::string serialize(const OtpMessage& message);

// The stable id of the event a transition produces: a UUID derived from the payment and what happened.
std::string event_id_for(std::string_view payment_id, std::string_view what);

}  // namespace payments::events
