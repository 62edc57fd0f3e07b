#include <vector>

#include "api_impl.hpp"
#include "payments/api/card_validation_endpoint.hpp"
#include "payments/api/errors.hpp"
#include "payments/core/ids.hpp"
#include "payments/core/log.hpp"
#include "payments/events/commands.hpp"
#include "payments/events/publish.hpp"
#include "payments/events/topics.hpp"
#include "payments/json/json.hpp"
#include "payments/runtime/awaitable.hpp"
#include "views.hpp"

namespace payments::api {
namespace {

using boost::asio::awaitable;
using runtime::run_blocking;

constexpr const char* kCreateScope = "payments.create";

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> parts;
  while (!path.empty()) {
    if (path.front() == '/') {
      path.remove_prefix(1);
      continue;
    }
    const auto end = path.find('/');
    parts.push_back(path.substr(0, end));
    if (end == std::string_view::npos) break;
    path.remove_prefix(end);
  }
  return parts;
}

http::Response method_not_allowed(const char* allow) {
  return http::Response::json_error(405, "method_not_allowed", "method not allowed on this path")
      .with_header("Allow", allow);
}

enum class Action {
  payments_create,
  payments_get,
  payments_status,
  otp_send,
  otp_verify,
  refunds_create,
  refunds_list,
  refunds_get,
  cards_validate,
};

// A route that needs a credential: what it does, the scope it needs, and the id in its path.
struct ProtectedRoute {
  std::string name;  // for metrics
  Action action;
  auth::Scope scope;
  bool method_ok;
  const char* allow;  // the methods the path takes, for 405
  std::string id;     // the payment's or refund's id in the path; empty when none
};

// The one table of protected routes and their scopes.
std::optional<ProtectedRoute> match_protected(const std::vector<std::string_view>& parts, const std::string& method) {
  using auth::Scope;
  const bool get = method == "GET";
  const bool post = method == "POST";
  if (parts.size() < 3 || parts[0] != "api" || parts[1] != "v1") return std::nullopt;
  const std::string id = parts.size() > 3 ? std::string(parts[3]) : std::string();
  if (parts[2] == "payments") {
    if (parts.size() == 3) {
      return ProtectedRoute{"payments.create", Action::payments_create, Scope::payments_write, post, "POST", {}};
    }
    if (parts.size() == 4) {
      return ProtectedRoute{"payments.get", Action::payments_get, Scope::payments_read, get, "GET", id};
    }
    if (parts.size() == 5 && parts[4] == "status") {
      return ProtectedRoute{"payments.status", Action::payments_status, Scope::payments_read, get, "GET", id};
    }
    if (parts.size() == 5 && parts[4] == "otp") {
      return ProtectedRoute{"otp.send", Action::otp_send, Scope::payments_write, post, "POST", id};
    }
    if (parts.size() == 6 && parts[4] == "otp" && parts[5] == "verify") {
      return ProtectedRoute{"otp.verify", Action::otp_verify, Scope::payments_write, post, "POST", id};
    }
    if (parts.size() == 5 && parts[4] == "refunds") {
      if (post) {
        return ProtectedRoute{"refunds.create", Action::refunds_create, Scope::refunds_write, true, "GET, POST", id};
      }
      return ProtectedRoute{"refunds.list", Action::refunds_list, Scope::payments_read, get, "GET, POST", id};
    }
    return std::nullopt;
  }
  if (parts[2] == "refunds" && parts.size() == 4) {
    return ProtectedRoute{"refunds.get", Action::refunds_get, Scope::payments_read, get, "GET", id};
  }
  if (parts[2] == "cards" && parts.size() == 4 && parts[3] == "validate") {
    return ProtectedRoute{"cards.validate", Action::cards_validate, Scope::payments_write, post, "POST", {}};
  }
  return std::nullopt;
}

void add_rate_headers(http::Response& response, const auth::RateDecision& rate) {
  response.with_header("RateLimit-Limit", std::to_string(rate.limit))
      .with_header("RateLimit-Remaining", std::to_string(rate.remaining))
      .with_header("RateLimit-Reset", std::to_string(rate.reset.count()));
  if (!rate.allowed) response.with_header("Retry-After", std::to_string(rate.retry_after.count()));
}

}  // namespace

http::Response json_response(int status, std::string body) {
  http::Response r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

Error not_found(std::string_view what) { return {ErrorCode::not_found, "no such " + std::string(what), {}}; }

Result<std::optional<std::string>> idempotency_key(const http::Request& request) {
  auto header = request.header("idempotency-key");
  if (!header) return std::optional<std::string>{};
  if (header->empty() || header->size() > kMaxIdempotencyKeyLength) {
    return Error::validation("Idempotency-Key", "must be 1 to 255 characters");
  }
  return std::optional<std::string>{std::string(*header)};
}


PaymentsApi::PaymentsApi(Dependencies dependencies) : impl_(std::make_unique<Impl>(std::move(dependencies))) {}
PaymentsApi::~PaymentsApi() = default;

awaitable<http::Response> PaymentsApi::handle(http::Request request) {
  RouteInfo info;
  http::Response response = co_await impl_->route(request, info);
  if (info.rate) add_rate_headers(response, *info.rate);
  // Payment data, errors included, must not sit in a shared or browser cache.
  response.with_header("Cache-Control", "no-store");
  impl_->count(info.name, response.status);
  co_return response;
}

http::Response PaymentsApi::handle_admin(const http::Request& request) {
  const auto path = request.path();
  if (request.method != "GET") return method_not_allowed("GET");
  if (path == "/health") return json_response(200, R"({"status":"ok"})");
  if (path == "/ready") return impl_->ready(true);
  if (path == "/metrics") {
    http::Response metrics = json_response(200, impl_->deps.metrics.render());
    metrics.content_type = "text/plain; version=0.0.4";
    return metrics;
  }
  return error_response(not_found("admin path"));
}

awaitable<http::Response> PaymentsApi::Impl::route(const http::Request& request, RouteInfo& info) {
  const auto parts = split_path(request.path());
  const bool get = request.method == "GET";
  const bool post = request.method == "POST";

  // Open: liveness, a bare readiness answer, and Stripe's webhooks (their signature is the credential).
  if (parts.size() == 1 && (parts[0] == "health" || parts[0] == "ready")) {
    info.name = std::string(parts[0]);
    if (!get) co_return method_not_allowed("GET");
    if (parts[0] == "health") co_return json_response(200, R"({"status":"ok"})");
    co_return ready(false);
  }
  if (parts.size() == 4 && parts[0] == "api" && parts[1] == "v1" && parts[2] == "webhooks" && parts[3] == "stripe") {
    // Stripe's events: the raw body is verified, then published verbatim; it is never logged.
    info.name = "webhooks.stripe";
    if (!post) co_return method_not_allowed("POST");
    co_return co_await receive_stripe_webhook(request);
  }

  const std::optional<ProtectedRoute> match = match_protected(parts, request.method);
  if (!match) {
    co_return error_response({ErrorCode::not_found,
                              "no route for " + request.method + " " + std::string(request.path().substr(0, 200)),
                              {}});
  }
  info.name = match->name;
  auto caller_or = authorize(request, match->scope, info);
  if (!caller_or) co_return error_response(caller_or.error());
  const auth::Principal& caller = caller_or.value();
  if (!match->method_ok) co_return method_not_allowed(match->allow);
  if (!match->id.empty() && !is_valid_external_id(match->id)) {
    co_return error_response(not_found(match->action == Action::refunds_get ? "refund" : "payment"));
  }

  switch (match->action) {
    case Action::payments_create: co_return co_await create_payment(request, caller);
    case Action::payments_get: co_return co_await read_payment(match->id, false, caller);
    case Action::payments_status: co_return co_await read_payment(match->id, true, caller);
    // The body holds a one-time code: never logged, never echoed.
    case Action::otp_send: co_return co_await send_otp(match->id, caller);
    case Action::otp_verify: co_return co_await verify_otp(request, match->id, caller);
    case Action::refunds_create: co_return co_await create_refund(request, match->id, caller);
    case Action::refunds_list: co_return co_await list_refunds(match->id, caller);
    case Action::refunds_get: co_return co_await read_refund(match->id, caller);
    // Stateless, no I/O. This body holds a card number by design: it is never logged, stored or published.
    case Action::cards_validate: co_return validate_card_request(request, current_year_month());
  }
  co_return error_response(Error::internal("unrouted action"));
}

http::Response PaymentsApi::Impl::ready(bool details) const {
  const auto answers = readiness.answers();
  bool up = true;
  for (const auto& answer : answers) up = up && answer.status.has_value();
  json::Builder b;
  b.begin_object().field("status", up ? "ready" : "not_ready");
  if (details) {
    // Only on the admin listener: hosts, users and error texts are for operators.
    for (const auto& [name, status] : answers) b.field(name, status ? "ok" : status.error().message);
  }
  b.end_object();
  return json_response(up ? 200 : 503, b.str());
}

awaitable<Status> PaymentsApi::Impl::publish(events::OutgoingMessage message) {
  co_return co_await events::publish(deps.producer, std::move(message));
}

awaitable<http::Response> PaymentsApi::Impl::create_payment(const http::Request& request,
                                                             const auth::Principal& caller) {
  if (deps.declines.is_limited(caller.key_id)) {
    // A card-testing brake: nothing is recorded or published.
    deps.metrics.counter("payments_api_decline_limited_total", "New payments refused after too many declines").add();
    log::warn("payment refused: too many declines", {{"key_id", caller.key_id}});
    http::Response refused = error_response(
        {ErrorCode::rate_limited,
         "too many declined payments with this key in the last " +
             std::to_string(deps.declines.settings().window.count() / 60) + " minutes; retry later",
         {}});
    refused.with_header("Retry-After", "60");
    co_return refused;
  }
  // The body is never logged: it may hold what a careless caller pasted (a card number).
  auto parsed = events::parse_payment_request(request.body);
  if (!parsed) co_return error_response(parsed.error());
  const PaymentRequest& payment = parsed.value();

  auto header = idempotency_key(request);
  if (!header) co_return error_response(header.error());
  std::optional<store::IdempotencyRecord> key;
  if (header.value()) {
    key = store::IdempotencyRecord{caller.merchant_id, kCreateScope, *header.value(), {}, {}, 202, {}};
  }

  const auto payment_id = PaymentId::generate(deps.random).str();
  store::PaymentRecord record = store::pending_payment(payment_id, caller.merchant_id, payment,
                                                      events::payment_request_json(payment),
                                                      events::request_fingerprint(payment));
  record.credential_id = caller.key_id;
  const std::string accepted = accepted_view(payment_id);
  if (key) {
    key->request_hash = record.request_hash;
    key->resource_id = payment_id;
    key->response_body = accepted;
  }

  // 1. The payment and its idempotency key, in one transaction: from here on /status answers for it.
  store::NewPayment row{record, key};
  Result<store::CreateResult> created = co_await creates.submit(std::move(row));
  if (!created) {
    log::warn("payment not recorded", {{"error", created.error().message}});
    co_return error_response(Error::unavailable("payments are temporarily unavailable; retry with the same "
                                                 "Idempotency-Key"));
  }
  using Outcome = store::CreateOutcome;
  switch (created->outcome) {
    case Outcome::replayed: {
      const auto& previous = *created->previous;
      http::Response replay = json_response(previous.response_status, previous.response_body);
      replay.with_header("Location", status_url(previous.resource_id)).with_header("Idempotent-Replayed", "true");
      co_return replay;
    }
    case Outcome::conflict:
      co_return error_response({ErrorCode::idempotency_conflict,
                                "this Idempotency-Key was used with a different request body; use a new key for a "
                                "new payment",
                                "Idempotency-Key"});
    case Outcome::exists:
    case Outcome::payment_missing: co_return error_response(Error::internal("payment id collision; retry"));
    case Outcome::created: break;
  }

  // 2. The command, durably in Kafka before the answer.
  auto published = co_await publish(
      command_message(events::CommandType::payment_create, payment_id, caller, record.request_json));
  if (!published && events::may_have_been_written(published.error())) {
    // The broker may hold the command although it never said so, and would then deliver it later: never
    // withdraw and answer 503 ("nothing was charged") then. The payment stays, accepted; if the command was
    // not written after all, the worker's recoverer publishes it again (README, "How outcomes converge").
    log::warn("payment command possibly queued; kept, and left to the recoverer if it was not",
              {{"payment_id", payment_id}, {"error", published.error().message}});
  } else if (!published) {
    // Undo: the payment can never be charged and the key is free again, so nothing is half-written.
    log::warn("payment command not queued; withdrawing", {{"payment_id", payment_id},
                                                          {"error", published.error().message}});
    auto withdrawn = co_await run_blocking(deps.blocking, [&] { return deps.payments.withdraw(payment_id, key); });
    if (!withdrawn) {
      log::error("withdraw failed; the recoverer will re-publish or cancel", {{"payment_id", payment_id}});
    }
    co_return error_response(Error::unavailable("payments are temporarily unavailable (queue); nothing was charged"));
  }
  log::info("payment accepted",
            {{"payment_id", payment_id}, {"order_id", payment.order_id}, {"key_id", caller.key_id}});
  http::Response response = json_response(202, accepted);
  response.with_header("Location", status_url(payment_id));
  co_return response;
}

awaitable<http::Response> PaymentsApi::Impl::read_payment(std::string payment_id, bool status_only,
                                                           const auth::Principal& caller) {
  auto found = co_await find_own(payment_id, caller);
  if (!found) co_return error_response(Error::unavailable("payments are temporarily unavailable"));
  if (!found.value()) co_return error_response(not_found("payment"));
  const auto& payment = *found.value();
  if (status_only) {
    auto challenge = co_await run_blocking(deps.blocking, [&] { return deps.otps.find(payment_id); });
    if (!challenge) co_return error_response(Error::unavailable("payments are temporarily unavailable"));
    co_return json_response(200, status_view(payment, challenge.value()));
  }
  auto refunds = co_await run_blocking(deps.blocking, [&] { return deps.refunds.for_payment(payment_id); });
  if (!refunds) co_return error_response(Error::unavailable("payments are temporarily unavailable"));
  co_return json_response(200, payment_view(payment, refunds.value()));
}

}  // namespace payments::api
