#include "payments/api/errors.hpp"

#include "payments/json/json.hpp"

namespace payments::api {

int http_status(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::validation_error: return 400;
    case ErrorCode::raw_card_data: return 422;
    case ErrorCode::not_found: return 404;
    case ErrorCode::idempotency_conflict: return 409;
    case ErrorCode::invalid_state: return 409;
    case ErrorCode::unavailable: return 503;
    case ErrorCode::internal: return 500;
    case ErrorCode::unauthenticated: return 401;
    case ErrorCode::forbidden: return 403;
    case ErrorCode::rate_limited: return 429;
  }
  return 500;
}

http::Response error_response(const Error& error) {
  json::Builder b;
  // The message reads on its own: "amount must be ...", not just "must be ...".
  std::string message = error.message;
  if (!error.field.empty() && message.rfind(error.field, 0) != 0) message = error.field + " " + message;
  b.begin_object().key("error").begin_object().field("code", to_string(error.code)).field("message", message);
  if (!error.field.empty()) b.field("field", error.field);
  b.end_object().end_object();
  http::Response response;
  response.status = http_status(error.code);
  response.body = b.str();
  if (error.code == ErrorCode::unavailable) response.with_header("Retry-After", "1");
  if (error.code == ErrorCode::unauthenticated) response.with_header("WWW-Authenticate", "Bearer");
  return response;
}

}  // namespace payments::api
