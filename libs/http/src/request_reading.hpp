#pragma once
// How the server reads one request off the wire: Beast's parser with the listener's header and body limits,
// the conversion of what it parsed into a plain Request, and the answer a failed read gets. Private to
// libs/http; the server and the HTTP parser fuzz target (tests/fuzz/http_request.cpp) share it, so the
// target exercises exactly the configuration the server runs with.

#include <boost/beast/core/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include <optional>
#include <string>

#include "payments/http/message.hpp"
#include "payments/http/server.hpp"

namespace payments::http {

using RequestParser = boost::beast::http::request_parser<boost::beast::http::string_body>;

// Applies the listener's limits to a fresh parser: headers over header_limit fail with header_limit, bodies
// over body_limit with body_limit, before the bytes are buffered.
void limit_request_parser(RequestParser& parser, const ServerOptions& options);

// The parsed message as the handlers see it: header names in lower case, in the order received.
Request to_request(boost::beast::http::request<boost::beast::http::string_body>&& message, const std::string& remote);

// The answer to a read that failed with `read_error`: 413 over the body limit, 431 over the header limit, 400 for
// any other malformed request. nullopt when there is nobody to answer (end of stream, timeout, reset, stop()).
std::optional<Response> refusal_for(const boost::beast::error_code& read_error, const ServerOptions& options);

}  // namespace payments::http
