// Stripe's answers as the client reads them (stripe::parse_payment_intent, parse_refund,
// parse_payment_intent_search, parse_dispute, parse_error_response). Input: a response body.
//
// Invariants: a 2xx body the client cannot use is an invalid_response error, transient and retryable (the
// outcome of the call is unknown, never "failed"); what parses has the fields the worker relies on; an error
// response keeps its HTTP status and is classified exactly as classify_stripe_error() says.
#include <cstddef>
#include <cstdint>

#include "invariants.hpp"
#include "payments/core/stripe_gateway.hpp"
#include "payments/stripe/stripe_json.hpp"

namespace {

using namespace payments;
using fuzz::require;

void require_unusable(const StripeError& error) {
  require(error.type == "invalid_response" && error.kind == StripeFailureKind::transient && error.retryable,
          "an unusable 2xx answer is not a transient invalid_response", error.message);
}

void require_classified(const StripeError& error) {
  require(error.kind == classify_stripe_error(error.http_status, error.type, error.code),
          "an error is not classified as classify_stripe_error says", error.type);
  require(error.retryable == is_retryable(error.kind), "an error's retryable disagrees with its kind", error.type);
}

void require_usable(const PaymentIntent& intent) {
  require(!intent.id.empty() && !intent.status.empty(), "a payment intent without id or status");
  (void)to_string(classify_payment_intent(intent));
  if (intent.last_payment_error) {
    require(intent.last_payment_error->http_status == 402, "a last_payment_error not taken as a 402");
    require_classified(*intent.last_payment_error);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body = fuzz::as_text(data, size);

  if (auto intent = stripe::parse_payment_intent(body)) {
    require_usable(intent.value());
  } else {
    require_unusable(intent.error());
  }
  if (auto refund = stripe::parse_refund(body)) {
    require(!refund->id.empty() && !refund->status.empty(), "a refund without id or status");
    (void)classify_refund(refund.value());
  } else {
    require_unusable(refund.error());
  }
  if (auto found = stripe::parse_payment_intent_search(body)) {
    for (const auto& intent : found.value()) require_usable(intent);
  } else {
    require_unusable(found.error());
  }
  if (auto dispute = stripe::parse_dispute(body)) {
    require(!dispute->id.empty(), "a dispute without id");
  } else {
    require_unusable(dispute.error());
  }
  for (const int status : {400, 401, 402, 404, 409, 429, 500, 503}) {
    const StripeError error = stripe::parse_error_response(status, body);
    require(error.http_status == status, "an error response loses its HTTP status");
    require_classified(error);
    if (error.payment_intent) require_usable(*error.payment_intent);
  }
  return 0;
}
