#include "stripe_json.hpp"

namespace payments::stripe_sim {

void key(Writer& w, std::string_view k) { w.Key(k.data(), static_cast<rapidjson::SizeType>(k.size())); }
void string(Writer& w, std::string_view v) { w.String(v.data(), static_cast<rapidjson::SizeType>(v.size())); }
void field(Writer& w, std::string_view k, std::string_view v) {
  key(w, k);
  string(w, v);
}
void field_or_null(Writer& w, std::string_view k, std::string_view v) {
  key(w, k);
  if (v.empty()) {
    w.Null();
  } else {
    string(w, v);
  }
}
void field(Writer& w, std::string_view k, std::int64_t v) {
  key(w, k);
  w.Int64(v);
}
void write_metadata(Writer& w, const Metadata& metadata) {
  w.StartObject();
  for (const auto& [k, v] : metadata) field(w, k, v);
  w.EndObject();
}

namespace {
void write_card_error_fields(Writer& w, const CardError& error) {
  field_or_null(w, "charge", error.charge);
  if (!error.code.empty()) {
    field(w, "code", error.code);
    field(w, "doc_url", "https://stripe.com/docs/error-codes/" + error.code);
  }
  if (!error.decline_code.empty()) field(w, "decline_code", error.decline_code);
  field(w, "message", error.message);
  if (!error.param.empty()) field(w, "param", error.param);
  if (!error.payment_method.empty()) {
    key(w, "payment_method");
    w.StartObject();
    field(w, "id", error.payment_method);
    field(w, "object", "payment_method");
    field(w, "type", "card");
    w.EndObject();
  }
  field(w, "type", error.type);
}
}  // namespace

void write_payment_intent(Writer& w, const PaymentIntent& pi) {
  w.StartObject();
  field(w, "id", pi.id);
  field(w, "object", "payment_intent");
  field(w, "amount", pi.amount);
  field(w, "amount_capturable", pi.amount_capturable);
  field(w, "amount_received", pi.amount_received);
  key(w, "canceled_at");
  if (pi.canceled_at) {
    w.Int64(*pi.canceled_at);
  } else {
    w.Null();
  }
  field_or_null(w, "cancellation_reason", pi.cancellation_reason);
  field(w, "capture_method", pi.capture_method);
  field(w, "client_secret", pi.client_secret);
  field(w, "confirmation_method", "automatic");
  field(w, "created", pi.created);
  field(w, "currency", pi.currency);
  field_or_null(w, "customer", pi.customer);
  field_or_null(w, "description", pi.description);
  key(w, "last_payment_error");
  if (pi.last_payment_error) {
    w.StartObject();
    write_card_error_fields(w, *pi.last_payment_error);
    w.EndObject();
  } else {
    w.Null();
  }
  field_or_null(w, "latest_charge", pi.latest_charge);
  key(w, "livemode");
  w.Bool(false);
  key(w, "metadata");
  write_metadata(w, pi.metadata);
  key(w, "next_action");
  if (pi.status == "requires_action") {
    w.StartObject();
    key(w, "redirect_to_url");
    w.StartObject();
    field_or_null(w, "return_url", pi.return_url);
    field(w, "url", pi.redirect_url);
    w.EndObject();
    field(w, "type", "redirect_to_url");
    w.EndObject();
  } else {
    w.Null();
  }
  field_or_null(w, "payment_method", pi.payment_method);
  key(w, "payment_method_types");
  w.StartArray();
  string(w, "card");
  w.EndArray();
  field(w, "status", pi.status);
  w.EndObject();
}

void write_refund(Writer& w, const Refund& refund, bool with_idempotency_key) {
  w.StartObject();
  field(w, "id", refund.id);
  field(w, "object", "refund");
  field(w, "amount", refund.amount);
  key(w, "balance_transaction");
  w.Null();
  field(w, "charge", refund.charge);
  field(w, "created", refund.created);
  field(w, "currency", refund.currency);
  if (refund.status == "failed") field(w, "failure_reason", refund.failure_reason);
  key(w, "metadata");
  write_metadata(w, refund.metadata);
  field(w, "payment_intent", refund.payment_intent);
  field_or_null(w, "reason", refund.reason);
  field(w, "status", refund.status);
  if (with_idempotency_key) field_or_null(w, "idempotency_key", refund.idempotency_key);
  w.EndObject();
}

void write_dispute(Writer& w, const Dispute& dispute) {
  w.StartObject();
  field(w, "id", dispute.id);
  field(w, "object", "dispute");
  field(w, "amount", dispute.amount);
  field(w, "charge", dispute.charge);
  field(w, "created", dispute.created);
  field(w, "currency", dispute.currency);
  key(w, "livemode");
  w.Bool(false);
  key(w, "metadata");
  write_metadata(w, {});
  field(w, "payment_intent", dispute.payment_intent);
  field(w, "reason", dispute.reason);
  field(w, "status", dispute.status);
  w.EndObject();
}

std::string payment_intent_json(const PaymentIntent& pi) {
  JsonOut out;
  write_payment_intent(out.w, pi);
  return out.str();
}

std::string refund_json(const Refund& refund) {
  JsonOut out;
  write_refund(out.w, refund, false);
  return out.str();
}

std::string charge_json(const Charge& charge, std::int64_t amount_refunded) {
  JsonOut out;
  out.w.StartObject();
  field(out.w, "id", charge.id);
  field(out.w, "object", "charge");
  field(out.w, "amount", charge.amount);
  field(out.w, "amount_captured", charge.amount);
  field(out.w, "amount_refunded", amount_refunded);
  field(out.w, "created", charge.created);
  field(out.w, "currency", charge.currency);
  key(out.w, "livemode");
  out.w.Bool(false);
  key(out.w, "metadata");
  write_metadata(out.w, charge.metadata);
  field(out.w, "payment_intent", charge.payment_intent);
  field(out.w, "payment_method", charge.payment_method);
  key(out.w, "refunded");
  out.w.Bool(amount_refunded >= charge.amount);
  field(out.w, "status", "succeeded");
  out.w.EndObject();
  return out.str();
}

std::string dispute_json(const Dispute& dispute) {
  JsonOut out;
  write_dispute(out.w, dispute);
  return out.str();
}

ApiResponse ok(std::string body) { return {200, std::move(body), {}}; }

ApiResponse make_stripe_error(int status, std::string_view type, std::string_view code, std::string_view message,
                              std::string_view param) {
  JsonOut out;
  out.w.StartObject();
  key(out.w, "error");
  out.w.StartObject();
  if (!code.empty()) {
    field(out.w, "code", code);
    field(out.w, "doc_url", "https://stripe.com/docs/error-codes/" + std::string(code));
  }
  field(out.w, "message", message);
  if (!param.empty()) field(out.w, "param", param);
  field(out.w, "type", type);
  out.w.EndObject();
  out.w.EndObject();
  return {status, out.str(), {}};
}

ApiResponse invalid_request(std::string_view message, std::string_view param, std::string_view code) {
  return make_stripe_error(400, "invalid_request_error", code, message, param);
}

ApiResponse missing_object(std::string_view kind, std::string_view id, std::string_view param, int status) {
  return make_stripe_error(status, "invalid_request_error", "resource_missing",
                      "No such " + std::string(kind) + ": '" + std::string(id) + "'", param);
}

ApiResponse card_declined(const CardError& error, const PaymentIntent& pi) {
  JsonOut out;
  out.w.StartObject();
  key(out.w, "error");
  out.w.StartObject();
  write_card_error_fields(out.w, error);
  key(out.w, "payment_intent");
  write_payment_intent(out.w, pi);
  out.w.EndObject();
  out.w.EndObject();
  return {402, out.str(), {}};
}

std::string event_json(std::string_view id, std::string_view type, std::int64_t created, std::string_view api_version,
                       std::string_view object_json) {
  JsonOut out;
  out.w.StartObject();
  field(out.w, "id", id);
  field(out.w, "object", "event");
  field(out.w, "api_version", api_version);
  field(out.w, "created", created);
  key(out.w, "data");
  out.w.StartObject();
  key(out.w, "object");
  out.w.RawValue(object_json.data(), object_json.size(), rapidjson::kObjectType);
  out.w.EndObject();
  key(out.w, "livemode");
  out.w.Bool(false);
  field(out.w, "pending_webhooks", std::int64_t{1});
  key(out.w, "request");
  out.w.StartObject();
  key(out.w, "id");
  out.w.Null();
  key(out.w, "idempotency_key");
  out.w.Null();
  out.w.EndObject();
  field(out.w, "type", type);
  out.w.EndObject();
  return out.str();
}

}  // namespace payments::stripe_sim
