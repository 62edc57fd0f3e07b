#pragma once
// Plain HTTP request and response values, free of any networking library, so handlers are pure
// functions that tests can call directly.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace payments::http {

struct Header {
  std::string name;  // lower case
  std::string value;
};
using Headers = std::vector<Header>;

// Case-insensitive lookup of the first header called `name`.
std::optional<std::string_view> find_header(const Headers& headers, std::string_view name) noexcept;

struct Request {
  std::string method;  // "GET", "POST", ... as sent
  std::string target;  // path and query, e.g. "/v1/refunds?limit=3"
  Headers headers;     // names in lower case, in the order received
  std::string body;
  std::string remote_address;  // "ip:port" of the peer

  [[nodiscard]] std::optional<std::string_view> header(std::string_view name) const noexcept {
    return find_header(headers, name);
  }
  // The target without its query string, and the query string without its '?'.
  [[nodiscard]] std::string_view path() const noexcept;
  [[nodiscard]] std::string_view query() const noexcept;
};

struct Response {
  int status = 200;
  Headers headers;  // Content-Type and Content-Length are set by the server; do not add them here
  std::string body;
  std::string content_type = "application/json";
  // Send nothing and keep the connection open until the peer closes it or the server stops. Only for
  // fault injection (a peer that "never answers"); ordinary handlers leave it false.
  bool hold_connection = false;

  Response& with_header(std::string name, std::string value) {
    headers.push_back({std::move(name), std::move(value)});
    return *this;
  }

  // `{"error": {"code": ..., "message": ...}}`, the project's error shape.
  static Response json_error(int status, std::string_view code, std::string_view message);
};

}  // namespace payments::http
