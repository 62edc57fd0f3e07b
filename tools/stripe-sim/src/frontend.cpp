#include "frontend.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <charconv>
#include <chrono>
#include <rapidjson/document.h>

#include "form.hpp"
#include "stripe_json.hpp"

namespace payments::stripe_sim {
namespace {

namespace asio = boost::asio;

http::Response to_http(ApiResponse api) {
  http::Response response;
  response.status = api.status;
  response.body = std::move(api.body);
  for (auto& [name, value] : api.headers) response.headers.push_back({std::move(name), std::move(value)});
  return response;
}

http::Response json(int status, std::string body) {
  http::Response response;
  response.status = status;
  response.body = std::move(body);
  return response;
}

// Waits without holding a thread, so hundreds of delayed answers can be in flight at once.
asio::awaitable<void> delay(std::int64_t milliseconds) {
  if (milliseconds <= 0) co_return;
  asio::steady_timer timer(co_await asio::this_coro::executor, std::chrono::milliseconds(milliseconds));
  co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
}

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> parts;
  while (!path.empty()) {
    const auto slash = path.find('/');
    if (slash != 0) parts.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return parts;
}

http::Response error_response(const Error& error) {
  const int status = error.code == ErrorCode::not_found ? 404 : error.code == ErrorCode::invalid_state ? 409 : 400;
  return http::Response::json_error(status, to_string(error.code),
                                    error.field.empty() ? error.message : error.field + ": " + error.message);
}

// A query parameter that must be a non-negative integer when present.
Result<std::optional<std::int64_t>> unix_seconds(const FormParams& query, const std::string& name) {
  const auto text = query.get(name);
  if (!text) return std::optional<std::int64_t>{};
  std::int64_t value = 0;
  const auto* end = text->data() + text->size();
  const auto [ptr, ec] = std::from_chars(text->data(), end, value);
  if (text->empty() || ec != std::errc{} || ptr != end || value < 0) {
    return Error::validation(name, "must be unix seconds (a non-negative integer)");
  }
  return std::optional<std::int64_t>{value};
}

// POST /_sim/webhooks/config: {"url": "http://..." | "" | null, "secret"?: "whsec_..."}.
http::Response configure_webhooks(WebhookSender& webhooks, const std::string& body) {
  rapidjson::Document doc;
  doc.Parse(body.c_str(), body.size());
  if (doc.HasParseError() || !doc.IsObject()) {
    return http::Response::json_error(400, "validation_error", R"(body must be {"url": ..., "secret": ...})");
  }
  std::string url = webhooks.url();
  std::string secret;
  for (const auto& member : doc.GetObject()) {
    const std::string name(member.name.GetString(), member.name.GetStringLength());
    const auto& value = member.value;
    if (name == "url" && value.IsNull()) {
      url.clear();
    } else if ((name == "url" || name == "secret") && value.IsString()) {
      (name == "url" ? url : secret) = std::string(value.GetString(), value.GetStringLength());
    } else {
      return http::Response::json_error(400, "validation_error", name + ": expected url (string or null), secret (string)");
    }
  }
  if (auto configured = webhooks.configure(url, Secret(std::move(secret))); !configured) {
    return error_response(configured.error());
  }
  JsonOut out;
  out.w.StartObject();
  field_or_null(out.w, "url", webhooks.url());
  key(out.w, "enabled");
  out.w.Bool(!webhooks.url().empty());
  out.w.EndObject();
  return json(200, out.str());
}

}  // namespace

http::AsyncHandler SimFrontend::handler() {
  return {[this](http::Request request) { return handle(std::move(request)); }};
}

asio::awaitable<http::Response> SimFrontend::handle(http::Request request) {
  const std::string path(request.path());
  if (path.rfind("/_sim/", 0) == 0) co_return handle_control(request);

  simulator_.note_request(request.method, path);
  const auto settings = faults_.settings();
  ApiRequest api;
  api.method = request.method;
  api.path = path;
  api.query = std::string(request.query());
  api.body = std::move(request.body);
  if (auto value = request.header("authorization")) api.authorization = std::string(*value);
  if (auto value = request.header("idempotency-key")) api.idempotency_key = std::string(*value);

  if (auto denied = simulator_.authenticate(api.authorization)) {
    co_await delay(settings.latency_ms);
    co_return to_http(std::move(*denied));
  }
  // Rate limiting and the injected 500 come before the idempotency layer: nothing is executed or
  // stored, so a retry with the same key does the work.
  const auto fault = faults_.next();
  if (fault == Fault::rate_limit) {
    co_await delay(settings.latency_ms);
    auto response = to_http(make_stripe_error(
        429, "invalid_request_error", "rate_limit",
        "Too many requests hit the API too quickly. We recommend an exponential backoff of your requests."));
    response.headers.push_back({"Stripe-Should-Retry", "true"});
    co_return response;
  }
  if (fault == Fault::fail) {
    co_await delay(settings.latency_ms);
    co_return to_http(make_stripe_error(500, "api_error", {},
                                        "An unknown error occurred (injected by stripe-sim --fail-rate)."));
  }
  auto pending = simulator_.begin(api);
  const bool executed = pending.executed;
  co_await delay(settings.latency_ms);  // the idempotency key stays in flight meanwhile
  auto answer = simulator_.complete(std::move(pending));
  if (fault == Fault::timeout && executed) {
    // The work is done and recorded (and its answer stored for the idempotency key); the client never
    // hears back and must give up on its own. A replay is never withheld: it ran nothing, and answering it
    // is how the client recovers, by retrying with the same Idempotency-Key, even at --timeout-rate 1.
    http::Response hold;
    hold.hold_connection = true;
    co_return hold;
  }
  co_return to_http(std::move(answer));
}

http::Response SimFrontend::handle_control(const http::Request& request) {
  const auto parts = split_path(request.path());  // "_sim", ...
  const bool get = request.method == "GET";
  const bool post = request.method == "POST";
  const auto query = FormParams::parse(request.query());
  if (parts.size() == 2) {
    const auto what = parts[1];
    if (get && what == "health") return json(200, R"({"status":"ok"})");
    if (get && what == "charges") return json(200, simulator_.charges_json());
    if (get && what == "refunds") return json(200, simulator_.refunds_json());
    if (get && what == "disputes") return json(200, simulator_.disputes_json());
    if (get && what == "requests") return json(200, simulator_.requests_json());
    if (get && what == "faults") return json(200, FaultInjector::to_json(faults_.settings(), faults_.counts()));
    if (post && what == "faults") {
      auto parsed = FaultInjector::parse_json(request.body, faults_.settings());
      if (!parsed) {
        auto response = http::Response::json_error(400, "validation_error",
                                                   parsed.error().field + ": " + parsed.error().message);
        return response;
      }
      faults_.set(parsed.value());
      return json(200, FaultInjector::to_json(parsed.value()));
    }
    if (get && what == "webhooks") return json(200, webhooks_.to_json());
    if (post && what == "reset") {
      simulator_.reset();
      faults_.restore_initial();
      webhooks_.reset();
      return json(200, R"({"reset":true})");
    }
  }
  if (parts.size() == 3 && parts[1] == "webhooks" && parts[2] == "config" && post) {
    return configure_webhooks(webhooks_, request.body);
  }
  if (parts.size() == 4 && parts[1] == "events" && parts[3] == "resend" && post) {
    WebhookResend resend;
    auto created = unix_seconds(query, "created");
    if (!created) return error_response(created.error());
    auto signed_at = unix_seconds(query, "signed_at");
    if (!signed_at) return error_response(signed_at.error());
    resend.created = created.value();
    resend.signed_at = signed_at.value();
    if (auto sent = webhooks_.resend(parts[2], resend); !sent) return error_response(sent.error());
    return json(202, R"({"resent":")" + std::string(parts[2]) + R"("})");
  }
  if (parts.size() == 4 && parts[1] == "refunds" && parts[3] == "fail" && post) {
    return to_http(simulator_.fail_refund(parts[2], query.get("failure_reason").value_or("")));
  }
  if (parts.size() == 4 && parts[1] == "payment_intents" && parts[3] == "authenticate" && (get || post)) {
    const bool succeed = query.get("outcome").value_or("succeed") != "fail";
    return to_http(simulator_.authenticate_payment_intent(parts[2], succeed));
  }
  if (parts.size() == 4 && parts[1] == "payment_intents" && parts[3] == "dispute" && post) {
    return to_http(
        simulator_.dispute_payment_intent(parts[2], query.get("reason").value_or(""), query.get("amount")));
  }
  return http::Response::json_error(404, "not_found",
                                    "unknown control endpoint " + request.method + " " + std::string(request.path()));
}

}  // namespace payments::stripe_sim
