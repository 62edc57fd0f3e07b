#pragma once
// The events downstream services consume: payment-success, payment-failed, payment-refunded.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace payments::events {

struct Failure {
  std::string code;          // card_declined, validation_error, otp_expired, ...
  std::string decline_code;  // the issuer's reason when Stripe gives one
  std::string message;       // for people; never contains card data, codes or secrets
};

struct PaymentEvent {
  std::string event_id;  // stable: the same transition always has the same id, so consumers deduplicate on it
  std::string type;      // payment.succeeded | payment.failed | payment.refunded
  std::string payment_id;
  std::string order_id;
  std::int64_t amount = 0;
  std::string currency;
  std::string status;
  std::string stripe_payment_intent_id;
  std::string occurred_at;
  std::optional<Failure> failure;
  std::optional<std::string> refund_id;
  std::optional<std::int64_t> refund_amount;
  std::optional<std::int64_t> amount_refunded;
};

namespace event_type {
inline constexpr std::string_view kSucceeded = "payment.succeeded";
inline constexpr std::string_view kFailed = "payment.failed";
inline constexpr std::string_view kRefunded = "payment.refunded";
}  // namespace event_type

std::string serialize(const PaymentEvent& event);

// The stable id of the event a transition produces: a UUID derived from the payment and what happened.
std::string event_id_for(std::string_view payment_id, std::string_view what);

}  // namespace payments::events
