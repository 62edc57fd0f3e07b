#include "views.hpp"

#include "payments/json/json.hpp"

namespace payments::api {
namespace {

void write_failure(json::Builder& b, const store::PaymentRecord& p) {
  if (p.failure_code.empty()) return;
  b.key("failure").begin_object().field("code", p.failure_code);
  if (!p.failure_decline_code.empty()) b.field("decline_code", p.failure_decline_code);
  b.field("message", p.failure_message).end_object();
}

void write_next_action(json::Builder& b, const store::PaymentRecord& p) {
  if (p.status != PaymentStatus::requires_action || p.next_action_url.empty()) return;
  b.key("next_action").begin_object().field("type", "redirect_to_url").field("redirect_url", p.next_action_url);
  b.end_object();
}

}  // namespace

std::string status_url(const std::string& payment_id) { return "/api/v1/payments/" + payment_id + "/status"; }

std::string accepted_view(const std::string& payment_id) {
  json::Builder b;
  b.begin_object()
      .field("payment_id", payment_id)
      .field("status", "pending")
      .field("status_url", status_url(payment_id))
      .end_object();
  return b.str();
}

std::string status_view(const store::PaymentRecord& p) {
  json::Builder b;
  b.begin_object().field("payment_id", p.id).field("status", to_string(p.status)).field("updated_at", p.updated_at);
  write_failure(b, p);
  write_next_action(b, p);
  b.end_object();
  return b.str();
}

std::string payment_view(const store::PaymentRecord& p) {
  json::Builder b;
  b.begin_object()
      .field("payment_id", p.id)
      .field("order_id", p.order_id)
      .field("amount", p.amount)
      .field("currency", p.currency)
      .field("status", to_string(p.status))
      .field("payment_method", p.payment_method)
      .optional_field("customer_id", p.customer_id)
      .optional_field("description", p.description)
      .field("amount_refunded", p.amount_refunded);
  if (!p.stripe_payment_intent_id.empty()) b.field("stripe_payment_intent_id", p.stripe_payment_intent_id);
  write_failure(b, p);
  write_next_action(b, p);
  b.key("refunds").raw("[]");
  b.field("created_at", p.created_at).field("updated_at", p.updated_at).end_object();
  return b.str();
}

}  // namespace payments::api
