#include "request_reading.hpp"

#include <boost/beast/http/error.hpp>

namespace payments::http {
namespace {

namespace bhttp = boost::beast::http;

std::string lower_case(std::string_view text) {
  std::string out(text);
  for (auto& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

}  // namespace

void limit_request_parser(RequestParser& parser, const ServerOptions& options) {
  parser.header_limit(static_cast<std::uint32_t>(options.header_limit));
  parser.body_limit(static_cast<std::uint64_t>(options.body_limit));
}

Request to_request(bhttp::request<bhttp::string_body>&& message, const std::string& remote) {
  Request request;
  request.method = std::string(message.method_string());
  request.target = std::string(message.target());
  for (const auto& field : message) {
    request.headers.push_back({lower_case(field.name_string()), std::string(field.value())});
  }
  request.body = std::move(message.body());
  request.remote_address = remote;
  return request;
}

std::optional<Response> refusal_for(const boost::beast::error_code& read_error, const ServerOptions& options) {
  if (read_error == bhttp::error::body_limit) {
    return Response::json_error(413, "payload_too_large",
                                "request body exceeds " + std::to_string(options.body_limit) + " bytes");
  }
  if (read_error == bhttp::error::header_limit) {
    return Response::json_error(431, "headers_too_large",
                                "request headers exceed " + std::to_string(options.header_limit) + " bytes");
  }
  if (&read_error.category() == &bhttp::make_error_code(bhttp::error::bad_target).category() &&
      read_error != bhttp::error::end_of_stream && read_error != bhttp::error::partial_message) {
    return Response::json_error(400, "bad_request", "malformed HTTP request");
  }
  return std::nullopt;  // end of stream, timeout, reset or stop(): nothing to answer
}

}  // namespace payments::http
