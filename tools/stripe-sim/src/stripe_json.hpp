#pragma once
// Stripe's objects and error bodies as JSON, written with RapidJSON. Private to the simulator.

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "simulator.hpp"

namespace payments::stripe_sim {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

struct JsonOut {
  rapidjson::StringBuffer buffer;
  Writer w{buffer};
  [[nodiscard]] std::string str() const { return {buffer.GetString(), buffer.GetSize()}; }
};

void key(Writer& w, std::string_view k);
void string(Writer& w, std::string_view v);
void field(Writer& w, std::string_view k, std::string_view v);
void field_or_null(Writer& w, std::string_view k, std::string_view v);  // "" is written as null
void field(Writer& w, std::string_view k, std::int64_t v);
void write_metadata(Writer& w, const Metadata& metadata);
void write_payment_intent(Writer& w, const PaymentIntent& pi);
void write_refund(Writer& w, const Refund& refund, bool with_idempotency_key);
void write_dispute(Writer& w, const Dispute& dispute);

std::string payment_intent_json(const PaymentIntent& pi);
std::string refund_json(const Refund& refund);
// A Charge object as Stripe puts it in charge.* events; `amount_refunded` is what its refunds add up to so far.
std::string charge_json(const Charge& charge, std::int64_t amount_refunded);
std::string dispute_json(const Dispute& dispute);
// A Stripe event: {"id","object":"event","api_version","created","data":{"object":<object_json>},"livemode":false,
// "pending_webhooks":1,"request":{"id":null,"idempotency_key":null},"type"}. `object_json` is embedded as is.
std::string event_json(std::string_view id, std::string_view type, std::int64_t created, std::string_view api_version,
                       std::string_view object_json);

ApiResponse ok(std::string body);
// 400 invalid_request_error; `param` and `code` are left out when empty.
ApiResponse invalid_request(std::string_view message, std::string_view param = {}, std::string_view code = {});
// resource_missing: "No such payment_intent: 'pi_x'".
ApiResponse missing_object(std::string_view kind, std::string_view id, std::string_view param, int status);
// 402 card_error with the payment intent inside, as Stripe answers a declined confirmation.
ApiResponse card_declined(const CardError& error, const PaymentIntent& pi);

}  // namespace payments::stripe_sim
