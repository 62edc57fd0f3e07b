#include "payments/api/card_validation_endpoint.hpp"

#include <cstdint>
#include <limits>
#include <string>

#include "payments/api/errors.hpp"
#include "payments/core/card_number.hpp"
#include "payments/json/json.hpp"

namespace payments::api {
namespace {

// Out-of-range integers become the nearest int, which the domain then reports as an invalid month or year.
int clamp_to_int(std::int64_t value) noexcept {
  constexpr std::int64_t low = std::numeric_limits<int>::min();
  constexpr std::int64_t high = std::numeric_limits<int>::max();
  return static_cast<int>(value < low ? low : (value > high ? high : value));
}

Result<CardInput> read_card_input(std::string_view body) {
  auto document = json::parse(body, {.max_bytes = kCardValidationBodyLimit, .max_depth = 2});
  if (!document) return std::move(document).error();
  const json::ObjectReader reader(document.value());
  if (auto known = reader.only({"number", "exp_month", "exp_year", "cvc"}); !known) {
    Error error = std::move(known).error();
    // An unknown member's name is echoed back; not when someone typed a card number as the name.
    if (contains_card_number(error.field)) error.field = "(a field named like a card number)";
    return error;
  }
  auto number = reader.string("number");
  if (!number) return std::move(number).error();
  auto exp_month = reader.integer("exp_month");
  if (!exp_month) return std::move(exp_month).error();
  auto exp_year = reader.integer("exp_year");
  if (!exp_year) return std::move(exp_year).error();
  auto cvc = reader.string("cvc");
  if (!cvc) return std::move(cvc).error();
  return CardInput{std::move(number).value(), clamp_to_int(exp_month.value()), clamp_to_int(exp_year.value()),
                   std::move(cvc).value()};
}

std::string errors_array(const std::vector<FieldError>& errors) {
  std::string out = "[";
  for (const auto& error : errors) {
    if (out.size() > 1) out += ',';
    json::Builder b;
    b.begin_object()
        .field("field", error.field)
        .field("code", error.code)
        .field("message", error.message)
        .end_object();
    out += b.str();
  }
  out += ']';
  return out;
}

}  // namespace

http::Response validate_card_request(const http::Request& request, YearMonth today) {
  if (request.body.size() > kCardValidationBodyLimit) {
    return http::Response::json_error(413, "payload_too_large",
                                      "request body exceeds " + std::to_string(kCardValidationBodyLimit) + " bytes");
  }
  auto input = read_card_input(request.body);
  if (!input) return error_response(input.error());

  const CardCheck check = validate_card(input.value(), today);
  json::Builder b;
  b.begin_object().key("valid").value(check.valid).field("brand", to_string(check.brand)).key("last4");
  if (check.last4.empty()) {
    b.null();
  } else {
    b.value(std::string_view(check.last4));
  }
  b.key("errors").raw(errors_array(check.errors)).end_object();

  http::Response response;
  response.status = 200;
  response.body = b.str();
  response.with_header("Cache-Control", "no-store");
  return response;
}

}  // namespace payments::api
