#include "payments/stripe/stripe_client.hpp"

#include <algorithm>
#include <atomic>
#include <deque>
#include <fstream>
#include <optional>
#include <random>
#include <string_view>
#include <utility>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "payments/core/ids.hpp"
#include "payments/core/log.hpp"
#include "payments/core/random.hpp"
#include "payments/stripe/form_encode.hpp"
#include "payments/stripe/retry_policy.hpp"
#include "payments/stripe/stripe_json.hpp"

namespace payments::stripe {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);

struct BaseUrl {
  bool tls = true;
  std::string host;
  std::string port;
  std::string host_header;  // host, plus :port when not the scheme's default
};

Result<BaseUrl> parse_base_url(std::string_view url) {
  BaseUrl out;
  std::string_view rest;
  if (url.starts_with("https://")) {
    rest = url.substr(8);
  } else if (url.starts_with("http://")) {
    out.tls = false;
    rest = url.substr(7);
  } else {
    return Error::validation("STRIPE_API_BASE", "must start with https:// or http://");
  }
  while (rest.ends_with('/')) rest.remove_suffix(1);
  if (rest.find('/') != std::string_view::npos || rest.find('?') != std::string_view::npos) {
    return Error::validation("STRIPE_API_BASE", "must be scheme://host[:port] without a path");
  }
  const auto colon = rest.rfind(':');
  const bool bracketed = rest.starts_with('[');
  if (colon != std::string_view::npos && (!bracketed || rest.find(']') < colon)) {
    out.host = std::string(rest.substr(0, colon));
    out.port = std::string(rest.substr(colon + 1));
    const bool digits = !out.port.empty() && out.port.size() <= 5 &&
                        std::all_of(out.port.begin(), out.port.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (!digits || std::stoi(out.port) == 0 || std::stoi(out.port) > 65535) {
      return Error::validation("STRIPE_API_BASE", "has an invalid port");
    }
  } else {
    out.host = std::string(rest);
    out.port = out.tls ? "443" : "80";
  }
  if (bracketed && out.host.size() >= 2 && out.host.back() == ']') out.host = out.host.substr(1, out.host.size() - 2);
  if (out.host.empty()) return Error::validation("STRIPE_API_BASE", "has no host");
  out.host_header = std::string(rest);
  return out;
}

bool is_ip_literal(const std::string& host) {
  beast::error_code ec;
  (void)asio::ip::make_address(host, ec);
  return !ec;
}

struct HttpCall {
  http::verb method = http::verb::get;
  std::string target;  // path and query
  std::string body;    // form-encoded, POST only
  std::string idempotency_key;
};

// What came back from one exchange (or the last of several attempts).
struct Exchange {
  bool got_response = false;
  bool maybe_sent = false;  // request bytes may have reached Stripe without an answer coming back
  bool stale = false;       // a reused keep-alive connection turned out closed before answering
  bool keep_alive = false;
  int status = 0;
  std::string body;
  std::string request_id;
  std::optional<bool> should_retry;
  beast::error_code ec;
  std::string failure;  // what went wrong without a response, for the error message
};

struct Connection {
  std::unique_ptr<beast::tcp_stream> plain;
  std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> tls;
  beast::flat_buffer buffer;
  Clock::time_point idle_since{};
  bool reused = false;

  [[nodiscard]] bool connected() const noexcept { return plain != nullptr || tls != nullptr; }
  beast::tcp_stream& tcp() { return tls ? beast::get_lowest_layer(*tls) : *plain; }
  void close() {
    if (!connected()) return;
    beast::error_code ignored;
    tcp().socket().shutdown(tcp::socket::shutdown_both, ignored);
    tcp().close();
  }
};

// Replaces every occurrence of `secret` in `text`: a key must never reach a log or an error message.
void scrub(std::string& text, const std::string& secret) {
  if (secret.empty()) return;
  for (auto pos = text.find(secret); pos != std::string::npos; pos = text.find(secret, pos)) {
    text.replace(pos, secret.size(), "[redacted]");
  }
}

std::string_view path_only(std::string_view target) { return target.substr(0, target.find('?')); }

// Stripe's search query language quotes values in single quotes; escape quotes and backslashes.
std::string search_literal(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\'' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

bool has_bracket(std::string_view key) { return key.find_first_of("[]") != std::string_view::npos; }

}  // namespace

class StripeClient::Impl : public std::enable_shared_from_this<StripeClient::Impl> {
 public:
  Impl(asio::io_context& io, StripeClientOptions options, BaseUrl url, ssl::context tls)
      : strand_(asio::make_strand(io)),
        options_(std::move(options)),
        url_(std::move(url)),
        tls_(std::move(tls)),
        rng_(std::random_device{}()),
        pacer_(options_.pacing, Clock::now()) {}

  template <typename T>
  using Parser = StripeResult<T> (*)(std::string_view);

  // Runs one API call on the strand and hands its result to `done`.
  template <typename T>
  void start(HttpCall call, Parser<T> parse, StripeCallback<T> done) {
    asio::co_spawn(strand_, run<T>(shared_from_this(), std::move(call), parse, std::move(done)), asio::detached);
  }

  // Completes `done` with `error` without any I/O, still never inline.
  template <typename T>
  void fail(StripeError error, StripeCallback<T> done) {
    classify(error);
    asio::post(strand_, [error = std::move(error), done = std::move(done)]() mutable { done(std::move(error)); });
  }

  void close_idle() {
    for (auto& c : idle_) c->close();
    open_ -= idle_.size();
    idle_.clear();
  }

  asio::strand<asio::io_context::executor_type>& strand() noexcept { return strand_; }
  std::atomic<std::size_t> open_{0};
  std::atomic<std::size_t> opened_total_{0};
  std::atomic<std::size_t> rate_limited_total_{0};

 private:
  struct Waiter {
    explicit Waiter(asio::strand<asio::io_context::executor_type>& s) : timer(s) {}
    asio::steady_timer timer;
    bool ready = false;
    std::unique_ptr<Connection> conn;
  };

  template <typename T>
  static asio::awaitable<void> run(std::shared_ptr<Impl> self, HttpCall call, Parser<T> parse,
                                   StripeCallback<T> done) {
    std::optional<StripeResult<T>> result;
    try {
      Exchange ex = co_await self->execute(call);
      result.emplace(self->to_result<T>(call, ex, parse));
    } catch (const std::exception& e) {
      StripeError error;
      error.type = "api_connection_error";
      error.message = std::string("Stripe call failed: ") + e.what();
      classify(error);
      if (call.method == http::verb::post) error.kind = StripeFailureKind::unknown_outcome;
      scrub(error.message, self->options_.secret_key.reveal());
      result.emplace(std::move(error));
    }
    done(std::move(*result));
  }

  template <typename T>
  StripeResult<T> to_result(const HttpCall& call, Exchange& ex, Parser<T> parse) const {
    const bool post = call.method == http::verb::post;
    StripeError error;
    if (ex.got_response && ex.status >= 200 && ex.status < 300) {
      auto parsed = parse(ex.body);
      if (parsed) return parsed;
      error = std::move(parsed).error();
      error.http_status = ex.status;
      // Stripe acted on the request but we cannot read what it did.
      if (post) error.kind = StripeFailureKind::unknown_outcome;
    } else if (ex.got_response) {
      error = parse_error_response(ex.status, ex.body);
    } else {
      error.type = "api_connection_error";
      error.message = "no response from Stripe: " + ex.failure;
      error.kind = post && ex.maybe_sent ? StripeFailureKind::unknown_outcome : StripeFailureKind::transient;
      error.retryable = true;
    }
    error.request_id = ex.request_id;
    scrub(error.message, options_.secret_key.reveal());
    return error;
  }

  // Attempts the call until it succeeds, retrying as the SDK policy says, within the total deadline. Every
  // attempt first waits for the pacer; that wait moves the deadline on, so it never uses up retries.
  asio::awaitable<Exchange> execute(const HttpCall& call) {
    auto deadline = Clock::now() + options_.total_timeout;
    const BackoffPolicy backoff{options_.initial_retry_delay, options_.max_retry_delay};
    bool maybe_sent = false;
    for (int attempt = 0;; ++attempt) {
      deadline += co_await wait_for_pacer();
      const auto attempt_started = Clock::now();
      Exchange ex = co_await attempt_once(call, std::min(attempt_started + options_.request_timeout, deadline));
      maybe_sent = maybe_sent || (!ex.got_response && ex.maybe_sent);
      log_attempt(call, ex, attempt, Clock::now() - attempt_started);
      if (is_rate_limit(ex)) slow_down();

      const bool success = ex.got_response && ex.status >= 200 && ex.status < 300;
      if (success || attempt >= options_.max_retries ||
          !should_retry({ex.got_response, ex.status, ex.should_retry})) {
        ex.maybe_sent = maybe_sent;
        co_return ex;
      }
      const auto delay = backoff_delay(backoff, attempt + 1, std::uniform_real_distribution<double>(0.0, 1.0)(rng_));
      if (Clock::now() + delay >= deadline) {
        ex.maybe_sent = maybe_sent;
        co_return ex;
      }
      asio::steady_timer timer(strand_, delay);
      co_await timer.async_wait(kAwait);
    }
  }

  // Waits until the pacer lets the next request go; returns how long that took. Nothing else is held
  // meanwhile: no connection, no slot.
  asio::awaitable<Clock::duration> wait_for_pacer() {
    const auto wait = pacer_.reserve(Clock::now());
    if (wait <= Clock::duration::zero()) co_return Clock::duration::zero();
    asio::steady_timer timer(strand_, wait);
    co_await timer.async_wait(kAwait);
    co_return wait;
  }

  // A 429 because the account's rate was exceeded; Stripe also answers 429 lock_timeout when one object is
  // being changed by another request, which says nothing about the rate.
  static bool is_rate_limit(const Exchange& ex) {
    return ex.got_response && ex.status == 429 && parse_error_response(ex.status, ex.body).code != "lock_timeout";
  }

  void slow_down() {
    ++rate_limited_total_;
    const auto now = Clock::now();
    if (!pacer_.on_rate_limited(now)) return;
    const std::string rate = std::to_string(static_cast<int>(pacer_.current_rate(now)));
    log::warn("stripe rate limited: pacing requests lower for a while", {{"requests_per_second", rate}});
  }

  void log_attempt(const HttpCall& call, const Exchange& ex, int attempt, Clock::duration took) const {
    if (!log::enabled(LogLevel::debug)) return;
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(took).count();
    const std::string status = std::to_string(ex.status);
    const std::string duration = std::to_string(ms);
    const std::string attempt_no = std::to_string(attempt + 1);
    log::debug("stripe request", {{"method", http::to_string(call.method)},
                                  {"path", path_only(call.target)},
                                  {"status", status},
                                  {"duration_ms", duration},
                                  {"attempt", attempt_no},
                                  {"request_id", ex.request_id},
                                  {"error", ex.failure}});
  }

  // One attempt. A reused keep-alive connection that the server had already closed is replaced by a fresh
  // one once, without counting as an attempt.
  asio::awaitable<Exchange> attempt_once(const HttpCall& call, Clock::time_point deadline) {
    bool maybe_sent = false;
    for (int round = 0;; ++round) {
      auto conn = co_await acquire(deadline);
      if (!conn) {
        Exchange ex;
        ex.failure = "timed out waiting for a free connection";
        ex.maybe_sent = maybe_sent;
        co_return ex;
      }
      const bool reused = conn->reused;
      Exchange ex = co_await exchange_on(*conn, call, deadline);
      release(std::move(conn), ex.got_response && ex.keep_alive);
      maybe_sent = maybe_sent || ex.maybe_sent;
      if (!ex.got_response && ex.stale && reused && round == 0 && Clock::now() < deadline) continue;
      ex.maybe_sent = maybe_sent;
      co_return ex;
    }
  }

  asio::awaitable<Exchange> exchange_on(Connection& conn, const HttpCall& call, Clock::time_point deadline) {
    if (!conn.connected()) {
      Exchange ex;
      ex.ec = co_await connect(conn, deadline);
      if (ex.ec) {
        ex.failure = (ex.ec == beast::error::timeout ? "connect timed out: " : "connect failed: ") + ex.ec.message();
        co_return ex;
      }
    }
    if (conn.tls) co_return co_await transfer(*conn.tls, conn, call, deadline);
    co_return co_await transfer(*conn.plain, conn, call, deadline);
  }

  asio::awaitable<beast::error_code> connect(Connection& conn, Clock::time_point deadline) {
    // The resolver has no deadline of its own: a timer cancels it.
    auto resolver = std::make_shared<tcp::resolver>(strand_);
    asio::steady_timer guard(strand_, deadline);
    guard.async_wait([resolver](beast::error_code ec) {
      if (!ec) resolver->cancel();
    });
    auto [resolve_ec, endpoints] = co_await resolver->async_resolve(url_.host, url_.port, kAwait);
    guard.cancel();
    if (resolve_ec) co_return Clock::now() >= deadline ? beast::error_code(beast::error::timeout) : resolve_ec;

    ++opened_total_;
    if (!url_.tls) {
      auto stream = std::make_unique<beast::tcp_stream>(strand_);
      stream->expires_at(deadline);
      auto [ec, endpoint] = co_await stream->async_connect(endpoints, kAwait);
      if (ec) co_return ec;
      stream->socket().set_option(tcp::no_delay(true));
      conn.plain = std::move(stream);
      co_return beast::error_code{};
    }

    auto stream = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(strand_, tls_);
    if (!is_ip_literal(url_.host)) {
      // SNI (SSL_set_tlsext_host_name is a macro with a C cast; this is what it expands to).
      if (SSL_ctrl(stream->native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                   const_cast<char*>(url_.host.c_str())) != 1) {
        co_return beast::error_code(static_cast<int>(::ERR_get_error()), asio::error::get_ssl_category());
      }
    }
    stream->set_verify_mode(ssl::verify_peer);
    stream->set_verify_callback(ssl::host_name_verification(url_.host));
    auto& tcp_layer = beast::get_lowest_layer(*stream);
    tcp_layer.expires_at(deadline);
    auto [ec, endpoint] = co_await tcp_layer.async_connect(endpoints, kAwait);
    if (ec) co_return ec;
    tcp_layer.socket().set_option(tcp::no_delay(true));
    tcp_layer.expires_at(deadline);
    auto [handshake_ec] = co_await stream->async_handshake(ssl::stream_base::client, kAwait);
    if (handshake_ec) co_return handshake_ec;
    conn.tls = std::move(stream);
    co_return beast::error_code{};
  }

  template <typename Stream>
  asio::awaitable<Exchange> transfer(Stream& stream, Connection& conn, const HttpCall& call,
                                     Clock::time_point deadline) {
    Exchange ex;
    http::request<http::string_body> req{call.method, call.target, 11};
    req.set(http::field::host, url_.host_header);
    req.set(http::field::authorization, "Bearer " + options_.secret_key.reveal());
    req.set(http::field::user_agent, options_.user_agent);
    req.set("Stripe-Version", options_.stripe_version);
    req.set(http::field::accept, "application/json");
    req.keep_alive(true);
    if (!call.idempotency_key.empty()) req.set("Idempotency-Key", call.idempotency_key);
    if (call.method == http::verb::post) {
      req.set(http::field::content_type, "application/x-www-form-urlencoded");
      req.body() = call.body;
    }
    req.prepare_payload();

    auto& tcp_layer = conn.tcp();
    tcp_layer.expires_at(deadline);
    ex.maybe_sent = true;  // from here on, some bytes may reach Stripe
    auto [write_ec, written] = co_await http::async_write(stream, req, kAwait);
    if (write_ec) {
      ex.ec = write_ec;
      ex.stale = write_ec != beast::error::timeout;
      ex.failure = (write_ec == beast::error::timeout ? "write timed out: " : "write failed: ") + write_ec.message();
      co_return ex;
    }

    http::response_parser<http::string_body> parser;
    parser.body_limit(options_.max_response_bytes);
    tcp_layer.expires_at(deadline);
    auto [read_ec, read] = co_await http::async_read(stream, conn.buffer, parser, kAwait);
    if (read_ec) {
      ex.ec = read_ec;
      ex.stale = read_ec == http::error::end_of_stream || read_ec == asio::error::connection_reset ||
                 read_ec == asio::error::eof;
      ex.failure = (read_ec == beast::error::timeout ? "read timed out: " : "read failed: ") + read_ec.message();
      co_return ex;
    }
    tcp_layer.expires_never();
    auto& res = parser.get();
    ex.got_response = true;
    ex.status = static_cast<int>(res.result_int());
    ex.keep_alive = res.keep_alive();
    if (auto it = res.find("Request-Id"); it != res.end()) ex.request_id = std::string(it->value());
    if (auto it = res.find("Stripe-Should-Retry"); it != res.end()) {
      if (it->value() == "true") ex.should_retry = true;
      if (it->value() == "false") ex.should_retry = false;
    }
    ex.body = std::move(res.body());
    co_return ex;
  }

  // A connection to use: an idle one, a new slot, or (at max_connections) the next one released.
  // Null when the deadline passes first. Runs on the strand, like everything touching the pool.
  asio::awaitable<std::unique_ptr<Connection>> acquire(Clock::time_point deadline) {
    const auto now = Clock::now();
    while (!idle_.empty() && now - idle_.front()->idle_since >= options_.idle_timeout) {
      idle_.front()->close();
      idle_.pop_front();
      --open_;
    }
    if (!idle_.empty()) {
      auto conn = std::move(idle_.back());
      idle_.pop_back();
      conn->reused = true;
      co_return conn;
    }
    if (open_ < options_.max_connections) {
      ++open_;
      co_return std::make_unique<Connection>();
    }
    Waiter waiter(strand_);
    waiter.timer.expires_at(deadline);
    waiters_.push_back(&waiter);
    while (!waiter.ready) {
      auto [ec] = co_await waiter.timer.async_wait(kAwait);
      if (!waiter.ready && !ec) {
        waiters_.erase(std::find(waiters_.begin(), waiters_.end(), &waiter));
        co_return nullptr;
      }
    }
    co_return std::move(waiter.conn);
  }

  void release(std::unique_ptr<Connection> conn, bool keep) {
    if (!keep) {
      conn->close();
      conn = std::make_unique<Connection>();  // the slot stays, the connection does not
    } else {
      conn->tcp().expires_never();
    }
    if (!waiters_.empty()) {
      Waiter* next = waiters_.front();
      waiters_.pop_front();
      conn->reused = conn->connected();
      next->conn = std::move(conn);
      next->ready = true;
      next->timer.cancel();
      return;
    }
    if (conn->connected()) {
      conn->idle_since = Clock::now();
      idle_.push_back(std::move(conn));
    } else {
      --open_;
    }
  }

  asio::strand<asio::io_context::executor_type> strand_;
  const StripeClientOptions options_;
  const BaseUrl url_;
  ssl::context tls_;
  std::minstd_rand rng_;
  std::deque<std::unique_ptr<Connection>> idle_;  // oldest first; reuse takes the newest
  std::deque<Waiter*> waiters_;
  RequestPacer pacer_;
};

Result<std::unique_ptr<StripeClient>> StripeClient::create(asio::io_context& io, StripeClientOptions options) {
  auto url = parse_base_url(options.api_base);
  if (!url) return std::move(url).error();
  if (options.secret_key.empty()) return Error::validation("STRIPE_SECRET_KEY", "is required to call Stripe");
  if (options.max_connections == 0) return Error::validation("max_connections", "must be at least 1");
  if (options.max_retries < 0) return Error::validation("max_retries", "must not be negative");
  if (options.pacing.max_rate < 0) return Error::validation("STRIPE_MAX_REQUESTS_PER_SECOND", "must not be negative");
  if (options.request_timeout.count() <= 0 || options.total_timeout.count() <= 0) {
    return Error::validation("request_timeout", "timeouts must be positive");
  }

  ssl::context tls(ssl::context::tls_client);
  tls.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                  ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
  beast::error_code ec;
  tls.set_default_verify_paths(ec);
  if (ec) return Error::internal("cannot load the system CA store: " + ec.message());
  if (!options.extra_ca_file.empty()) {
    tls.load_verify_file(options.extra_ca_file, ec);
    if (ec) return Error::validation("extra_ca_file", "cannot load " + options.extra_ca_file + ": " + ec.message());
  }
  tls.set_verify_mode(ssl::verify_peer);

  auto impl = std::make_shared<Impl>(io, std::move(options), std::move(url).value(), std::move(tls));
  return std::unique_ptr<StripeClient>(new StripeClient(std::move(impl)));
}

StripeClient::StripeClient(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}

StripeClient::~StripeClient() {
  // Idle connections close on the strand; calls in flight keep the Impl alive until they complete.
  auto impl = impl_;
  asio::post(impl->strand(), [impl] { impl->close_idle(); });
}

std::size_t StripeClient::open_connections() const noexcept { return impl_->open_.load(); }
std::size_t StripeClient::connections_opened_total() const noexcept { return impl_->opened_total_.load(); }
std::size_t StripeClient::rate_limited_total() const noexcept { return impl_->rate_limited_total_.load(); }

void StripeClient::create_payment_intent(PaymentIntentRequest request, StripeCallback<PaymentIntent> done) {
  FormFields form;
  form.emplace_back("amount", std::to_string(request.amount.minor()));
  form.emplace_back("currency", std::string(request.amount.currency().code()));
  form.emplace_back("payment_method", request.payment_method);
  form.emplace_back("confirm", "true");
  if (request.return_url) {
    form.emplace_back("return_url", *request.return_url);
  } else {
    form.emplace_back("payment_method_types[0]", "card");  // no redirect-based methods, so no return_url needed
  }
  if (request.customer) form.emplace_back("customer", *request.customer);
  if (request.description) form.emplace_back("description", *request.description);
  form.emplace_back("metadata[payment_id]", request.payment_id);
  form.emplace_back("metadata[order_id]", request.order_id);
  for (auto& [key, value] : request.metadata) {
    if (key == "payment_id" || key == "order_id") continue;  // ours win
    if (key.empty() || has_bracket(key)) {
      StripeError error;
      error.http_status = 400;  // refused before sending, as Stripe would
      error.type = "invalid_request_error";
      error.code = "parameter_invalid";
      error.param = "metadata";
      error.message = "metadata keys must be non-empty and must not contain '[' or ']'";
      impl_->fail<PaymentIntent>(std::move(error), std::move(done));
      return;
    }
    form.emplace_back("metadata[" + key + "]", std::move(value));
  }
  HttpCall call{http::verb::post, "/v1/payment_intents", form_encode(form),
                request.idempotency_key.empty() ? random_token(system_random()) : request.idempotency_key};
  impl_->start<PaymentIntent>(std::move(call), &parse_payment_intent, std::move(done));
}

void StripeClient::retrieve_payment_intent(std::string id, StripeCallback<PaymentIntent> done) {
  HttpCall call{http::verb::get, "/v1/payment_intents/" + percent_encode(id), {}, {}};
  impl_->start<PaymentIntent>(std::move(call), &parse_payment_intent, std::move(done));
}

void StripeClient::cancel_payment_intent(std::string id, std::string reason, std::string idempotency_key,
                                         StripeCallback<PaymentIntent> done) {
  FormFields form;
  if (!reason.empty()) form.emplace_back("cancellation_reason", std::move(reason));
  HttpCall call{http::verb::post, "/v1/payment_intents/" + percent_encode(id) + "/cancel", form_encode(form),
                idempotency_key.empty() ? random_token(system_random()) : std::move(idempotency_key)};
  impl_->start<PaymentIntent>(std::move(call), &parse_payment_intent, std::move(done));
}

void StripeClient::search_payment_intents_by_metadata(std::string key, std::string value,
                                                      StripeCallback<std::vector<PaymentIntent>> done) {
  const std::string query = "metadata['" + search_literal(key) + "']:'" + search_literal(value) + "'";
  HttpCall call{http::verb::get, "/v1/payment_intents/search?query=" + percent_encode(query), {}, {}};
  impl_->start<std::vector<PaymentIntent>>(std::move(call), &parse_payment_intent_search, std::move(done));
}

void StripeClient::create_refund(RefundRequest request, StripeCallback<Refund> done) {
  FormFields form;
  form.emplace_back("payment_intent", request.payment_intent);
  // A refund has no currency of its own at Stripe: it is in the charge's.
  if (request.amount) form.emplace_back("amount", std::to_string(request.amount->minor()));
  if (request.reason) form.emplace_back("reason", *request.reason);
  for (auto& [key, value] : request.metadata) {
    if (key.empty() || has_bracket(key)) {
      StripeError error;
      error.http_status = 400;
      error.type = "invalid_request_error";
      error.code = "parameter_invalid";
      error.param = "metadata";
      error.message = "metadata keys must be non-empty and must not contain '[' or ']'";
      impl_->fail<Refund>(std::move(error), std::move(done));
      return;
    }
    form.emplace_back("metadata[" + key + "]", std::move(value));
  }
  HttpCall call{http::verb::post, "/v1/refunds", form_encode(form),
                request.idempotency_key.empty() ? random_token(system_random()) : request.idempotency_key};
  impl_->start<Refund>(std::move(call), &parse_refund, std::move(done));
}

void StripeClient::retrieve_refund(std::string id, StripeCallback<Refund> done) {
  HttpCall call{http::verb::get, "/v1/refunds/" + percent_encode(id), {}, {}};
  impl_->start<Refund>(std::move(call), &parse_refund, std::move(done));
}

}  // namespace payments::stripe
