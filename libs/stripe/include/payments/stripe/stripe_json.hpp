#pragma once
// Stripe's JSON answers turned into the domain's structs. Pure functions: no I/O, no allocation of Beast or
// RapidJSON types in the interface.

#include <string_view>
#include <vector>

#include "payments/core/stripe_gateway.hpp"

namespace payments::stripe {

// A 2xx body. An unparseable or incomplete body gives an error of type "invalid_response" (kind transient;
// the caller decides whether that means the outcome is unknown).
StripeResult<PaymentIntent> parse_payment_intent(std::string_view body);
StripeResult<Refund> parse_refund(std::string_view body);
// A search_result: {"object":"search_result","data":[...]}.
StripeResult<std::vector<PaymentIntent>> parse_payment_intent_search(std::string_view body);

StripeResult<Dispute> parse_dispute(std::string_view body);

// A webhook's body: an event with id, type, created and data.object (an object with an id). The error names
// the missing or malformed field; the body is never repeated in it.
Result<StripeEvent> parse_event(std::string_view body);

// A non-2xx answer: Stripe's {"error":{...}} object, classified. A body that is not an error object (a proxy's
// HTML page) still yields an error carrying the status.
StripeError parse_error_response(int http_status, std::string_view body);

}  // namespace payments::stripe
