#include "frontend.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>

#include "form.hpp"

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
  co_await delay(settings.latency_ms);  // the idempotency key stays in flight meanwhile
  auto answer = simulator_.complete(std::move(pending));
  if (fault == Fault::timeout) {
    // The work is done and recorded (and its answer stored for the idempotency key); the client never
    // hears back and must give up on its own.
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
    if (get && what == "requests") return json(200, simulator_.requests_json());
    if (get && what == "faults") return json(200, FaultInjector::to_json(faults_.settings()));
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
    if (post && what == "reset") {
      simulator_.reset();
      faults_.restore_initial();
      return json(200, R"({"reset":true})");
    }
  }
  if (parts.size() == 4 && parts[1] == "refunds" && parts[3] == "fail" && post) {
    return to_http(simulator_.fail_refund(parts[2], query.get("failure_reason").value_or("")));
  }
  if (parts.size() == 4 && parts[1] == "payment_intents" && parts[3] == "authenticate" && (get || post)) {
    const bool succeed = query.get("outcome").value_or("succeed") != "fail";
    return to_http(simulator_.authenticate_payment_intent(parts[2], succeed));
  }
  return http::Response::json_error(404, "not_found",
                                    "unknown control endpoint " + request.method + " " + std::string(request.path()));
}

}  // namespace payments::stripe_sim
