// StripeClient against a throwaway Stripe stand-in served from this process on 127.0.0.1, port 0.
#include <doctest/doctest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "payments/core/currency.hpp"
#include "payments/core/money.hpp"
#include "payments/stripe/async_call.hpp"
#include "payments/stripe/stripe_client.hpp"

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using namespace std::chrono_literals;
using namespace payments;
using namespace payments::stripe;

namespace {

constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);
const char* const kKey = "sk_test_51TopSecretKeyValue";

struct Recorded {
  std::string method;
  std::string target;
  std::string body;
  std::map<std::string, std::string> headers;  // lower-case names
  int connection = 0;

  [[nodiscard]] std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
};

struct Canned {
  int status = 200;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  std::chrono::milliseconds delay{0};
  bool no_response = false;  // read the request, wait `delay`, close without answering
  bool drop = false;         // answer as keep-alive, then close the connection anyway
};

std::string intent_json(const std::string& id, const std::string& status, std::int64_t amount = 1099) {
  return R"({"id":")" + id + R"(","object":"payment_intent","amount":)" + std::to_string(amount) +
         R"(,"currency":"usd","status":")" + status + R"(","latest_charge":"ch_1","next_action":null})";
}

// Answers every request with what the handler returns and records what it saw.
class FakeStripe {
 public:
  using Handler = std::function<Canned(const Recorded&)>;

  FakeStripe(asio::io_context& io, Handler handler, asio::ssl::context* tls = nullptr)
      : acceptor_(io, {asio::ip::make_address("127.0.0.1"), 0}), handler_(std::move(handler)), tls_(tls) {
    asio::co_spawn(io, accept_loop(), asio::detached);
  }

  [[nodiscard]] std::string base_url() const {
    return std::string(tls_ != nullptr ? "https" : "http") + "://127.0.0.1:" +
           std::to_string(acceptor_.local_endpoint().port());
  }

  std::vector<Recorded> requests;
  int connections = 0;

 private:
  asio::awaitable<void> accept_loop() {
    for (;;) {
      auto [ec, socket] = co_await acceptor_.async_accept(kAwait);
      if (ec) co_return;
      const int id = ++connections;
      asio::co_spawn(acceptor_.get_executor(), serve(std::move(socket), id), asio::detached);
    }
  }

  asio::awaitable<void> serve(asio::ip::tcp::socket socket, int id) {
    if (tls_ == nullptr) {
      beast::tcp_stream stream(std::move(socket));
      co_await session(stream, id);
      co_return;
    }
    beast::ssl_stream<beast::tcp_stream> stream(std::move(socket), *tls_);
    auto [ec] = co_await stream.async_handshake(asio::ssl::stream_base::server, kAwait);
    if (ec) co_return;
    co_await session(stream, id);
  }

  template <typename Stream>
  asio::awaitable<void> session(Stream& stream, int id) {
    beast::flat_buffer buffer;
    for (;;) {
      http::request<http::string_body> req;
      auto [ec, n] = co_await http::async_read(stream, buffer, req, kAwait);
      if (ec) co_return;
      Recorded r;
      r.method = std::string(req.method_string());
      r.target = std::string(req.target());
      r.body = req.body();
      r.connection = id;
      for (const auto& field : req) {
        std::string name(field.name_string());
        for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        r.headers[name] = std::string(field.value());
      }
      requests.push_back(r);
      const Canned canned = handler_(r);
      if (canned.delay.count() > 0) {
        asio::steady_timer timer(acceptor_.get_executor(), canned.delay);
        co_await timer.async_wait(kAwait);
      }
      if (canned.no_response) co_return;
      http::response<http::string_body> res{static_cast<http::status>(canned.status), 11};
      res.set(http::field::content_type, "application/json");
      res.set("Request-Id", "req_" + std::to_string(requests.size()));
      for (const auto& [name, value] : canned.headers) res.set(name, value);
      res.body() = canned.body;
      res.keep_alive(true);
      res.prepare_payload();
      auto [wec, written] = co_await http::async_write(stream, res, kAwait);
      if (wec || canned.drop) co_return;
    }
  }

  asio::ip::tcp::acceptor acceptor_;
  Handler handler_;
  asio::ssl::context* tls_;
};

StripeClientOptions fast_options(const std::string& base) {
  StripeClientOptions o;
  o.api_base = base;
  o.secret_key = Secret(kKey);
  o.request_timeout = 2s;
  o.total_timeout = 5s;
  o.initial_retry_delay = 1ms;
  o.max_retry_delay = 5ms;
  return o;
}

std::unique_ptr<StripeClient> make_client(asio::io_context& io, StripeClientOptions options) {
  auto client = StripeClient::create(io, std::move(options));
  REQUIRE_MESSAGE(client.has_value(), (client.has_value() ? std::string() : client.error().message));
  return std::move(client).value();
}

// Starts a call and runs the io_context until it completes.
template <typename T, typename Start>
StripeResult<T> wait_for(asio::io_context& io, Start start) {
  std::optional<StripeResult<T>> out;
  start([&out](StripeResult<T> r) { out.emplace(std::move(r)); });
  const auto give_up = std::chrono::steady_clock::now() + 15s;
  while (!out && std::chrono::steady_clock::now() < give_up) io.run_one_for(50ms);
  REQUIRE(out.has_value());
  return std::move(*out);
}

PaymentIntentRequest card_payment(std::string payment_method, std::string key) {
  return PaymentIntentRequest{.amount = Money::charge(1099, *Currency::from_code("usd")).value(),
                              .payment_method = std::move(payment_method),
                              .payment_id = "pay_123",
                              .order_id = "ord 42",
                              .customer = std::nullopt,
                              .description = "Two teas & a cake",
                              .return_url = std::nullopt,
                              .metadata = {{"channel", "web"}},
                              .idempotency_key = std::move(key)};
}

StripeResult<PaymentIntent> create(asio::io_context& io, StripeClient& client, PaymentIntentRequest req) {
  return wait_for<PaymentIntent>(
      io, [&](auto done) { client.create_payment_intent(std::move(req), std::move(done)); });
}

}  // namespace

TEST_CASE("create-and-confirm sends the documented form body and headers, and parses the intent") {
  asio::io_context io;
  FakeStripe stripe(io, [](const Recorded&) { return Canned{200, intent_json("pi_1", "succeeded"), {}}; });
  auto client = make_client(io, fast_options(stripe.base_url()));

  auto r = create(io, *client, card_payment("pm_card_visa", "idem-1"));
  REQUIRE(r.has_value());
  CHECK(r->id == "pi_1");
  CHECK(r->status == "succeeded");
  CHECK(r->amount.minor() == 1099);

  REQUIRE(stripe.requests.size() == 1);
  const auto& req = stripe.requests[0];
  CHECK(req.method == "POST");
  CHECK(req.target == "/v1/payment_intents");
  CHECK(req.header("authorization") == std::string("Bearer ") + kKey);
  CHECK(req.header("idempotency-key") == "idem-1");
  CHECK(req.header("stripe-version") == "2024-06-20");
  CHECK(req.header("content-type") == "application/x-www-form-urlencoded");
  CHECK_FALSE(req.header("user-agent").empty());
  CHECK(req.body ==
        "amount=1099&currency=usd&payment_method=pm_card_visa&confirm=true&payment_method_types[0]=card"
        "&description=Two%20teas%20%26%20a%20cake&metadata[payment_id]=pay_123&metadata[order_id]=ord%2042"
        "&metadata[channel]=web");
}

TEST_CASE("keep-alive: sequential calls reuse one connection") {
  asio::io_context io;
  FakeStripe stripe(io, [](const Recorded& r) {
    if (r.target.starts_with("/v1/refunds/"))
      return Canned{200, R"({"id":"re_1","amount":100,"currency":"usd","status":"pending","payment_intent":"pi_1"})", {}};
    return Canned{200, intent_json("pi_1", "processing"), {}};
  });
  auto client = make_client(io, fast_options(stripe.base_url()));

  for (int i = 0; i < 3; ++i) {
    auto r = wait_for<PaymentIntent>(io, [&](auto done) { client->retrieve_payment_intent("pi_1", done); });
    REQUIRE(r.has_value());
  }
  auto refund = wait_for<Refund>(io, [&](auto done) { client->retrieve_refund("re_1", done); });
  REQUIRE(refund.has_value());
  CHECK(refund->status == "pending");

  REQUIRE(stripe.requests.size() == 4);
  CHECK(stripe.requests[0].method == "GET");
  CHECK(stripe.requests[0].target == "/v1/payment_intents/pi_1");
  CHECK(stripe.requests[0].header("idempotency-key").empty());
  CHECK(stripe.connections == 1);
  CHECK(client->connections_opened_total() == 1);
  CHECK(client->open_connections() == 1);
}

TEST_CASE("a 500 is retried with the same idempotency key, then succeeds") {
  asio::io_context io;
  int calls = 0;
  FakeStripe stripe(io, [&](const Recorded&) {
    if (++calls == 1) return Canned{500, R"({"error":{"type":"api_error","message":"oops"}})", {}};
    return Canned{200, intent_json("pi_2", "succeeded"), {}};
  });
  auto client = make_client(io, fast_options(stripe.base_url()));

  SUBCASE("caller's key") {
    auto r = create(io, *client, card_payment("pm_card_visa", "idem-retry"));
    REQUIRE(r.has_value());
    REQUIRE(stripe.requests.size() == 2);
    CHECK(stripe.requests[0].header("idempotency-key") == "idem-retry");
    CHECK(stripe.requests[1].header("idempotency-key") == "idem-retry");
  }
  SUBCASE("generated key") {
    auto r = create(io, *client, card_payment("pm_card_visa", ""));
    REQUIRE(r.has_value());
    REQUIRE(stripe.requests.size() == 2);
    CHECK_FALSE(stripe.requests[0].header("idempotency-key").empty());
    CHECK(stripe.requests[0].header("idempotency-key") == stripe.requests[1].header("idempotency-key"));
  }
  CHECK(stripe.requests[0].body == stripe.requests[1].body);
}

TEST_CASE("Stripe-Should-Retry decides, and retries stop at max_retries") {
  asio::io_context io;
  Canned answer;
  FakeStripe stripe(io, [&](const Recorded&) { return answer; });
  auto options = fast_options(stripe.base_url());
  options.max_retries = 2;
  auto client = make_client(io, options);

  SUBCASE("500 with Stripe-Should-Retry: false is not retried") {
    answer = Canned{500, R"({"error":{"type":"api_error","message":"no"}})", {{"Stripe-Should-Retry", "false"}}};
    auto r = create(io, *client, card_payment("pm_card_visa", "k1"));
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().kind == StripeFailureKind::transient);
    CHECK(stripe.requests.size() == 1);
  }
  SUBCASE("429 without the header is not retried") {
    answer = Canned{429, R"({"error":{"type":"invalid_request_error","code":"rate_limit","message":"slow down"}})", {}};
    auto r = create(io, *client, card_payment("pm_card_visa", "k2"));
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().kind == StripeFailureKind::rate_limited);
    CHECK(r.error().http_status == 429);
    CHECK(stripe.requests.size() == 1);
  }
  SUBCASE("429 with Stripe-Should-Retry: true is retried until max_retries") {
    answer = Canned{429, R"({"error":{"type":"invalid_request_error","code":"rate_limit","message":"slow down"}})",
                    {{"Stripe-Should-Retry", "true"}}};
    auto r = create(io, *client, card_payment("pm_card_visa", "k3"));
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().kind == StripeFailureKind::rate_limited);
    CHECK(r.error().request_id == "req_3");
    CHECK(stripe.requests.size() == 3);
  }
}

TEST_CASE("a 402 decline is declined with its decline_code and the intent, and not retried") {
  asio::io_context io;
  FakeStripe stripe(io, [](const Recorded&) {
    return Canned{402,
                  R"({"error":{"type":"card_error","code":"card_declined","decline_code":"generic_decline",
                     "message":"Your card was declined.","payment_intent":{"id":"pi_d","amount":1099,"currency":"usd",
                     "status":"requires_payment_method","last_payment_error":{"type":"card_error",
                     "code":"card_declined","decline_code":"generic_decline","message":"Your card was declined."}}}})",
                  {}};
  });
  auto client = make_client(io, fast_options(stripe.base_url()));

  auto r = create(io, *client, card_payment("pm_card_visa_chargeDeclined", "k-decl"));
  REQUIRE_FALSE(r.has_value());
  const auto& e = r.error();
  CHECK(e.kind == StripeFailureKind::declined);
  CHECK(e.http_status == 402);
  CHECK(e.code == "card_declined");
  CHECK(e.decline_code == "generic_decline");
  CHECK_FALSE(e.retryable);
  REQUIRE(e.payment_intent != nullptr);
  CHECK(e.payment_intent->id == "pi_d");
  CHECK(stripe.requests.size() == 1);
}

TEST_CASE("a timeout after the request was sent is unknown_outcome for a create, transient for a read") {
  asio::io_context io;
  FakeStripe stripe(io, [](const Recorded&) {
    Canned c;
    c.no_response = true;
    c.delay = 3s;
    return c;
  });
  auto options = fast_options(stripe.base_url());
  options.request_timeout = 150ms;
  options.max_retries = 1;
  auto client = make_client(io, options);

  auto r = create(io, *client, card_payment("pm_card_visa", "k-timeout"));
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().kind == StripeFailureKind::unknown_outcome);
  CHECK(r.error().http_status == 0);
  CHECK(r.error().retryable);
  CHECK(r.error().kind != StripeFailureKind::declined);
  REQUIRE(stripe.requests.size() == 2);  // retried once, same key
  CHECK(stripe.requests[1].header("idempotency-key") == "k-timeout");

  auto read = wait_for<PaymentIntent>(io, [&](auto done) { client->retrieve_payment_intent("pi_1", done); });
  REQUIRE_FALSE(read.has_value());
  CHECK(read.error().kind == StripeFailureKind::transient);
}

TEST_CASE("the total deadline bounds all attempts together") {
  asio::io_context io;
  FakeStripe stripe(io, [](const Recorded&) {
    Canned c;
    c.no_response = true;
    c.delay = 3s;
    return c;
  });
  auto options = fast_options(stripe.base_url());
  options.request_timeout = 2s;
  options.total_timeout = 300ms;
  options.max_retries = 5;
  auto client = make_client(io, options);

  const auto started = std::chrono::steady_clock::now();
  auto r = create(io, *client, card_payment("pm_card_visa", "k-deadline"));
  const auto took = std::chrono::steady_clock::now() - started;
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().kind == StripeFailureKind::unknown_outcome);
  CHECK(took < 1s);
}

TEST_CASE("connection refused is transient: nothing was sent") {
  asio::io_context io;
  std::uint16_t port = 0;
  {
    asio::ip::tcp::acceptor probe(io, {asio::ip::make_address("127.0.0.1"), 0});
    port = probe.local_endpoint().port();
  }
  auto options = fast_options("http://127.0.0.1:" + std::to_string(port));
  options.max_retries = 1;
  auto client = make_client(io, options);
  auto r = create(io, *client, card_payment("pm_card_visa", "k-refused"));
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().kind == StripeFailureKind::transient);
  CHECK(r.error().type == "api_connection_error");
  CHECK(r.error().http_status == 0);
}

TEST_CASE("a keep-alive connection the server closed is replaced transparently") {
  asio::io_context io;
  FakeStripe stripe(io, [](const Recorded&) {
    Canned c{200, intent_json("pi_1", "succeeded"), {}};
    c.drop = true;  // says keep-alive, closes anyway
    return c;
  });
  auto options = fast_options(stripe.base_url());
  options.max_retries = 0;  // the replacement must not need a retry
  auto client = make_client(io, options);

  for (int i = 0; i < 3; ++i) {
    auto r = wait_for<PaymentIntent>(io, [&](auto done) { client->retrieve_payment_intent("pi_1", done); });
    CHECK(r.has_value());
  }
  CHECK(stripe.requests.size() == 3);
  CHECK(stripe.connections == 3);
}

TEST_CASE("many concurrent calls share at most max_connections connections") {
  asio::io_context io;
  FakeStripe stripe(io, [](const Recorded&) {
    Canned c{200, intent_json("pi_c", "succeeded"), {}};
    c.delay = 5ms;
    return c;
  });
  auto options = fast_options(stripe.base_url());
  options.max_connections = 4;
  auto client = make_client(io, options);

  constexpr int kCalls = 60;
  int ok = 0;
  int finished = 0;
  for (int i = 0; i < kCalls; ++i) {
    client->create_payment_intent(card_payment("pm_card_visa", "k-" + std::to_string(i)),
                                  [&](StripeResult<PaymentIntent> r) {
                                    ++finished;
                                    if (r) ++ok;
                                  });
  }
  const auto give_up = std::chrono::steady_clock::now() + 15s;
  while (finished < kCalls && std::chrono::steady_clock::now() < give_up) io.run_one_for(50ms);
  CHECK(finished == kCalls);
  CHECK(ok == kCalls);
  CHECK(stripe.requests.size() == kCalls);
  CHECK(stripe.connections <= 4);
  CHECK(client->open_connections() <= 4);
}

// Runs `count` creates at once and returns how long they took to all complete, and how many succeeded.
std::pair<std::chrono::milliseconds, int> run_concurrently(asio::io_context& io, StripeClient& client, int count) {
  int ok = 0;
  int finished = 0;
  const auto started = std::chrono::steady_clock::now();
  for (int i = 0; i < count; ++i) {
    client.create_payment_intent(card_payment("pm_card_visa", "paced-" + std::to_string(i)),
                                 [&](StripeResult<PaymentIntent> r) {
                                   ++finished;
                                   if (r) ++ok;
                                 });
  }
  const auto give_up = started + 20s;
  while (finished < count && std::chrono::steady_clock::now() < give_up) io.run_one_for(50ms);
  REQUIRE(finished == count);
  return {std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started), ok};
}

TEST_CASE("paced requests go out at the configured rate, and the wait is not part of the retry deadline") {
  asio::io_context io;
  std::vector<std::chrono::steady_clock::time_point> arrivals;
  FakeStripe stripe(io, [&](const Recorded&) {
    arrivals.push_back(std::chrono::steady_clock::now());
    return Canned{200, intent_json("pi_p", "succeeded"), {}};
  });
  auto options = fast_options(stripe.base_url());
  options.total_timeout = 300ms;  // far less than the last call waits for its turn
  options.pacing = {.max_rate = 40};
  auto client = make_client(io, options);

  // 8 at once (a fifth of a second's worth), then one every 25 ms: 48 take about a second.
  const auto [took, ok] = run_concurrently(io, *client, 48);
  CHECK(ok == 48);
  CHECK(took >= 900ms);
  CHECK(took < 3s);
  REQUIRE(arrivals.size() == 48);
  CHECK(arrivals.back() - arrivals[8] >= 900ms);
  CHECK(client->rate_limited_total() == 0);
}

TEST_CASE("a rate-limit 429 slows the pacer down; a lock_timeout 429 does not") {
  asio::io_context io;
  int calls = 0;
  std::string first_answer;
  FakeStripe stripe(io, [&](const Recorded&) {
    if (++calls == 1) {
      return Canned{429, first_answer, {{"Stripe-Should-Retry", "true"}}};
    }
    return Canned{200, intent_json("pi_r", "succeeded"), {}};
  });
  auto options = fast_options(stripe.base_url());
  options.pacing = {.max_rate = 1000};
  auto client = make_client(io, options);

  SUBCASE("rate_limit") {
    first_answer = R"({"error":{"type":"invalid_request_error","code":"rate_limit","message":"slow down"}})";
    auto r = create(io, *client, card_payment("pm_card_visa", "rl-1"));
    REQUIRE(r.has_value());  // retried with the same key
    CHECK(client->rate_limited_total() == 1);
  }
  SUBCASE("lock_timeout") {
    first_answer = R"({"error":{"type":"invalid_request_error","code":"lock_timeout","message":"busy"}})";
    auto r = create(io, *client, card_payment("pm_card_visa", "rl-2"));
    REQUIRE(r.has_value());
    CHECK(client->rate_limited_total() == 0);
  }
}

TEST_CASE("a negative pacing rate is refused at creation") {
  asio::io_context io;
  auto options = fast_options("http://127.0.0.1:1");
  options.pacing = {.max_rate = -1};
  auto client = StripeClient::create(io, options);
  REQUIRE_FALSE(client.has_value());
  CHECK(client.error().field == "STRIPE_MAX_REQUESTS_PER_SECOND");
}

TEST_CASE("the secret key never appears in an error message") {
  asio::io_context io;
  FakeStripe stripe(io, [](const Recorded&) {
    return Canned{401, std::string(R"({"error":{"type":"invalid_request_error","message":"Invalid API Key provided: )") +
                           kKey + R"("}})",
                  {}};
  });
  auto client = make_client(io, fast_options(stripe.base_url()));
  auto r = create(io, *client, card_payment("pm_card_visa", "k-auth"));
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().kind == StripeFailureKind::authentication);
  CHECK(r.error().message.find(kKey) == std::string::npos);
  CHECK(r.error().message.find("[redacted]") != std::string::npos);
}

TEST_CASE("cancel, refund and search send what Stripe expects") {
  asio::io_context io;
  FakeStripe stripe(io, [](const Recorded& r) {
    if (r.target.starts_with("/v1/refunds"))
      return Canned{200, R"({"id":"re_9","amount":500,"currency":"usd","status":"succeeded","payment_intent":"pi_1"})", {}};
    if (r.target.starts_with("/v1/payment_intents/search"))
      return Canned{200, R"({"object":"search_result","data":[)" + intent_json("pi_1", "succeeded") + "]}", {}};
    return Canned{200, intent_json("pi_1", "canceled"), {}};
  });
  auto client = make_client(io, fast_options(stripe.base_url()));

  auto canceled = wait_for<PaymentIntent>(io, [&](auto done) { client->cancel_payment_intent("pi_1", "abandoned", "k-cancel", done); });
  REQUIRE(canceled.has_value());
  CHECK(canceled->status == "canceled");

  RefundRequest refund{.payment_intent = "pi_1", .amount = Money::parse(500, "usd").value(), .reason = "requested_by_customer",
                       .metadata = {{"refund_id", "ref_1"}}, .idempotency_key = "k-refund"};
  auto created = wait_for<Refund>(io, [&](auto done) { client->create_refund(refund, done); });
  REQUIRE(created.has_value());
  CHECK(created->id == "re_9");

  auto found = wait_for<std::vector<PaymentIntent>>(
      io, [&](auto done) { client->search_payment_intents_by_metadata("payment_id", "pay_1'x", done); });
  REQUIRE(found.has_value());
  REQUIRE(found->size() == 1);

  REQUIRE(stripe.requests.size() == 3);
  CHECK(stripe.requests[0].method == "POST");
  CHECK(stripe.requests[0].target == "/v1/payment_intents/pi_1/cancel");
  CHECK(stripe.requests[0].header("idempotency-key") == "k-cancel");
  CHECK(stripe.requests[1].target == "/v1/refunds");
  CHECK(stripe.requests[1].body == "payment_intent=pi_1&amount=500&reason=requested_by_customer&metadata[refund_id]=ref_1");
  CHECK(stripe.requests[1].header("idempotency-key") == "k-refund");
  CHECK(stripe.requests[2].method == "GET");
  // metadata['payment_id']:'pay_1\'x'
  CHECK(stripe.requests[2].target ==
        "/v1/payment_intents/search?query=metadata%5B%27payment_id%27%5D%3A%27pay_1%5C%27x%27");
}

TEST_CASE("metadata keys with brackets are refused before anything is sent") {
  asio::io_context io;
  FakeStripe stripe(io, [](const Recorded&) { return Canned{200, intent_json("pi_1", "succeeded"), {}}; });
  auto client = make_client(io, fast_options(stripe.base_url()));
  auto req = card_payment("pm_card_visa", "k-meta");
  req.metadata = {{"a[b]", "c"}};
  auto r = create(io, *client, std::move(req));
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().kind == StripeFailureKind::invalid_request);
  CHECK(stripe.requests.empty());
}

TEST_CASE("invalid options are refused at creation") {
  asio::io_context io;
  StripeClientOptions o;
  o.secret_key = Secret(kKey);
  o.api_base = "ftp://api.stripe.com";
  CHECK_FALSE(StripeClient::create(io, o).has_value());
  o.api_base = "https://api.stripe.com/v1";
  CHECK_FALSE(StripeClient::create(io, o).has_value());
  o.api_base = "http://127.0.0.1:99999";
  CHECK_FALSE(StripeClient::create(io, o).has_value());
  o.api_base = "https://api.stripe.com/";
  CHECK(StripeClient::create(io, o).has_value());
  o.secret_key = Secret();
  auto missing = StripeClient::create(io, o);
  REQUIRE_FALSE(missing.has_value());
  CHECK(missing.error().field == "STRIPE_SECRET_KEY");
  o.secret_key = Secret(kKey);
  o.extra_ca_file = "/nonexistent/ca.pem";
  CHECK_FALSE(StripeClient::create(io, o).has_value());
}

TEST_CASE("async_call lets a coroutine co_await a gateway call") {
  asio::io_context io;
  FakeStripe stripe(io, [](const Recorded&) { return Canned{200, intent_json("pi_co", "requires_action"), {}}; });
  auto client = make_client(io, fast_options(stripe.base_url()));
  StripeGateway& gateway = *client;

  std::optional<StripeResult<PaymentIntent>> out;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        auto r = co_await async_call<PaymentIntent>(
            [&](auto done) { gateway.create_payment_intent(card_payment("pm_card_visa", "k-co"), std::move(done)); });
        out.emplace(std::move(r));
      },
      asio::detached);
  const auto give_up = std::chrono::steady_clock::now() + 10s;
  while (!out && std::chrono::steady_clock::now() < give_up) io.run_one_for(50ms);
  REQUIRE(out.has_value());
  REQUIRE(out->has_value());
  CHECK(out->value().id == "pi_co");
}

// ---- TLS, with certificates made for this run by the openssl command-line tool ----

namespace {

struct TempDir {
  TempDir() {
    char tmpl[] = "/tmp/stripe-tls-XXXXXX";
    REQUIRE(mkdtemp(tmpl) != nullptr);
    path = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  std::filesystem::path path;
};

// A self-signed certificate for the given subjectAltName; false when openssl is unavailable.
bool make_certificate(const std::filesystem::path& dir, const std::string& name, const std::string& san) {
  const std::string cmd = "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=test -addext subjectAltName=" +
                          san + " -keyout " + (dir / (name + ".key")).string() + " -out " +
                          (dir / (name + ".pem")).string() + " >/dev/null 2>&1";
  return std::system(cmd.c_str()) == 0;
}

asio::ssl::context server_context(const std::filesystem::path& dir, const std::string& name) {
  asio::ssl::context ctx(asio::ssl::context::tls_server);
  ctx.use_certificate_chain_file((dir / (name + ".pem")).string());
  ctx.use_private_key_file((dir / (name + ".key")).string(), asio::ssl::context::pem);
  return ctx;
}

}  // namespace

TEST_CASE("TLS: verified against an extra CA file, refused without it or for the wrong host name") {
  TempDir dir;
  REQUIRE(make_certificate(dir.path, "good", "IP:127.0.0.1,DNS:localhost"));
  REQUIRE(make_certificate(dir.path, "wrong", "DNS:other.example"));

  SUBCASE("trusted certificate for the host: works, reuses the connection") {
    asio::io_context io;
    auto ctx = server_context(dir.path, "good");
    FakeStripe stripe(io, [](const Recorded&) { return Canned{200, intent_json("pi_tls", "succeeded"), {}}; }, &ctx);
    auto options = fast_options(stripe.base_url());
    options.extra_ca_file = (dir.path / "good.pem").string();
    auto client = make_client(io, options);
    for (int i = 0; i < 2; ++i) {
      auto r = create(io, *client, card_payment("pm_card_visa", "k-tls"));
      REQUIRE(r.has_value());
      CHECK(r->id == "pi_tls");
    }
    CHECK(stripe.connections == 1);
    CHECK(stripe.requests.at(0).header("authorization") == std::string("Bearer ") + kKey);
  }
  SUBCASE("untrusted certificate: no request reaches the server") {
    asio::io_context io;
    auto ctx = server_context(dir.path, "good");
    FakeStripe stripe(io, [](const Recorded&) { return Canned{200, intent_json("pi_tls", "succeeded"), {}}; }, &ctx);
    auto options = fast_options(stripe.base_url());
    options.max_retries = 0;
    auto client = make_client(io, options);
    auto r = create(io, *client, card_payment("pm_card_visa", "k-tls"));
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().kind == StripeFailureKind::transient);  // never sent: not an unknown outcome
    CHECK(stripe.requests.empty());
  }
  SUBCASE("trusted certificate for another host name: refused") {
    asio::io_context io;
    auto ctx = server_context(dir.path, "wrong");
    FakeStripe stripe(io, [](const Recorded&) { return Canned{200, intent_json("pi_tls", "succeeded"), {}}; }, &ctx);
    auto options = fast_options(stripe.base_url());
    options.extra_ca_file = (dir.path / "wrong.pem").string();
    options.max_retries = 0;
    auto client = make_client(io, options);
    auto r = create(io, *client, card_payment("pm_card_visa", "k-tls"));
    REQUIRE_FALSE(r.has_value());
    CHECK(stripe.requests.empty());
  }
}
