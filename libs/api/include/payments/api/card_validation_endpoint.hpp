#pragma once
// `POST /api/v1/cards/validate`: stateless checks of typed card details (brand, length, Luhn, expiry, CVC
// length). The body carries a raw card number, so the router must not run the raw-card-data refusal on
// this route, and nothing here logs or stores the request.

#include <cstddef>

#include "payments/core/card_validation.hpp"
#include "payments/http/message.hpp"

namespace payments::api {

// Larger bodies are refused with 413 before parsing; a card's four fields fit in far less.
inline constexpr std::size_t kCardValidationBodyLimit = 4 * 1024;

// Body `{"number": string, "exp_month": integer, "exp_year": integer, "cvc": string}`, all required, no
// other members. A malformed body (not JSON, a wrong type, a missing or unknown field) is 400
// validation_error naming the field; a well-formed one is always 200
// `{"valid": bool, "brand": "visa"|...|"unknown", "last4": "4242"|null, "errors": [{"field", "code", "message"}]}`,
// valid=false with the problems listed when the card does not pass. Neither the number nor the CVC is
// ever echoed. The method is the router's concern.
http::Response validate_card_request(const http::Request& request, YearMonth today);

}  // namespace payments::api
