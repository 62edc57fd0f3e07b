#include "payments/api/payments_api.hpp"

#include <boost/asio/this_coro.hpp>

#include <atomic>
#include <chrono>
#include <mutex>
#include <optional>
#include <vector>

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

constexpr std::size_t kMaxIdempotencyKeyLength = 255;
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

http::Response json_response(int status, std::string body) {
  http::Response r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

Error not_found(std::string_view what) { return {ErrorCode::not_found, "no such " + std::string(what), {}}; }

Error method_not_allowed() { return Error::validation("", "method not allowed on this path"); }

// A cached readiness answer, so /ready under load does not hammer Kafka and MySQL.
class CachedCheck {
 public:
  explicit CachedCheck(std::function<Status()> check) : check_(std::move(check)) {}
  Status get() {
    std::lock_guard lock(mutex_);
    const auto now = std::chrono::steady_clock::now();
    if (!last_ || now - checked_at_ > std::chrono::seconds(1)) {
      last_ = check_ ? check_() : Status(Ok{});
      checked_at_ = now;
    }
    return *last_;
  }

 private:
  std::function<Status()> check_;
  std::mutex mutex_;
  std::optional<Status> last_;
  std::chrono::steady_clock::time_point checked_at_;
};

}  // namespace

struct PaymentsApi::Impl {
  Dependencies deps;
  CachedCheck kafka_ready;
  CachedCheck database_ready;

  explicit Impl(Dependencies d)
      : deps(std::move(d)), kafka_ready(deps.kafka_ready), database_ready(deps.database_ready) {}

  void count(std::string_view route, int status) {
    deps.metrics
        .counter("payments_api_requests_total", "HTTP requests by route and status",
                 "route=\"" + std::string(route) + "\",status=\"" + std::to_string(status) + "\"")
        .add();
  }

  awaitable<http::Response> route(const http::Request& request, std::string& route_name);
  awaitable<http::Response> create_payment(const http::Request& request);
  awaitable<http::Response> read_payment(std::string payment_id, bool status_only);
  http::Response ready();
  awaitable<Status> publish(events::OutgoingMessage message);
};

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
    if (!get) co_return error_response(method_not_allowed()).with_header("Allow", "GET");
    if (parts[0] == "health") co_return json_response(200, R"({"status":"ok"})");
    if (parts[0] == "ready") co_return ready();
    http::Response metrics = json_response(200, deps.metrics.render());
    metrics.content_type = "text/plain; version=0.0.4";
    co_return metrics;
  }

  if (parts.size() >= 3 && parts[0] == "api" && parts[1] == "v1" && parts[2] == "payments") {
    if (parts.size() == 3) {
      name = "payments.create";
      if (!post) co_return error_response(method_not_allowed()).with_header("Allow", "POST");
      co_return co_await create_payment(request);
    }
    const std::string payment_id(parts[3]);
    if (!is_valid_external_id(payment_id)) co_return error_response(not_found("payment"));
    if (parts.size() == 4) {
      name = "payments.get";
      if (!get) co_return error_response(method_not_allowed()).with_header("Allow", "GET");
      co_return co_await read_payment(payment_id, false);
    }
    if (parts.size() == 5 && parts[4] == "status") {
      name = "payments.status";
      if (!get) co_return error_response(method_not_allowed()).with_header("Allow", "GET");
      co_return co_await read_payment(payment_id, true);
    }
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

  std::optional<store::IdempotencyRecord> key;
  if (auto header = request.header("idempotency-key")) {
    if (header->empty() || header->size() > kMaxIdempotencyKeyLength) {
      co_return error_response(Error::validation("Idempotency-Key", "must be 1 to 255 characters"));
    }
    key = store::IdempotencyRecord{kCreateScope, std::string(*header), {}, {}, 202, {}};
  }

  const auto payment_id = PaymentId::generate(deps.random).str();
  store::PaymentRecord record;
  record.id = payment_id;
  record.order_id = payment.order_id;
  record.amount = payment.amount.minor();
  record.currency = std::string(payment.amount.currency().code());
  record.payment_method = payment.payment_method;
  record.customer_id = payment.customer_id;
  record.description = payment.description;
  record.request_json = events::payment_request_json(payment);
  record.request_hash = events::request_fingerprint(payment);
  record.status = PaymentStatus::pending;
  const std::string accepted = accepted_view(payment_id);
  if (key) {
    key->request_hash = record.request_hash;
    key->resource_id = payment_id;
    key->response_body = accepted;
  }

  // 1. The payment and its idempotency key, in one transaction: from here on /status answers for it.
  auto created = co_await run_blocking(deps.blocking, [&] { return deps.payments.create(record, key); });
  if (!created) {
    log::warn("payment not recorded", {{"error", created.error().message}});
    co_return error_response(Error::unavailable("payments are temporarily unavailable; retry with the same "
                                                 "Idempotency-Key"));
  }
  using Outcome = store::PaymentRepository::CreateOutcome;
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
    case Outcome::exists: co_return error_response(Error::internal("payment id collision; retry"));
    case Outcome::created: break;
  }

  // 2. The command, durably in Kafka before the answer.
  events::CommandEnvelope command{new_uuid_v4(deps.random), events::CommandType::payment_create, payment_id,
                                  events::rfc3339_now(), record.request_json};
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
  co_return json_response(200, status_only ? status_view(payment) : payment_view(payment));
}

}  // namespace payments::api
