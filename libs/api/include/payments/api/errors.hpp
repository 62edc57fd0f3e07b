#pragma once
// The one place a domain error becomes an HTTP status and the contract's error body.

#include "payments/core/result.hpp"
#include "payments/http/message.hpp"

namespace payments::api {

int http_status(ErrorCode code) noexcept;

// `{"error": {"code", "message", "field"?}}` with the status http_status() gives.
http::Response error_response(const Error& error);

}  // namespace payments::api
