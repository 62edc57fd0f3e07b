#include <vector>

#include "api_impl.hpp"
#include "payments/api/card_validation_endpoint.hpp"
#include "payments/api/errors.hpp"
#include "payments/core/ids.hpp"
#include "payments/core/log.hpp"
#include "payments/events/commands.hpp"
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
  std::string route_name = "unknown";
  http::Response response = co_await impl_->route(request, route_name);
  impl_->count(route_name, response.status);
  co_return response;
}

awaitable<http::Response> PaymentsApi::Impl::route(const http::Request& request, std::string& name) {
  const auto parts = split_path(request.path());
  const bool get = request.method == "GET";
  const bool post = request.method == "POST";

  if (parts.size() == 1 && (parts[0] == "health" || parts[0] == "ready" || parts[0] == "metrics")) {
    name = parts[0];
    if (!get) co_return method_not_allowed("GET");
    if (parts[0] == "health") co_return json_response(200, R"({"status":"ok"})");
    if (parts[0] == "ready") co_return ready();
    http::Response metrics = json_response(200, deps.metrics.render());
    metrics.content_type = "text/plain; version=0.0.4";
    co_return metrics;
  }

  if (parts.size() >= 3 && parts[0] == "api" && parts[1] == "v1" && parts[2] == "payments") {
    if (parts.size() == 3) {
      name = "payments.create";
      if (!post) co_return method_not_allowed("POST");
      co_return co_await create_payment(request);
    }
    const std::string payment_id(parts[3]);
    if (!is_valid_external_id(payment_id)) co_return error_response(not_found("payment"));
    if (parts.size() == 4) {
      name = "payments.get";
      if (!get) co_return method_not_allowed("GET");
      co_return co_await read_payment(payment_id, false);
    }
    if (parts.size() == 5 && parts[4] == "status") {
      name = "payments.status";
      if (!get) co_return method_not_allowed("GET");
      co_return co_await read_payment(payment_id, true);
    }
    if (parts.size() == 5 && parts[4] == "otp") {
      name = "otp.send";
      if (!post) co_return method_not_allowed("POST");
      co_return co_await send_otp(payment_id);
    }
    if (parts.size() == 6 && parts[4] == "otp" && parts[5] == "verify") {
      // The body holds a one-time code: never logged, never echoed.
      name = "otp.verify";
      if (!post) co_return method_not_allowed("POST");
      co_return co_await verify_otp(request, payment_id);
    }
    if (parts.size() == 5 && parts[4] == "refunds") {
      name = get ? "refunds.list" : "refunds.create";
      if (post) co_return co_await create_refund(request, payment_id);
      if (get) co_return co_await list_refunds(payment_id);
      co_return method_not_allowed("GET, POST");
    }
  }

  if (parts.size() == 4 && parts[0] == "api" && parts[1] == "v1" && parts[2] == "refunds") {
    name = "refunds.get";
    if (!get) co_return method_not_allowed("GET");
    co_return co_await read_refund(std::string(parts[3]));
  }

  if (parts.size() == 4 && parts[0] == "api" && parts[1] == "v1" && parts[2] == "webhooks" && parts[3] == "stripe") {
    // Stripe's events: the raw body is verified, then published verbatim; it is never logged.
    name = "webhooks.stripe";
    if (!post) co_return method_not_allowed("POST");
    co_return co_await receive_stripe_webhook(request);
  }

  if (parts.size() == 4 && parts[0] == "api" && parts[1] == "v1" && parts[2] == "cards" && parts[3] == "validate") {
    // Stateless, no I/O. This body holds a card number by design: it is never logged, stored or published.
    name = "cards.validate";
    if (!post) co_return method_not_allowed("POST");
    co_return validate_card_request(request, current_year_month());
  }
  co_return error_response({ErrorCode::not_found, "no route for " + request.method + " " +
                                                      std::string(request.path().substr(0, 200)),
                            {}});
}

http::Response PaymentsApi::Impl::ready() {
  const auto kafka = kafka_ready.get();
  const auto database = database_ready.get();
  json::Builder b;
  b.begin_object()
      .field("status", kafka && database ? "ready" : "not_ready")
      .field("kafka", kafka ? "ok" : kafka.error().message)
      .field("mysql", database ? "ok" : database.error().message)
      .end_object();
  return json_response(kafka && database ? 200 : 503, b.str());
}

awaitable<Status> PaymentsApi::Impl::publish(events::OutgoingMessage message) {
  // Named, not a temporary inside the co_await expression: GCC 12 can destroy such temporaries twice.
  auto start = [this, &message](std::function<void(Status)> done) {
    deps.producer.produce(std::move(message), std::move(done));
  };
  Status delivered = co_await runtime::await_callback<Status>(std::move(start));
  co_return delivered;
}

awaitable<http::Response> PaymentsApi::Impl::create_payment(const http::Request& request) {
  // The body is never logged: it may hold what a careless caller pasted (a card number).
  auto parsed = events::parse_payment_request(request.body);
  if (!parsed) co_return error_response(parsed.error());
  const PaymentRequest& payment = parsed.value();

  auto header = idempotency_key(request);
  if (!header) co_return error_response(header.error());
  std::optional<store::IdempotencyRecord> key;
  if (header.value()) key = store::IdempotencyRecord{kCreateScope, *header.value(), {}, {}, 202, {}};

  const auto payment_id = PaymentId::generate(deps.random).str();
  const store::PaymentRecord record = store::pending_payment(payment_id, payment, events::payment_request_json(payment),
                                                            events::request_fingerprint(payment));
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
  events::CommandEnvelope command{new_uuid_v4(deps.random), events::CommandType::payment_create, payment_id,
                                  rfc3339_now(), record.request_json};
  events::OutgoingMessage message{deps.topics.commands, payment_id,
                                  events::serialize_command(command), {}};
  auto published = co_await publish(std::move(message));
  if (!published) {
    // Undo: the payment can never be charged and the key is free again, so nothing is half-written.
    log::warn("payment command not queued; withdrawing", {{"payment_id", payment_id},
                                                          {"error", published.error().message}});
    auto withdrawn = co_await run_blocking(deps.blocking, [&] { return deps.payments.withdraw(payment_id, key); });
    if (!withdrawn) {
      log::error("withdraw failed; the recoverer will re-publish or cancel", {{"payment_id", payment_id}});
    }
    co_return error_response(Error::unavailable("payments are temporarily unavailable (queue); nothing was charged"));
  }
  log::info("payment accepted", {{"payment_id", payment_id}, {"order_id", payment.order_id}});
  http::Response response = json_response(202, accepted);
  response.with_header("Location", status_url(payment_id));
  co_return response;
}

awaitable<http::Response> PaymentsApi::Impl::read_payment(std::string payment_id, bool status_only) {
  auto found = co_await run_blocking(deps.blocking, [&] { return deps.payments.find(payment_id); });
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
