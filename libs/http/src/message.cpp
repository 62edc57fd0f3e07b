#include "payments/http/message.hpp"

#include "payments/core/json_text.hpp"

namespace payments::http {
namespace {

char lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}


}  // namespace

std::optional<std::string_view> find_header(const Headers& headers, std::string_view name) noexcept {
  for (const auto& header : headers) {
    if (iequals(header.name, name)) return std::string_view(header.value);
  }
  return std::nullopt;
}

std::string_view Request::path() const noexcept {
  const std::string_view t(target);
  return t.substr(0, t.find('?'));
}

std::string_view Request::query() const noexcept {
  const std::string_view t(target);
  const auto q = t.find('?');
  return q == std::string_view::npos ? std::string_view{} : t.substr(q + 1);
}

Response Response::json_error(int status, std::string_view code, std::string_view message) {
  Response response;
  response.status = status;
  response.body = "{\"error\":{\"code\":";
  append_json_string(response.body, code);
  response.body += ",\"message\":";
  append_json_string(response.body, message);
  response.body += "}}";
  return response;
}

}  // namespace payments::http
