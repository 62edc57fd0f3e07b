// The REST bodies of POST /api/v1/payments and POST /api/v1/payments/{id}/refunds, through the API's own path:
// the body is parsed and validated (events::parse_payment_request, events::parse_refund_request) and a refusal
// is rendered as the caller sees it (api::error_response). Input: the request body.
//
// Invariants: a refusal is 400 (naming its field, or about the body) or 422 (a card number), and neither its
// message nor the response body repeats a card number; an accepted payment's canonical JSON (what is stored and
// published) holds no card number and reads back to itself; an accepted refund's amount is within the limit.
#include <cstddef>
#include <cstdint>

#include "invariants.hpp"
#include "payments/api/errors.hpp"
#include "payments/core/money.hpp"
#include "payments/events/commands.hpp"

namespace {

using namespace payments;
using fuzz::require;

void check_refusal(const Error& error) {
  fuzz::require_well_formed_error(error);
  const http::Response response = api::error_response(error);
  require(response.status == 400 || response.status == 422, "a body was refused with neither 400 nor 422",
          response.body);
  require(response.status == 400 || error.code == ErrorCode::raw_card_data, "422 for something but a card number",
          response.body);
  fuzz::require_no_card_number(response.body, "an error response repeats a card number");
  if (!error.field.empty()) {
    require(response.body.find("\"field\":") != std::string::npos, "an error response names no field",
            response.body);
  }
}

void payment_body(std::string_view body) {
  auto parsed = events::parse_payment_request(body);
  if (!parsed) return check_refusal(parsed.error());
  const PaymentRequest& payment = parsed.value();
  require(payment.amount.minor() > 0 && payment.amount.minor() <= kMaxAmountMinor,
          "an accepted amount is out of range");
  const std::string canonical = events::payment_request_json(payment);
  fuzz::require_no_card_number(canonical, "an accepted payment carries a card number");
  auto again = events::parse_payment_request(canonical);
  require(again.has_value(), "a payment's canonical JSON is refused", canonical);
  require(events::payment_request_json(again.value()) == canonical, "a payment's canonical JSON changes on a re-read",
          canonical);
}

void refund_body(std::string_view body) {
  // As the route does: an empty body is a refund of everything left.
  auto parsed = events::parse_refund_request(body.empty() ? "{}" : body, false);
  if (!parsed) return check_refusal(parsed.error());
  const RefundCommandData& refund = parsed.value();
  require(!refund.amount || (*refund.amount > 0 && *refund.amount <= kMaxAmountMinor),
          "an accepted refund amount is out of range");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body = fuzz::as_text(data, size);
  payment_body(body);
  refund_body(body);
  return 0;
}
