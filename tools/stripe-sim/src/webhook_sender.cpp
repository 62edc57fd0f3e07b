#include "webhook_sender.hpp"

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <charconv>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include "payments/core/log.hpp"
#include "payments/core/webhook_signature.hpp"
#include "payments/crypto/crypto.hpp"
#include "stripe_json.hpp"

namespace payments::stripe_sim {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);
constexpr std::uint64_t kResponseBodyLimit = 64 * 1024;

std::int64_t system_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

struct PostOutcome {
  int status = 0;     // the HTTP status; 0 when none came
  std::string error;  // why none came
};

// One POST on a fresh connection (Connection: close), giving up after `timeout`.
asio::awaitable<PostOutcome> post_once(const WebhookUrl& url, const std::string& body, const std::string& signature,
                                       std::chrono::milliseconds timeout) {
  auto executor = co_await asio::this_coro::executor;
  tcp::resolver resolver(executor);
  auto [resolve_error, endpoints] = co_await resolver.async_resolve(url.host, url.port, kUseTuple);
  if (resolve_error) co_return PostOutcome{0, "resolve " + url.host + ": " + resolve_error.message()};

  beast::tcp_stream stream(executor);
  stream.expires_after(timeout);
  auto [connect_error, connected] = co_await stream.async_connect(endpoints, kUseTuple);
  if (connect_error) co_return PostOutcome{0, "connect: " + connect_error.message()};

  bhttp::request<bhttp::string_body> request{bhttp::verb::post, url.target, 11};
  const bool ipv6 = url.host.find(':') != std::string::npos;
  request.set(bhttp::field::host, (ipv6 ? "[" + url.host + "]" : url.host) + ":" + url.port);
  request.set(bhttp::field::user_agent, "Stripe/1.0 (+https://stripe.com/docs/webhooks) stripe-sim");
  request.set(bhttp::field::content_type, "application/json; charset=utf-8");
  request.set(bhttp::field::accept, "*/*; q=0.5, application/xml");
  request.set(bhttp::field::connection, "close");
  request.set("Stripe-Signature", signature);
  request.body() = body;
  request.prepare_payload();
  auto [write_error, written] = co_await bhttp::async_write(stream, request, kUseTuple);
  if (write_error) co_return PostOutcome{0, "write: " + write_error.message()};

  beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(kResponseBodyLimit);
  auto [read_error, read] = co_await bhttp::async_read(stream, buffer, parser, kUseTuple);
  if (read_error) co_return PostOutcome{0, "read: " + read_error.message()};
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  co_return PostOutcome{static_cast<int>(parser.get().result_int()), {}};
}

struct RecordedEvent {
  std::string id;
  std::string type;
  std::int64_t created = 0;
  std::string object_json;
  int deliveries = 0;  // 1 after the first, +1 per resend
};

struct Attempt {
  std::string event_id;
  std::string type;
  int delivery = 0;
  int attempt = 0;
  int status = 0;
  std::string error;
  std::int64_t signed_at = 0;
  std::int64_t at = 0;
};

// Everything one delivery needs, fixed when it starts; the endpoint is read at each attempt.
struct Delivery {
  std::string event_id;
  std::string type;
  int number = 0;
  std::string body;
  std::optional<std::int64_t> signed_at;
};

}  // namespace

class WebhookSender::Impl {
 public:
  explicit Impl(WebhookSenderOptions options)
      : options_(std::move(options)), random_(options_.seed ^ 0x5bd1e9955bd1e995ULL), work_(io_.get_executor()) {
    if (validate_webhook_endpoint(options_.url, options_.secret)) {
      if (!options_.url.empty()) endpoint_ = parse_webhook_url(options_.url).value();
      url_ = options_.url;
      secret_ = options_.secret;
    }
    thread_ = std::thread([this] { io_.run(); });
  }

  ~Impl() { shutdown(); }

  void shutdown() {
    work_.reset();
    io_.stop();
    if (thread_.joinable()) thread_.join();
  }

  Status configure(std::string url, Secret secret) {
    std::lock_guard lock(mutex_);
    const Secret& effective = secret.empty() ? secret_ : secret;
    if (auto valid = validate_webhook_endpoint(url, effective); !valid) return valid;
    endpoint_ = url.empty() ? std::nullopt : std::optional(parse_webhook_url(url).value());
    url_ = std::move(url);
    if (!secret.empty()) secret_ = std::move(secret);
    return Ok{};
  }

  std::string url() const {
    std::lock_guard lock(mutex_);
    return url_;
  }

  std::string publish(const SimEvent& event) {
    std::unique_lock lock(mutex_);
    if (!endpoint_) return {};
    RecordedEvent recorded{new_event_id(), event.type, event.created, event.object_json, 1};
    auto delivery = std::make_shared<Delivery>(
        Delivery{recorded.id, recorded.type, 1, body_of(recorded, std::nullopt), std::nullopt});
    event_order_.push_back(recorded.id);
    std::string id = recorded.id;
    events_.emplace(id, std::move(recorded));
    start(std::move(delivery));
    return id;
  }

  Status resend(std::string_view event_id, const WebhookResend& options) {
    std::lock_guard lock(mutex_);
    if (!endpoint_) return Error{ErrorCode::invalid_state, "no webhook url is configured", "url"};
    const auto found = events_.find(std::string(event_id));
    if (found == events_.end()) {
      return Error{ErrorCode::not_found, "no such event: '" + std::string(event_id) + "'", "id"};
    }
    auto& event = found->second;
    ++event.deliveries;
    start(std::make_shared<Delivery>(
        Delivery{event.id, event.type, event.deliveries, body_of(event, options.created), options.signed_at}));
    return Ok{};
  }

  std::string to_json() const {
    std::lock_guard lock(mutex_);
    JsonOut out;
    out.w.StartObject();
    field_or_null(out.w, "url", url_);
    field(out.w, "pending", static_cast<std::int64_t>(pending_));
    key(out.w, "events");
    out.w.StartArray();
    for (const auto& id : event_order_) {
      const auto& event = events_.at(id);
      out.w.StartObject();
      field(out.w, "id", event.id);
      field(out.w, "type", event.type);
      field(out.w, "created", event.created);
      field(out.w, "deliveries", std::int64_t{event.deliveries});
      out.w.EndObject();
    }
    out.w.EndArray();
    key(out.w, "attempts");
    out.w.StartArray();
    for (const auto& attempt : attempts_) {
      out.w.StartObject();
      field(out.w, "event_id", attempt.event_id);
      field(out.w, "type", attempt.type);
      field(out.w, "delivery", std::int64_t{attempt.delivery});
      field(out.w, "attempt", std::int64_t{attempt.attempt});
      field(out.w, "status", std::int64_t{attempt.status});
      if (!attempt.error.empty()) field(out.w, "error", attempt.error);
      field(out.w, "signed_at", attempt.signed_at);
      field(out.w, "at", attempt.at);
      out.w.EndObject();
    }
    out.w.EndArray();
    out.w.EndObject();
    return out.str();
  }

  std::size_t pending() const {
    std::lock_guard lock(mutex_);
    return pending_;
  }

  void reset() {
    std::lock_guard lock(mutex_);
    events_.clear();
    event_order_.clear();
    attempts_.clear();
  }

 private:
  std::int64_t now() const { return options_.clock ? options_.clock() : system_now(); }

  // Under mutex_.
  std::string new_event_id() {
    static constexpr std::string_view kAlphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    std::uniform_int_distribution<std::size_t> pick(0, kAlphabet.size() - 1);
    std::string id = "evt_";
    for (int i = 0; i < 24; ++i) id.push_back(kAlphabet[pick(random_)]);
    return id;
  }

  static std::string body_of(const RecordedEvent& event, std::optional<std::int64_t> created) {
    return event_json(event.id, event.type, created.value_or(event.created), kWebhookApiVersion, event.object_json);
  }

  // Under mutex_.
  void start(std::shared_ptr<Delivery> delivery) {
    // The coroutine and its completion run on io_'s thread; both die with io_, before anything else of
    // this object, so the raw pointer never dangles.
    ++pending_;
    Impl* self = this;
    asio::co_spawn(io_, deliver(self, std::move(delivery)), [self](std::exception_ptr error) {
      if (error) log::error("stripe-sim webhook delivery failed unexpectedly");
      std::lock_guard lock(self->mutex_);
      --self->pending_;
    });
  }

  static asio::awaitable<void> deliver(Impl* self, std::shared_ptr<Delivery> delivery) {
    auto backoff = self->options_.initial_backoff;
    const int max_attempts = std::max(1, self->options_.max_attempts);
    for (int attempt = 1; attempt <= max_attempts; ++attempt) {
      std::optional<WebhookUrl> endpoint;
      Secret secret;
      {
        std::lock_guard lock(self->mutex_);
        endpoint = self->endpoint_;
        secret = self->secret_;
      }
      if (!endpoint) co_return;  // webhooks were turned off meanwhile
      const std::int64_t signed_at = delivery->signed_at.value_or(self->now());
      const std::string signature = sign_webhook(secret, signed_at, delivery->body, crypto::hmac_sha256_hex);
      const auto timeout = self->options_.request_timeout;
      const PostOutcome outcome = co_await post_once(*endpoint, delivery->body, signature, timeout);
      {
        std::lock_guard lock(self->mutex_);
        self->attempts_.push_back({delivery->event_id, delivery->type, delivery->number, attempt, outcome.status,
                                   outcome.error, signed_at, self->now()});
      }
      if (outcome.status >= 200 && outcome.status < 300) co_return;
      const std::string status = std::to_string(outcome.status);
      const std::string attempt_text = std::to_string(attempt);
      log::warn("stripe-sim webhook delivery failed",
                {{"event_id", delivery->event_id}, {"type", delivery->type}, {"attempt", attempt_text},
                 {"status", status}, {"error", outcome.error}});
      if (attempt == max_attempts) break;
      asio::steady_timer timer(co_await asio::this_coro::executor, backoff);
      co_await timer.async_wait(kUseTuple);
      backoff = std::min(backoff * 2, self->options_.max_backoff);
    }
    log::error("stripe-sim gave up delivering a webhook", {{"event_id", delivery->event_id}, {"type", delivery->type}});
  }

  WebhookSenderOptions options_;
  mutable std::mutex mutex_;
  std::mt19937_64 random_;
  std::optional<WebhookUrl> endpoint_;
  std::string url_;
  Secret secret_;
  std::map<std::string, RecordedEvent> events_;
  std::vector<std::string> event_order_;
  std::vector<Attempt> attempts_;
  std::size_t pending_ = 0;
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  std::thread thread_;
};

Result<WebhookUrl> parse_webhook_url(std::string_view url) {
  auto bad = [&](std::string_view why) {
    return Error::validation("url", "webhook url must be http://host[:port][/path] (" + std::string(why) + ")");
  };
  constexpr std::string_view kScheme = "http://";
  if (url.substr(0, kScheme.size()) != kScheme) return bad("only http:// is supported");
  url.remove_prefix(kScheme.size());
  const auto slash = url.find_first_of("/?");
  std::string_view authority = url.substr(0, slash);
  WebhookUrl out;
  out.target = slash == std::string_view::npos ? "/" : std::string(url.substr(slash));
  if (out.target.front() == '?') out.target.insert(0, "/");
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return bad("unclosed [");
    out.host = std::string(authority.substr(1, close - 1));
    const auto after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return bad("junk after ]");
      port = after.substr(1);
    }
  } else {
    const auto colon = authority.find(':');
    out.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
  }
  if (out.host.empty()) return bad("no host");
  if (out.host.find_first_of("@ \t") != std::string::npos) return bad("bad host");
  if (port.empty() && authority.find(':') != std::string_view::npos) return bad("empty port");
  if (!port.empty()) {
    unsigned value = 0;
    const auto* end = port.data() + port.size();
    const auto [ptr, ec] = std::from_chars(port.data(), end, value);
    if (ec != std::errc{} || ptr != end || value == 0 || value > 65535) return bad("bad port");
    out.port = std::string(port);
  } else {
    out.port = "80";
  }
  for (const char c : out.target) {
    if (static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) >= 0x7f) return bad("bad path");
  }
  return out;
}

Status validate_webhook_endpoint(std::string_view url, const Secret& secret) {
  if (url.empty()) return Ok{};
  if (auto parsed = parse_webhook_url(url); !parsed) return std::move(parsed).error();
  if (secret.empty()) return Error::validation("secret", "a webhook url needs a signing secret (whsec_...)");
  return Ok{};
}

WebhookSender::WebhookSender(WebhookSenderOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}

WebhookSender::~WebhookSender() { impl_->shutdown(); }

Status WebhookSender::configure(std::string url, Secret secret) {
  return impl_->configure(std::move(url), std::move(secret));
}
std::string WebhookSender::url() const { return impl_->url(); }
std::string WebhookSender::publish(const SimEvent& event) { return impl_->publish(event); }
Status WebhookSender::resend(std::string_view event_id, const WebhookResend& options) {
  return impl_->resend(event_id, options);
}
std::string WebhookSender::to_json() const { return impl_->to_json(); }
std::size_t WebhookSender::pending() const { return impl_->pending(); }
void WebhookSender::reset() { impl_->reset(); }

}  // namespace payments::stripe_sim
