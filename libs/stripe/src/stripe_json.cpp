#include "payments/stripe/stripe_json.hpp"

#include <memory>
#include <optional>
#include <string>

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace payments::stripe {
namespace {

// Iterative parsing: deep nesting in a hostile body cannot overflow the stack.
constexpr unsigned kParseFlags = rapidjson::kParseIterativeFlag | rapidjson::kParseStopWhenDoneFlag;

StripeError invalid_response(std::string message) {
  StripeError error;
  error.type = "invalid_response";
  error.message = std::move(message);
  error.kind = StripeFailureKind::transient;
  error.retryable = true;
  return error;
}

bool parse_document(rapidjson::Document& doc, std::string_view body) {
  doc.Parse<kParseFlags>(body.data(), body.size());
  return !doc.HasParseError() && doc.IsObject();
}

const rapidjson::Value* member(const rapidjson::Value& object, const char* name) {
  if (!object.IsObject()) return nullptr;
  const auto it = object.FindMember(name);
  if (it == object.MemberEnd() || it->value.IsNull()) return nullptr;
  return &it->value;
}

std::string string_member(const rapidjson::Value& object, const char* name) {
  const auto* v = member(object, name);
  if (v == nullptr || !v->IsString()) return {};
  return {v->GetString(), v->GetStringLength()};
}

// A field that is an id, or the expanded object carrying that id.
std::string id_member(const rapidjson::Value& object, const char* name) {
  const auto* v = member(object, name);
  if (v == nullptr) return {};
  if (v->IsString()) return {v->GetString(), v->GetStringLength()};
  if (v->IsObject()) return string_member(*v, "id");
  return {};
}

bool int_member(const rapidjson::Value& object, const char* name, std::int64_t& out) {
  const auto* v = member(object, name);
  if (v == nullptr || !v->IsInt64()) return false;
  out = v->GetInt64();
  return true;
}

// The fields of an error object, without classification (no HTTP status is known inside an intent).
StripeError error_fields(const rapidjson::Value& error) {
  StripeError out;
  out.type = string_member(error, "type");
  out.code = string_member(error, "code");
  out.decline_code = string_member(error, "decline_code");
  out.message = string_member(error, "message");
  out.param = string_member(error, "param");
  return out;
}

// An object's amount and currency, as one Money: nothing when either is missing or not one this service
// handles (an unknown currency, a negative amount), which makes the whole answer an invalid_response.
std::optional<Money> money_members(const rapidjson::Value& object) {
  std::int64_t minor = 0;
  if (!int_member(object, "amount", minor)) return std::nullopt;
  auto money = Money::parse(minor, string_member(object, "currency"));
  if (!money) return std::nullopt;
  return std::move(money).value();
}

StripeResult<PaymentIntent> intent_from(const rapidjson::Value& v) {
  auto amount = money_members(v);
  if (!amount) return invalid_response("payment intent without a readable amount and currency");
  PaymentIntent intent{.amount = *amount};
  intent.id = string_member(v, "id");
  intent.status = string_member(v, "status");
  if (intent.id.empty() || intent.status.empty()) return invalid_response("payment intent without id or status");
  if (const auto* next = member(v, "next_action")) {
    if (const auto* redirect = member(*next, "redirect_to_url")) {
      auto url = string_member(*redirect, "url");
      if (!url.empty()) intent.redirect_url = std::move(url);
    }
  }
  if (const auto* last = member(v, "last_payment_error"); last != nullptr && last->IsObject()) {
    StripeError error = error_fields(*last);
    error.http_status = 402;  // what Stripe answered to the failed confirmation
    classify(error);
    intent.last_payment_error = std::move(error);
  }
  intent.latest_charge = id_member(v, "latest_charge");
  intent.cancellation_reason = string_member(v, "cancellation_reason");
  if (const auto* live = member(v, "livemode"); live != nullptr && live->IsBool()) intent.livemode = live->GetBool();
  if (const auto* metadata = member(v, "metadata"); metadata != nullptr && metadata->IsObject()) {
    intent.metadata_payment_id = string_member(*metadata, "payment_id");
    intent.metadata_merchant_id = string_member(*metadata, "merchant_id");
  }
  return intent;
}

StripeResult<Refund> refund_from(const rapidjson::Value& v) {
  auto amount = money_members(v);
  if (!amount) return invalid_response("refund without a readable amount and currency");
  Refund refund{.amount = *amount};
  refund.id = string_member(v, "id");
  refund.status = string_member(v, "status");
  if (refund.id.empty() || refund.status.empty()) return invalid_response("refund without id or status");
  refund.payment_intent = id_member(v, "payment_intent");
  refund.failure_reason = string_member(v, "failure_reason");
  return refund;
}

StripeResult<Dispute> dispute_from(const rapidjson::Value& v) {
  auto amount = money_members(v);
  if (!amount) return invalid_response("dispute without a readable amount and currency");
  Dispute dispute{.amount = *amount};
  dispute.id = string_member(v, "id");
  dispute.status = string_member(v, "status");
  dispute.reason = string_member(v, "reason");
  if (dispute.id.empty()) return invalid_response("dispute without id");
  dispute.payment_intent = id_member(v, "payment_intent");
  dispute.charge = id_member(v, "charge");
  return dispute;
}

std::string serialize(const rapidjson::Value& value) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  value.Accept(writer);
  return {buffer.GetString(), buffer.GetSize()};
}

}  // namespace

StripeResult<PaymentIntent> parse_payment_intent(std::string_view body) {
  rapidjson::Document doc;
  if (!parse_document(doc, body)) return invalid_response("payment intent response is not a JSON object");
  return intent_from(doc);
}

StripeResult<Refund> parse_refund(std::string_view body) {
  rapidjson::Document doc;
  if (!parse_document(doc, body)) return invalid_response("refund response is not a JSON object");
  return refund_from(doc);
}

StripeResult<std::vector<PaymentIntent>> parse_payment_intent_search(std::string_view body) {
  rapidjson::Document doc;
  if (!parse_document(doc, body)) return invalid_response("search response is not a JSON object");
  const auto* data = member(doc, "data");
  if (data == nullptr || !data->IsArray()) return invalid_response("search response without a data array");
  std::vector<PaymentIntent> intents;
  intents.reserve(data->Size());
  for (const auto& item : data->GetArray()) {
    auto intent = intent_from(item);
    if (!intent) return std::move(intent).error();
    intents.push_back(std::move(intent).value());
  }
  return intents;
}

StripeResult<Dispute> parse_dispute(std::string_view body) {
  rapidjson::Document doc;
  if (!parse_document(doc, body)) return invalid_response("dispute is not a JSON object");
  return dispute_from(doc);
}

Result<StripeEvent> parse_event(std::string_view body) {
  rapidjson::Document doc;
  if (!parse_document(doc, body)) return Error::validation("body", "is not a JSON object");
  StripeEvent event;
  event.id = string_member(doc, "id");
  if (event.id.rfind("evt_", 0) != 0 || event.id.size() > 255) {
    return Error::validation("id", "must be a Stripe event id (evt_...)");
  }
  event.type = string_member(doc, "type");
  if (event.type.empty() || event.type.size() > 128) return Error::validation("type", "must be an event type");
  if (!int_member(doc, "created", event.created)) return Error::validation("created", "must be a unix time");
  const auto* data = member(doc, "data");
  const auto* object = data != nullptr ? member(*data, "object") : nullptr;
  if (object == nullptr || !object->IsObject()) return Error::validation("data.object", "must be an object");
  event.object_type = string_member(*object, "object");
  event.object_id = string_member(*object, "id");
  if (event.object_id.empty()) return Error::validation("data.object.id", "must be a non-empty string");
  event.payment_intent = event.object_type == "payment_intent" ? event.object_id : id_member(*object, "payment_intent");
  if (const auto* metadata = member(*object, "metadata"); metadata != nullptr && metadata->IsObject()) {
    event.metadata_payment_id = string_member(*metadata, "payment_id");
    event.metadata_refund_id = string_member(*metadata, "refund_id");
  }
  event.object_json = serialize(*object);
  return event;
}

StripeError parse_error_response(int http_status, std::string_view body) {
  rapidjson::Document doc;
  StripeError out;
  const rapidjson::Value* error = parse_document(doc, body) ? member(doc, "error") : nullptr;
  if (error != nullptr && error->IsObject()) {
    out = error_fields(*error);
    if (const auto* pi = member(*error, "payment_intent"); pi != nullptr && pi->IsObject()) {
      if (auto intent = intent_from(*pi)) {
        out.payment_intent = std::make_shared<const PaymentIntent>(std::move(intent).value());
      }
    }
  } else {
    out.type = http_status >= 500 ? "api_error" : "invalid_response";
    out.message = "Stripe answered HTTP " + std::to_string(http_status) + " without an error object";
  }
  out.http_status = http_status;
  classify(out);
  return out;
}

}  // namespace payments::stripe
