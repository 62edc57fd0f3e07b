#include "payments/events/payment_events.hpp"

#include "payments/crypto/crypto.hpp"
#include "payments/json/json.hpp"

namespace payments::events {
namespace {

std::int64_t minor_of(const EventAmount& amount) {
  if (const auto* money = std::get_if<Money>(&amount)) return money->minor();
  return std::get<EchoedAmount>(amount).minor;
}

std::string_view currency_of(const EventAmount& amount) {
  if (const auto* money = std::get_if<Money>(&amount)) return money->currency().code();
  return std::get<EchoedAmount>(amount).currency;
}

}  // namespace

std::string serialize(const PaymentEvent& event) {
  json::Builder b;
  b.begin_object()
      .field("event_id", event.event_id)
      .field("type", event.type)
      .field("merchant_id", event.merchant_id)
      .field("payment_id", event.payment_id)
      .field("order_id", event.order_id)
      .field("amount", minor_of(event.amount))
      .field("currency", currency_of(event.amount))
      .field("status", event.status)
      .field("stripe_payment_intent_id", event.stripe_payment_intent_id)
      .field("occurred_at", event.occurred_at);
  if (event.failure) {
    b.key("failure").begin_object().field("code", event.failure->code);
    if (!event.failure->decline_code.empty()) b.field("decline_code", event.failure->decline_code);
    b.field("message", event.failure->message).end_object();
  }
  b.optional_field("refund_id", event.refund_id);
  if (event.refund_amount) b.field("refund_amount", minor_of(*event.refund_amount));
  if (event.amount_refunded) b.field("amount_refunded", minor_of(*event.amount_refunded));
  b.end_object();
  return b.str();
}

std::string serialize(const OtpMessage& m) {
  json::Builder b;
  b.begin_object()
      .field("event_id", m.event_id)
      .field("merchant_id", m.merchant_id)
      .field("payment_id", m.payment_id)
      .field("channel", m.channel)
      .field("destination", m.destination)
      .field("code", m.code)
      .field("expires_at", m.expires_at)
      .end_object();
  return b.str();
}

std::string event_id_for(std::string_view payment_id, std::string_view what) {
  std::string name = "payments/event/";
  name += payment_id;
  name += '/';
  name += what;
  return crypto::stable_uuid(name);
}

}  // namespace payments::events
