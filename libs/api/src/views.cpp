#include "views.hpp"

#include <algorithm>

#include "payments/core/time.hpp"
#include "payments/events/commands.hpp"
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

void write_dispute(json::Builder& b, const store::PaymentRecord& p) {
  if (!p.dispute) return;
  const auto& d = *p.dispute;
  b.key("dispute")
      .begin_object()
      .field("id", d.id)
      .field("status", d.status)
      .field("reason", d.reason)
      .field("amount", d.amount.minor())
      .field("disputed_at", d.disputed_at)
      .end_object();
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

std::string status_view(const store::PaymentRecord& p, const std::optional<store::StoredChallenge>& otp) {
  json::Builder b;
  b.begin_object().field("payment_id", p.id).field("status", to_string(p.status)).field("updated_at", p.updated_at);
  write_failure(b, p);
  write_next_action(b, p);
  write_dispute(b, p);
  if (otp) {
    const auto& c = otp->challenge;
    b.key("otp")
        .begin_object()
        .field("state", to_string(c.state))
        .field("channel", otp->channel)
        .field("destination", otp->destination_masked)
        .field("expires_at", format_rfc3339(c.expires_at))
        .field("attempts_remaining", static_cast<std::int64_t>(c.attempts_left))
        .field("resends_remaining", static_cast<std::int64_t>(std::max(0, otp->max_resends - c.resends_used)));
    if (!otp->last_result.empty()) b.field("last_result", otp->last_result);
    b.end_object();
  }
  b.end_object();
  return b.str();
}

namespace {

void write_refund(json::Builder& b, const store::RefundRecord& r) {
  b.begin_object().field("refund_id", r.id).field("payment_id", r.payment_id);
  if (r.reserved && r.amount) {
    b.field("amount", r.amount->minor());
  } else if (r.requested_amount) {
    b.field("amount", *r.requested_amount);
  }
  // A refund refused because its payment was not found has no currency: shown empty.
  const std::string_view currency = r.amount ? r.amount->currency().code() : std::string_view();
  b.field("currency", currency).field("status", to_string(r.status)).optional_field("reason", r.reason);
  if (!r.stripe_refund_id.empty()) b.field("stripe_refund_id", r.stripe_refund_id);
  if (!r.failure_code.empty()) {
    b.key("failure").begin_object().field("code", r.failure_code).field("message", r.failure_message).end_object();
  }
  b.field("created_at", r.created_at).field("updated_at", r.updated_at).end_object();
}

std::string refunds_array(const std::vector<store::RefundRecord>& refunds) {
  std::string out = "[";
  for (const auto& r : refunds) {
    if (out.size() > 1) out += ",";
    json::Builder b;
    write_refund(b, r);
    out += b.str();
  }
  return out + "]";
}

}  // namespace

std::string refund_view(const store::RefundRecord& refund) {
  json::Builder b;
  write_refund(b, refund);
  return b.str();
}

std::string refund_list_view(const std::string& payment_id, const std::vector<store::RefundRecord>& refunds) {
  json::Builder b;
  b.begin_object().field("payment_id", payment_id).key("data").raw(refunds_array(refunds)).end_object();
  return b.str();
}

std::string refund_accepted_view(const std::string& refund_id) {
  json::Builder b;
  b.begin_object().field("refund_id", refund_id).field("status", "pending").end_object();
  return b.str();
}

std::string payment_view(const store::PaymentRecord& p, const std::vector<store::RefundRecord>& refunds) {
  json::Builder b;
  b.begin_object()
      .field("payment_id", p.id)
      .field("order_id", p.order_id)
      .field("amount", p.amount.minor())
      .field("currency", p.amount.currency().code())
      .field("status", to_string(p.status))
      .field("payment_method", p.payment_method)
      .optional_field("customer_id", p.customer_id)
      .optional_field("description", p.description)
      .field("amount_refunded", p.amount_refunded.minor());
  // Metadata lives in the stored canonical request; it was validated when the payment was accepted.
  if (auto request = events::parse_payment_request(p.request_json); request && !request->metadata.empty()) {
    b.key("metadata").begin_object();
    for (const auto& [key, value] : request->metadata) b.field(key, value);
    b.end_object();
  }
  if (!p.stripe_payment_intent_id.empty()) b.field("stripe_payment_intent_id", p.stripe_payment_intent_id);
  write_failure(b, p);
  write_next_action(b, p);
  write_dispute(b, p);
  b.key("refunds").raw(refunds_array(refunds));
  b.field("created_at", p.created_at).field("updated_at", p.updated_at).end_object();
  return b.str();
}

}  // namespace payments::api
