// The real simulator server on an ephemeral loopback port, driven over HTTP and HTTPS.
#include <doctest/doctest.h>
#include <rapidjson/document.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>

#include "running_sim.hpp"
#include "sim_server.hpp"

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using payments::stripe_sim::testing::RunningSim;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;
using namespace payments::stripe_sim;

namespace {

constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);


struct Call {
  std::string method = "GET";
  std::string target;
  std::string body;
  std::string api_key = "sk_test_123";
  std::string idempotency_key;
};

bhttp::request<bhttp::string_body> to_request(const Call& call) {
  bhttp::request<bhttp::string_body> req{bhttp::string_to_verb(call.method), call.target, 11};
  req.set(bhttp::field::host, "127.0.0.1");
  if (!call.api_key.empty()) req.set(bhttp::field::authorization, "Bearer " + call.api_key);
  if (!call.idempotency_key.empty()) req.set("Idempotency-Key", call.idempotency_key);
  if (!call.body.empty()) req.set(bhttp::field::content_type, "application/x-www-form-urlencoded");
  req.body() = call.body;
  req.prepare_payload();
  return req;
}

struct Outcome {
  beast::error_code error;
  bhttp::response<bhttp::string_body> response;
};

// One request on a fresh connection, giving up after `timeout`.
asio::awaitable<Outcome> exchange(std::uint16_t port, Call call, std::chrono::milliseconds timeout) {
  Outcome outcome;
  beast::tcp_stream stream(co_await asio::this_coro::executor);
  stream.expires_after(timeout);
  auto [connect_error] =
      co_await stream.async_connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), kUseTuple);
  if (connect_error) {
    outcome.error = connect_error;
    co_return outcome;
  }
  auto req = to_request(call);
  auto [write_error, written] = co_await bhttp::async_write(stream, req, kUseTuple);
  if (write_error) {
    outcome.error = write_error;
    co_return outcome;
  }
  beast::flat_buffer buffer;
  auto [read_error, read] = co_await bhttp::async_read(stream, buffer, outcome.response, kUseTuple);
  outcome.error = read_error;
  co_return outcome;
}

Outcome call(std::uint16_t port, Call c, std::chrono::milliseconds timeout = 5s) {
  asio::io_context ioc;
  Outcome result;
  asio::co_spawn(ioc, exchange(port, std::move(c), timeout), [&](std::exception_ptr e, Outcome o) {
    if (e) std::rethrow_exception(e);
    result = std::move(o);
  });
  ioc.run();
  return result;
}

rapidjson::Document json(const std::string& body) {
  rapidjson::Document doc;
  doc.Parse(body.c_str());
  REQUIRE_MESSAGE(!doc.HasParseError(), body);
  return doc;
}

const std::string kPayVisa = "amount=1000&currency=usd&confirm=true&payment_method=pm_card_visa&metadata[payment_id]=p1";

}  // namespace

TEST_CASE("the simulator server answers a payment intent round trip over HTTP") {
  RunningSim sim({});
  auto created = call(sim.port(), {"POST", "/v1/payment_intents", kPayVisa, "sk_test_123", "k-1"});
  REQUIRE_FALSE(created.error);
  CHECK(created.response.result_int() == 200);
  CHECK(created.response[bhttp::field::content_type] == "application/json");
  auto pi = json(created.response.body());
  CHECK(std::string(pi["status"].GetString()) == "succeeded");

  const std::string id = pi["id"].GetString();
  auto fetched = call(sim.port(), {"GET", "/v1/payment_intents/" + id, {}, "sk_test_123", {}});
  CHECK(fetched.response.result_int() == 200);
  CHECK(json(fetched.response.body())["amount"].GetInt64() == 1000);

  auto replay = call(sim.port(), {"POST", "/v1/payment_intents", kPayVisa, "sk_test_123", "k-1"});
  CHECK(replay.response["Idempotent-Replayed"] == "true");
  CHECK(replay.response.body() == created.response.body());

  auto unauthenticated = call(sim.port(), {"POST", "/v1/payment_intents", kPayVisa, "", {}});
  CHECK(unauthenticated.response.result_int() == 401);
  CHECK(std::string(json(unauthenticated.response.body())["error"]["type"].GetString()) == "invalid_request_error");

  auto charges = json(call(sim.port(), {"GET", "/_sim/charges", {}, "", {}}).response.body());
  REQUIRE(charges.IsArray());
  REQUIRE(charges.Size() == 1);
  CHECK(std::string(charges[0]["payment_intent"].GetString()) == id);
  CHECK(std::string(charges[0]["idempotency_key"].GetString()) == "k-1");
  CHECK(std::string(charges[0]["metadata"]["payment_id"].GetString()) == "p1");

  auto requests = json(call(sim.port(), {"GET", "/_sim/requests", {}, "", {}}).response.body());
  CHECK(requests["POST /v1/payment_intents"].GetInt64() == 3);

  CHECK(call(sim.port(), {"POST", "/_sim/reset", {}, "", {}}).response.result_int() == 200);
  CHECK(call(sim.port(), {"GET", "/_sim/charges", {}, "", {}}).response.body() == "[]");
}

TEST_CASE("3-D Secure redirect URLs point at the running simulator and complete the payment") {
  RunningSim sim({});
  auto created = call(sim.port(), {"POST", "/v1/payment_intents",
                                   "amount=1000&currency=usd&confirm=true&payment_method=pm_card_threeDSecure2Required",
                                   "sk_test_123", {}});
  auto pi = json(created.response.body());
  const std::string url = pi["next_action"]["redirect_to_url"]["url"].GetString();
  const std::string base = "http://127.0.0.1:" + std::to_string(sim.port());
  REQUIRE(url.rfind(base, 0) == 0);
  auto followed = call(sim.port(), {"GET", url.substr(base.size()), {}, "", {}});
  CHECK(followed.response.result_int() == 200);
  CHECK(std::string(json(followed.response.body())["status"].GetString()) == "succeeded");
}

TEST_CASE("with --latency-ms, hundreds of requests wait concurrently on two threads") {
  SimConfig config;
  config.threads = 2;
  config.faults.latency_ms = 300;
  RunningSim sim(config);
  constexpr int kRequests = 200;
  asio::io_context ioc;
  int ok = 0;
  const auto started = std::chrono::steady_clock::now();
  for (int i = 0; i < kRequests; ++i) {
    Call c{"POST", "/v1/payment_intents", kPayVisa, "sk_test_123", "concurrent-" + std::to_string(i)};
    asio::co_spawn(ioc, exchange(sim.port(), std::move(c), 10s), [&ok](std::exception_ptr e, Outcome o) {
      if (!e && !o.error && o.response.result_int() == 200) ++ok;
    });
  }
  ioc.run();
  const auto elapsed = std::chrono::steady_clock::now() - started;
  CHECK(ok == kRequests);
  CHECK(elapsed >= 300ms);
  CHECK(elapsed < 3s);  // one at a time would take a minute
  CHECK(sim.server().simulator().charge_count() == kRequests);
}

TEST_CASE("a concurrent duplicate during latency gets 409") {
  SimConfig config;
  config.faults.latency_ms = 300;
  RunningSim sim(config);
  asio::io_context ioc;
  std::vector<unsigned> statuses;
  for (int i = 0; i < 2; ++i) {
    asio::co_spawn(ioc, exchange(sim.port(), {"POST", "/v1/payment_intents", kPayVisa, "sk_test_123", "dup"}, 5s),
                   [&statuses](std::exception_ptr, Outcome o) { statuses.push_back(o.response.result_int()); });
  }
  ioc.run();
  std::sort(statuses.begin(), statuses.end());
  CHECK(statuses == std::vector<unsigned>{200, 409});
  CHECK(sim.server().simulator().charge_count() == 1);
}

TEST_CASE("injected faults: 429 with Stripe-Should-Retry, 500 before any work, and a charge nobody hears about") {
  RunningSim sim({});
  auto set_faults = [&](const std::string& body) {
    CHECK(call(sim.port(), {"POST", "/_sim/faults", body, "", {}}).response.result_int() == 200);
  };

  set_faults(R"({"rate_limit_rate":1})");
  auto limited = call(sim.port(), {"POST", "/v1/payment_intents", kPayVisa, "sk_test_123", "f-1"});
  CHECK(limited.response.result_int() == 429);
  CHECK(limited.response["Stripe-Should-Retry"] == "true");

  set_faults(R"({"rate_limit_rate":0,"fail_rate":1})");
  auto failed = call(sim.port(), {"POST", "/v1/payment_intents", kPayVisa, "sk_test_123", "f-1"});
  CHECK(failed.response.result_int() == 500);
  CHECK(std::string(json(failed.response.body())["error"]["type"].GetString()) == "api_error");
  CHECK(sim.server().simulator().charge_count() == 0);

  set_faults(R"({"fail_rate":0,"timeout_rate":1})");
  auto timed_out = call(sim.port(), {"POST", "/v1/payment_intents", kPayVisa, "sk_test_123", "f-1"}, 300ms);
  CHECK(timed_out.error == beast::error::timeout);
  CHECK(sim.server().simulator().charge_count() == 1);  // Stripe charged; the client never heard

  set_faults(R"({"timeout_rate":0})");
  auto retried = call(sim.port(), {"POST", "/v1/payment_intents", kPayVisa, "sk_test_123", "f-1"});
  CHECK(retried.response.result_int() == 200);
  CHECK(retried.response["Idempotent-Replayed"] == "true");
  CHECK(sim.server().simulator().charge_count() == 1);

  CHECK(call(sim.port(), {"POST", "/_sim/faults", R"({"fail_rate":3})", "", {}}).response.result_int() == 400);
}

TEST_CASE("a charge whose answer timed out is answered on a retry with its key, and found by search") {
  RunningSim sim({});
  const std::string body =
      "amount=1000&currency=usd&confirm=true&payment_method=pm_card_visa&metadata[payment_id]=pay_lost";
  CHECK(call(sim.port(), {"POST", "/_sim/faults", R"({"timeout_rate":1})", "", {}}).response.result_int() == 200);
  auto timed_out = call(sim.port(), {"POST", "/v1/payment_intents", body, "sk_test_123", "payments:pay_lost:charge"},
                        300ms);
  CHECK(timed_out.error == beast::error::timeout);
  REQUIRE(sim.server().simulator().charge_count() == 1);
  const auto charges = json(call(sim.port(), {"GET", "/_sim/charges", {}, "", {}}).response.body());
  const std::string charged = charges[0]["payment_intent"].GetString();

  // Every request still draws the timeout, yet the retries (the worker's, then a reconciler's) are answered:
  // a replay executes nothing, so there is nothing to withhold.
  for (int attempt = 0; attempt < 2; ++attempt) {
    CAPTURE(attempt);
    auto retried = call(sim.port(), {"POST", "/v1/payment_intents", body, "sk_test_123", "payments:pay_lost:charge"},
                        2s);
    REQUIRE_FALSE(retried.error);
    CHECK(retried.response.result_int() == 200);
    CHECK(retried.response["Idempotent-Replayed"] == "true");
    auto pi = json(retried.response.body());
    CHECK(std::string(pi["id"].GetString()) == charged);
    CHECK(std::string(pi["status"].GetString()) == "succeeded");
  }
  CHECK(sim.server().simulator().charge_count() == 1);

  // A new request that runs is still withheld.
  auto fresh = call(sim.port(), {"POST", "/v1/payment_intents", body, "sk_test_123", "another-key"}, 300ms);
  CHECK(fresh.error == beast::error::timeout);
  CHECK(sim.server().simulator().charge_count() == 2);

  // GET runs too, so the search is made once the fault is off.
  CHECK(call(sim.port(), {"POST", "/_sim/faults", R"({"timeout_rate":0})", "", {}}).response.result_int() == 200);
  const std::string search = "/v1/payment_intents/search?query=metadata%5B%27payment_id%27%5D%3A%27pay_lost%27";
  auto found = call(sim.port(), {"GET", search, {}, "sk_test_123", {}});
  REQUIRE(found.response.result_int() == 200);
  auto result = json(found.response.body());
  REQUIRE(result["data"].Size() == 2);  // newest first: the one made under "another-key", then the lost one
  CHECK(std::string(result["data"][1]["id"].GetString()) == charged);
  CHECK(std::string(result["data"][1]["status"].GetString()) == "succeeded");
}

TEST_CASE("a succeeded payment can be disputed through the control endpoint") {
  RunningSim sim({});
  auto pi = json(call(sim.port(), {"POST", "/v1/payment_intents", kPayVisa, "sk_test_123", {}}).response.body());
  const std::string id = pi["id"].GetString();

  const std::string target = "/_sim/payment_intents/" + id + "/dispute?reason=product_not_received&amount=400";
  auto opened = call(sim.port(), {"POST", target, {}, "", {}});
  REQUIRE(opened.response.result_int() == 200);
  auto dispute = json(opened.response.body());
  CHECK(std::string(dispute["object"].GetString()) == "dispute");
  CHECK(std::string(dispute["reason"].GetString()) == "product_not_received");
  CHECK(dispute["amount"].GetInt64() == 400);
  CHECK(std::string(dispute["charge"].GetString()) == pi["latest_charge"].GetString());
  CHECK(std::string(dispute["payment_intent"].GetString()) == id);
  auto listed = json(call(sim.port(), {"GET", "/_sim/disputes", {}, "", {}}).response.body());
  REQUIRE(listed.Size() == 1);
  CHECK(std::string(listed[0]["id"].GetString()) == dispute["id"].GetString());

  auto other = json(call(sim.port(), {"POST", "/v1/payment_intents", kPayVisa, "sk_test_123", {}}).response.body());
  auto whole = json(call(sim.port(), {"POST", "/_sim/payment_intents/" + std::string(other["id"].GetString()) +
                                             "/dispute", {}, "", {}})
                        .response.body());
  CHECK(std::string(whole["reason"].GetString()) == "fraudulent");
  CHECK(whole["amount"].GetInt64() == 1000);

  auto waiting = json(call(sim.port(), {"POST", "/v1/payment_intents",
                                        "amount=1000&currency=usd&payment_method=pm_card_visa", "sk_test_123", {}})
                          .response.body());
  auto refused = call(sim.port(), {"POST", "/_sim/payment_intents/" + std::string(waiting["id"].GetString()) +
                                          "/dispute", {}, "", {}});
  CHECK(refused.response.result_int() == 400);
  CHECK(std::string(json(refused.response.body())["error"]["type"].GetString()) == "invalid_request_error");
  CHECK(call(sim.port(), {"POST", "/_sim/payment_intents/pi_nope/dispute", {}, "", {}}).response.result_int() == 404);
}

TEST_CASE("a refund can be failed through the control endpoint") {
  RunningSim sim({});
  auto pi = json(call(sim.port(), {"POST", "/v1/payment_intents",
                                   "amount=1000&currency=usd&confirm=true&payment_method=pm_card_refundFail",
                                   "sk_test_123", {}})
                     .response.body());
  auto refund = json(call(sim.port(), {"POST", "/v1/refunds", std::string("payment_intent=") + pi["id"].GetString(),
                                       "sk_test_123", {}})
                         .response.body());
  const std::string id = refund["id"].GetString();
  auto failed = call(sim.port(), {"POST", "/_sim/refunds/" + id + "/fail", {}, "", {}});
  CHECK(failed.response.result_int() == 200);
  auto fetched = json(call(sim.port(), {"GET", "/v1/refunds/" + id, {}, "sk_test_123", {}}).response.body());
  CHECK(std::string(fetched["status"].GetString()) == "failed");
  auto listed = json(call(sim.port(), {"GET", "/_sim/refunds", {}, "", {}}).response.body());
  REQUIRE(listed.Size() == 1);
  CHECK(std::string(listed[0]["status"].GetString()) == "failed");
}

TEST_CASE("with a certificate and key the simulator serves HTTPS that verifies against that certificate") {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("stripe-sim-tls-" + std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()));
  std::filesystem::create_directories(dir);
  const auto cert = (dir / "cert.pem").string();
  const auto key = (dir / "key.pem").string();
  const std::string command = "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 "
                              "-subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout '" +
                              key + "' -out '" + cert + "' >/dev/null 2>&1";
  REQUIRE(std::system(command.c_str()) == 0);

  SimConfig config;
  config.tls = payments::http::TlsOptions{cert, key};
  {
    RunningSim sim(config);
    CHECK(sim.server().base_url().rfind("https://127.0.0.1:", 0) == 0);

    asio::io_context ioc;
    asio::ssl::context ctx(asio::ssl::context::tls_client);
    ctx.load_verify_file(cert);
    ctx.set_verify_mode(asio::ssl::verify_peer);
    beast::ssl_stream<beast::tcp_stream> stream(ioc, ctx);
    stream.set_verify_callback(asio::ssl::host_name_verification("localhost"));
    beast::get_lowest_layer(stream).connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), sim.port()));
    stream.handshake(asio::ssl::stream_base::client);
    auto req = to_request({"POST", "/v1/payment_intents", kPayVisa, "sk_test_123", {}});
    bhttp::write(stream, req);
    beast::flat_buffer buffer;
    bhttp::response<bhttp::string_body> res;
    bhttp::read(stream, buffer, res);
    CHECK(res.result_int() == 200);
    CHECK(std::string(json(res.body())["status"].GetString()) == "succeeded");
    beast::error_code ignored;
    stream.shutdown(ignored);

    // plain HTTP to the HTTPS port gets no answer
    auto plain = call(sim.port(), {"GET", "/_sim/health", {}, "", {}}, 2s);
    CHECK(plain.error);
  }
  std::filesystem::remove_all(dir);
}
