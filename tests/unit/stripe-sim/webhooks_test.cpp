// The simulator's webhook sender against a real receiver on loopback: events arrive signed, verify with
// payments::verify_webhook, carry the right types and objects, are retried, and can be sent again.
#include <doctest/doctest.h>
#include <rapidjson/document.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "command_line.hpp"
#include "payments/core/webhook_signature.hpp"
#include "payments/crypto/crypto.hpp"
#include "payments/http/server.hpp"
#include "running_sim.hpp"
#include "sim_server.hpp"
#include "webhook_sender.hpp"

namespace asio = boost::asio;
namespace beast = boost::beast;
using payments::stripe_sim::testing::RunningSim;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;
using namespace payments;
using namespace payments::stripe_sim;

namespace {

const std::string kSecret = "whsec_sim_test_0123456789";
const WebhookHmac kHmac = [](std::string_view key, std::string_view data) {
  return crypto::hmac_sha256_hex(key, data);
};

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

struct Received {
  std::string target;
  std::optional<std::string> signature;
  std::string content_type;
  std::string body;
};

// A webhook endpoint on 127.0.0.1:<ephemeral>: records every request and answers with `status_for(n)`
// for the n-th request (1-based), 200 by default.
class Receiver {
 public:
  explicit Receiver(std::function<int(std::size_t)> status_for = [](std::size_t) { return 200; })
      : status_for_(std::move(status_for)), server_(options(), [this](const http::Request& r) { return on(r); }) {
    auto started = server_.start();
    REQUIRE_MESSAGE(started.has_value(), (started ? "" : started.error().message));
    thread_ = std::thread([this] { server_.run(); });
  }
  ~Receiver() {
    server_.stop();
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(server_.port()) + "/api/v1/webhooks/stripe"; }

  // Waits until at least `n` requests came (or 10 s passed) and returns them all.
  std::vector<Received> wait_for(std::size_t n) {
    std::unique_lock lock(mutex_);
    arrived_.wait_for(lock, 10s, [&] { return received_.size() >= n; });
    return received_;
  }
  std::vector<Received> received() {
    std::lock_guard lock(mutex_);
    return received_;
  }

 private:
  static http::ServerOptions options() {
    http::ServerOptions o;
    o.port = 0;
    o.threads = 1;
    return o;
  }
  http::Response on(const http::Request& request) {
    std::size_t n = 0;
    {
      std::lock_guard lock(mutex_);
      auto signature = request.header("stripe-signature");
      received_.push_back({request.target, signature ? std::optional<std::string>(*signature) : std::nullopt,
                           std::string(request.header("content-type").value_or("")), request.body});
      n = received_.size();
    }
    arrived_.notify_all();
    http::Response response;
    response.status = status_for_(n);
    response.body = R"({"received":true})";
    return response;
  }

  std::function<int(std::size_t)> status_for_;
  std::mutex mutex_;
  std::condition_variable arrived_;
  std::vector<Received> received_;
  http::Server server_;
  std::thread thread_;
};


struct Answer {
  int status = 0;
  std::string body;
};

// One blocking request to the simulator.
Answer call(std::uint16_t port, const std::string& method, const std::string& target, const std::string& body = {}) {
  asio::io_context io;
  tcp::socket socket(io);
  socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  bhttp::request<bhttp::string_body> req{bhttp::string_to_verb(method), target, 11};
  req.set(bhttp::field::host, "127.0.0.1");
  if (target.rfind("/v1/", 0) == 0) {
    req.set(bhttp::field::authorization, "Bearer sk_test_webhooks");
    req.set(bhttp::field::content_type, "application/x-www-form-urlencoded");
  } else if (!body.empty()) {
    req.set(bhttp::field::content_type, "application/json");
  }
  req.body() = body;
  req.prepare_payload();
  bhttp::write(socket, req);
  beast::flat_buffer buffer;
  bhttp::response<bhttp::string_body> res;
  bhttp::read(socket, buffer, res);
  return {static_cast<int>(res.result_int()), res.body()};
}

rapidjson::Document parse(const std::string& body) {
  rapidjson::Document doc;
  doc.Parse(body.c_str());
  REQUIRE_MESSAGE(!doc.HasParseError(), body);
  return doc;
}

std::string str(const rapidjson::Value& v, const char* name) {
  REQUIRE_MESSAGE(v.HasMember(name), name);
  REQUIRE_MESSAGE(v[name].IsString(), name);
  return v[name].GetString();
}

// The events received, keyed by type, after checking each one's signature and envelope.
struct Event {
  std::string id;
  std::string type;
  std::string object_id;
  std::string object_status;
  std::int64_t created = 0;
  std::string body;
};

Event check_event(const Received& received, const std::string& secret = kSecret) {
  CHECK(received.target == "/api/v1/webhooks/stripe");
  CHECK(received.content_type.rfind("application/json", 0) == 0);
  REQUIRE(received.signature);
  const auto verified = verify_webhook(*received.signature, received.body, {Secret(secret)}, kHmac, unix_now());
  CHECK_MESSAGE(verified.ok(), verified.message());
  auto doc = parse(received.body);
  Event event;
  event.id = str(doc, "id");
  event.type = str(doc, "type");
  event.created = doc["created"].GetInt64();
  CHECK(event.id.rfind("evt_", 0) == 0);
  CHECK(str(doc, "object") == "event");
  CHECK(str(doc, "api_version") == "2024-06-20");
  CHECK(doc["livemode"].IsFalse());
  REQUIRE(doc["data"]["object"].IsObject());
  event.object_id = str(doc["data"]["object"], "id");
  event.object_status = str(doc["data"]["object"], "status");
  event.body = received.body;
  return event;
}

// The event of `type` about `object_id` (any object when empty). Deliveries run concurrently, so the order
// of arrival is not the order of the changes.
const Event* find(const std::vector<Event>& events, const std::string& type, const std::string& object_id = {}) {
  for (const auto& e : events) {
    if (e.type == type && (object_id.empty() || e.object_id == object_id)) return &e;
  }
  return nullptr;
}

// Polls GET /_sim/webhooks until no delivery is pending.
rapidjson::Document settled_log(std::uint16_t port) {
  for (int i = 0; i < 200; ++i) {
    auto log = parse(call(port, "GET", "/_sim/webhooks").body);
    if (log["pending"].GetInt64() == 0) return log;
    std::this_thread::sleep_for(50ms);
  }
  FAIL("webhook deliveries still pending after 10 s");
  return {};
}

}  // namespace

TEST_CASE("webhook urls: http only, host, optional port and path") {
  auto full = parse_webhook_url("http://127.0.0.1:8080/api/v1/webhooks/stripe?x=1");
  REQUIRE(full.has_value());
  CHECK(full->host == "127.0.0.1");
  CHECK(full->port == "8080");
  CHECK(full->target == "/api/v1/webhooks/stripe?x=1");
  auto bare = parse_webhook_url("http://localhost");
  REQUIRE(bare.has_value());
  CHECK(bare->port == "80");
  CHECK(bare->target == "/");
  auto v6 = parse_webhook_url("http://[::1]:9000/hook");
  REQUIRE(v6.has_value());
  CHECK(v6->host == "::1");
  CHECK(v6->port == "9000");
  for (const auto* bad : {"https://example.com/", "ftp://x", "http://", "http://:80/", "http://h:0/", "http://h:99999/",
                          "http://h:x/", "http://h:/", "http://[::1/", "http://h/a b", "127.0.0.1:8080"}) {
    CAPTURE(bad);
    auto parsed = parse_webhook_url(bad);
    REQUIRE_FALSE(parsed.has_value());
    CHECK(parsed.error().field == "url");
  }
}

TEST_CASE("--webhook-url and --webhook-secret are read, a url needs a secret, which is never echoed") {
  auto config = parse_command_line(
      {"--webhook-url", "http://127.0.0.1:8080/api/v1/webhooks/stripe", "--webhook-secret=whsec_abc"});
  REQUIRE(config.has_value());
  CHECK(config.value().webhook_url == "http://127.0.0.1:8080/api/v1/webhooks/stripe");
  CHECK(config.value().webhook_secret.reveal() == "whsec_abc");

  auto no_secret = parse_command_line({"--webhook-url", "http://127.0.0.1:8080/"});
  REQUIRE_FALSE(no_secret.has_value());
  CHECK(no_secret.error().field == "--webhook-secret");
  auto https = parse_command_line({"--webhook-url", "https://x/", "--webhook-secret", "whsec_abc"});
  REQUIRE_FALSE(https.has_value());
  CHECK(https.error().field == "--webhook-url");
  CHECK(https.error().message.find("whsec_abc") == std::string::npos);
  CHECK(parse_command_line({"--webhook-secret="}).error().field == "--webhook-secret");
  CHECK(usage().find("--webhook-url") != std::string::npos);
}

TEST_CASE("a payment, a failed authentication and a failed refund arrive as signed Stripe events") {
  Receiver receiver;
  SimConfig config;
  config.webhook_url = receiver.url();
  config.webhook_secret = Secret(kSecret);
  RunningSim sim(std::move(config), 3);

  // A payment that succeeds at once.
  auto paid = parse(call(sim.port(), "POST", "/v1/payment_intents",
                         "amount=1000&currency=usd&confirm=true&payment_method=pm_card_visa").body);
  const std::string paid_id = str(paid, "id");
  // 3-D Secure, then authentication fails.
  auto challenged = parse(call(sim.port(), "POST", "/v1/payment_intents",
                               "amount=2000&currency=usd&confirm=true&payment_method=pm_card_threeDSecure2Required")
                              .body);
  const std::string challenged_id = str(challenged, "id");
  CHECK(call(sim.port(), "POST", "/_sim/payment_intents/" + challenged_id + "/authenticate?outcome=fail").status ==
        200);
  // A refund that Stripe fails later.
  auto refundable = parse(call(sim.port(), "POST", "/v1/payment_intents",
                               "amount=3000&currency=usd&confirm=true&payment_method=pm_card_refundFail")
                              .body);
  auto refund = parse(call(sim.port(), "POST", "/v1/refunds", "payment_intent=" + str(refundable, "id")).body);
  const std::string refund_id = str(refund, "id");
  CHECK(call(sim.port(), "POST", "/_sim/refunds/" + refund_id + "/fail").status == 200);

  // succeeded, requires_action, payment_failed, succeeded, refund.created, charge.refunded, refund.updated,
  // charge.refund.updated, refund.failed
  const auto received = receiver.wait_for(9);
  REQUIRE(received.size() == 9);
  std::vector<Event> events;
  for (const auto& r : received) events.push_back(check_event(r));

  const auto* succeeded = find(events, "payment_intent.succeeded", paid_id);
  REQUIRE(succeeded);
  CHECK(succeeded->object_status == "succeeded");
  const auto* requires_action = find(events, "payment_intent.requires_action");
  REQUIRE(requires_action);
  CHECK(requires_action->object_id == challenged_id);
  const auto* failed = find(events, "payment_intent.payment_failed");
  REQUIRE(failed);
  CHECK(failed->object_id == challenged_id);
  CHECK(failed->object_status == "requires_payment_method");
  for (const auto* type : {"refund.failed", "refund.updated", "charge.refund.updated"}) {
    CAPTURE(type);
    const auto* e = find(events, type);
    REQUIRE(e);
    CHECK(e->object_id == refund_id);
    CHECK(e->object_status == "failed");
  }
  REQUIRE(find(events, "charge.refunded"));
  CHECK(std::abs(succeeded->created - unix_now()) < 60);

  // Every event has its own id, and the log shows one successful attempt each.
  std::set<std::string> ids;
  for (const auto& e : events) ids.insert(e.id);
  CHECK(ids.size() == events.size());
  auto log = settled_log(sim.port());
  CHECK(log["events"].Size() == 9);
  CHECK(log["attempts"].Size() == 9);
  for (const auto& attempt : log["attempts"].GetArray()) {
    CHECK(attempt["status"].GetInt() == 200);
    CHECK(attempt["attempt"].GetInt() == 1);
    CHECK(ids.count(attempt["event_id"].GetString()) == 1);
  }
  CHECK(call(sim.port(), "GET", "/_sim/webhooks").body.find(kSecret) == std::string::npos);
}

TEST_CASE("a refund arrives as charge.refunded with the charge, a dispute as charge.dispute.created") {
  Receiver receiver;
  SimConfig config;
  config.webhook_url = receiver.url();
  config.webhook_secret = Secret(kSecret);
  RunningSim sim(std::move(config), 3);
  auto paid = parse(call(sim.port(), "POST", "/v1/payment_intents",
                         "amount=1000&currency=usd&confirm=true&payment_method=pm_card_visa"
                         "&metadata[payment_id]=pay_1")
                        .body);
  const std::string pi_id = str(paid, "id");
  CHECK(call(sim.port(), "POST", "/v1/refunds", "payment_intent=" + pi_id + "&amount=400").status == 200);
  const auto opened = call(sim.port(), "POST", "/_sim/payment_intents/" + pi_id + "/dispute");
  REQUIRE(opened.status == 200);

  // payment_intent.succeeded, refund.created, charge.refunded, charge.dispute.created
  const auto received = receiver.wait_for(4);
  REQUIRE(received.size() == 4);
  std::vector<Event> events;
  for (const auto& r : received) events.push_back(check_event(r));

  const auto* refunded = find(events, "charge.refunded");
  REQUIRE(refunded);
  CHECK(refunded->object_id == str(paid, "latest_charge"));
  const auto charge = parse(refunded->body);
  CHECK(str(charge["data"]["object"], "object") == "charge");
  CHECK(str(charge["data"]["object"], "payment_intent") == pi_id);
  CHECK(charge["data"]["object"]["amount_refunded"].GetInt64() == 400);
  CHECK(charge["data"]["object"]["refunded"].IsFalse());
  CHECK(str(charge["data"]["object"]["metadata"], "payment_id") == "pay_1");

  const auto* disputed = find(events, "charge.dispute.created");
  REQUIRE(disputed);
  CHECK(disputed->object_id == str(parse(opened.body), "id"));
  CHECK(disputed->object_status == "needs_response");
  const auto dispute = parse(disputed->body);
  CHECK(str(dispute["data"]["object"], "object") == "dispute");
  CHECK(str(dispute["data"]["object"], "charge") == str(paid, "latest_charge"));
  CHECK(dispute["data"]["object"]["amount"].GetInt64() == 1000);
}

TEST_CASE("a resend delivers the same event again, optionally with another created time or a stale signature") {
  Receiver receiver;
  SimConfig config;
  config.webhook_url = receiver.url();
  config.webhook_secret = Secret(kSecret);
  RunningSim sim(std::move(config), 3);
  call(sim.port(), "POST", "/v1/payment_intents", "amount=1000&currency=usd&confirm=true&payment_method=pm_card_visa");
  const auto first = check_event(receiver.wait_for(1).at(0));

  CHECK(call(sim.port(), "POST", "/_sim/events/" + first.id + "/resend").status == 202);
  const auto again = receiver.wait_for(2);
  REQUIRE(again.size() == 2);
  const auto duplicate = check_event(again[1]);
  CHECK(duplicate.id == first.id);
  CHECK(again[1].body == again[0].body);

  // An older "created" (an out-of-order delivery a receiver must not apply backwards).
  CHECK(call(sim.port(), "POST", "/_sim/events/" + first.id + "/resend?created=1600000000").status == 202);
  const auto older = check_event(receiver.wait_for(3).at(2));
  CHECK(older.id == first.id);
  CHECK(older.created == 1600000000);

  // A signature made an hour ago, which a receiver must refuse.
  const std::int64_t stale_t = unix_now() - 3600;
  CHECK(call(sim.port(), "POST", "/_sim/events/" + first.id + "/resend?signed_at=" + std::to_string(stale_t))
            .status == 202);
  const auto stale = receiver.wait_for(4).at(3);
  REQUIRE(stale.signature);
  CHECK(stale.signature->rfind("t=" + std::to_string(stale_t) + ",v1=", 0) == 0);
  const auto verified = verify_webhook(*stale.signature, stale.body, {Secret(kSecret)}, kHmac, unix_now());
  CHECK(verified.failure() == WebhookSignatureFailure::timestamp_outside_tolerance);

  CHECK(call(sim.port(), "POST", "/_sim/events/evt_unknown/resend").status == 404);
  CHECK(call(sim.port(), "POST", "/_sim/events/" + first.id + "/resend?created=soon").status == 400);
  auto log = settled_log(sim.port());
  CHECK(log["attempts"].Size() == 4);
  CHECK(log["events"][0]["deliveries"].GetInt() == 4);
}

TEST_CASE("webhooks are configured at runtime, and API answers never wait for the receiver") {
  std::atomic<bool> slow{true};
  Receiver receiver([&slow](std::size_t) {
    if (slow) std::this_thread::sleep_for(1500ms);
    return 200;
  });
  RunningSim sim({}, 3);
  // Nothing is sent or recorded without a url.
  call(sim.port(), "POST", "/v1/payment_intents", "amount=1000&currency=usd&confirm=true&payment_method=pm_card_visa");
  auto before = parse(call(sim.port(), "GET", "/_sim/webhooks").body);
  CHECK(before["url"].IsNull());
  CHECK(before["events"].Size() == 0);

  CHECK(call(sim.port(), "POST", "/_sim/webhooks/config", R"({"url":")" + receiver.url() + R"("})").status == 400);
  CHECK(call(sim.port(), "POST", "/_sim/webhooks/config", R"({"url":"https://x/","secret":"whsec_a"})").status ==
        400);
  CHECK(call(sim.port(), "POST", "/_sim/webhooks/config", R"({"url":7})").status == 400);
  const auto set = call(sim.port(), "POST", "/_sim/webhooks/config",
                        R"({"url":")" + receiver.url() + R"(","secret":")" + kSecret + R"("})");
  CHECK(set.status == 200);
  CHECK(set.body.find(kSecret) == std::string::npos);

  const auto started = std::chrono::steady_clock::now();
  const auto answer =
      call(sim.port(), "POST", "/v1/payment_intents", "amount=1000&currency=usd&confirm=true&payment_method=pm_card_visa");
  CHECK(answer.status == 200);
  CHECK(std::chrono::steady_clock::now() - started < 1000ms);
  check_event(receiver.wait_for(1).at(0));
  slow = false;

  // Turned off again: nothing more is recorded.
  CHECK(call(sim.port(), "POST", "/_sim/webhooks/config", R"({"url":null})").status == 200);
  call(sim.port(), "POST", "/v1/payment_intents", "amount=1000&currency=usd&confirm=true&payment_method=pm_card_visa");
  auto after = settled_log(sim.port());
  CHECK(after["events"].Size() == 1);
  CHECK(call(sim.port(), "POST", "/_sim/reset").status == 200);
  CHECK(parse(call(sim.port(), "GET", "/_sim/webhooks").body)["events"].Size() == 0);
}

TEST_CASE("a failing endpoint is retried with backoff until it answers 2xx") {
  Receiver receiver([](std::size_t n) { return n <= 2 ? 500 : 202; });
  WebhookSenderOptions options;
  options.url = receiver.url();
  options.secret = Secret(kSecret);
  options.initial_backoff = 20ms;
  WebhookSender sender(options);
  const auto id = sender.publish({"payment_intent.succeeded", R"({"id":"pi_1","status":"succeeded"})", 1700000000});
  REQUIRE_FALSE(id.empty());
  const auto received = receiver.wait_for(3);
  REQUIRE(received.size() == 3);
  for (const auto& r : received) CHECK(check_event(r).id == id);
  for (int i = 0; i < 100 && sender.pending() > 0; ++i) std::this_thread::sleep_for(20ms);
  CHECK(sender.pending() == 0);
  auto log = parse(sender.to_json());
  REQUIRE(log["attempts"].Size() == 3);
  CHECK(log["attempts"][0]["status"].GetInt() == 500);
  CHECK(log["attempts"][1]["status"].GetInt() == 500);
  CHECK(log["attempts"][2]["status"].GetInt() == 202);
  CHECK(log["attempts"][2]["attempt"].GetInt() == 3);
  std::this_thread::sleep_for(100ms);
  CHECK(receiver.received().size() == 3);  // nothing after the 2xx
}

TEST_CASE("an unreachable endpoint is given up after max_attempts, each attempt recorded") {
  std::string url;
  {
    Receiver gone;  // a port that was just free and is closed again
    url = gone.url();
  }
  WebhookSenderOptions options;
  options.url = url;
  options.secret = Secret(kSecret);
  options.max_attempts = 3;
  options.initial_backoff = 10ms;
  options.request_timeout = 1000ms;
  WebhookSender sender(options);
  sender.publish({"refund.failed", R"({"id":"re_1","status":"failed"})", 1700000000});
  for (int i = 0; i < 200 && sender.pending() > 0; ++i) std::this_thread::sleep_for(20ms);
  CHECK(sender.pending() == 0);
  auto log = parse(sender.to_json());
  REQUIRE(log["attempts"].Size() == 3);
  for (const auto& attempt : log["attempts"].GetArray()) {
    CHECK(attempt["status"].GetInt() == 0);
    CHECK(std::string(attempt["error"].GetString()).find("connect") != std::string::npos);
  }
}

TEST_CASE("without a url the sender records nothing, and a configured sender refuses a url without a secret") {
  WebhookSender sender({});
  CHECK(sender.publish({"payment_intent.succeeded", R"({"id":"pi_1","status":"succeeded"})", 1}).empty());
  CHECK(sender.resend("evt_x").error().code == payments::ErrorCode::invalid_state);
  auto refused = sender.configure("http://127.0.0.1:9/", Secret());
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error().field == "secret");
  CHECK(sender.configure("http://127.0.0.1:9/", Secret(kSecret)).has_value());
  CHECK(sender.url() == "http://127.0.0.1:9/");
  // Keeps the secret when only the url changes.
  CHECK(sender.configure("http://127.0.0.1:10/", Secret()).has_value());
  CHECK(sender.configure("", Secret()).has_value());
  CHECK(sender.url().empty());
}
