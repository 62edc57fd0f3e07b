// Payments through the REST API, end to end.
#include <doctest/doctest.h>

#include <set>
#include <thread>

#include "support/stack.hpp"

using namespace payments::testing;
using namespace std::chrono_literals;

namespace {

std::string payment_body(const std::string& method, const std::string& order = "order-1", long amount = 1999) {
  return R"({"order_id":")" + order + R"(","amount":)" + std::to_string(amount) +
         R"(,"currency":"usd","payment_method":")" + method + R"(","metadata":{"cart":"c-7"}})";
}

}  // namespace

TEST_CASE("a payment through the API succeeds with one charge and one payment-success event") {
  Stack stack;
  auto accepted = stack.post_payment(payment_body("pm_card_visa"));
  REQUIRE(accepted.status == 202);
  const auto id = json_field(accepted.body, "payment_id");
  REQUIRE(id.rfind("pay_", 0) == 0);
  CHECK(json_field(accepted.body, "status") == "pending");
  CHECK(json_field(accepted.body, "status_url") == "/api/v1/payments/" + id + "/status");
  CHECK(accepted.header("Location") == "/api/v1/payments/" + id + "/status");

  // Readable at once: never a 404 for an id the API just returned.
  CHECK(stack.get("/api/v1/payments/" + id + "/status").status == 200);

  CHECK(stack.wait_for_status(id) == "succeeded");
  auto payment = stack.get("/api/v1/payments/" + id);
  REQUIRE(payment.status == 200);
  CHECK(json_field(payment.body, "amount") == "1999");
  CHECK(json_field(payment.body, "currency") == "usd");
  CHECK(json_field(payment.body, "order_id") == "order-1");
  CHECK(json_field(payment.body, "metadata.cart") == "c-7");
  CHECK(json_field(payment.body, "stripe_payment_intent_id").rfind("pi_", 0) == 0);

  auto events = stack.read_topic(stack.topics().success, 1);
  REQUIRE(events.size() == 1);
  CHECK(events[0].key == id);
  CHECK(json_field(events[0].value, "type") == "payment.succeeded");
  CHECK(json_field(events[0].value, "payment_id") == id);
  CHECK(json_field(events[0].value, "amount") == "1999");
  CHECK(json_field(events[0].value, "status") == "succeeded");
  CHECK_FALSE(json_field(events[0].value, "event_id").empty());
  CHECK(stack.charges_for(id) == 1);
  CHECK(stack.read_topic(stack.topics().failed, 0, 1s).empty());
}

TEST_CASE("each decline test method ends failed with Stripe's codes and a payment-failed event") {
  struct Case {
    std::string method;
    std::string code;
    std::string decline_code;
  };
  const Case cases[] = {
      {"pm_card_visa_chargeDeclined", "card_declined", "generic_decline"},
      {"pm_card_visa_chargeDeclinedInsufficientFunds", "card_declined", "insufficient_funds"},
      {"pm_card_visa_chargeDeclinedLostCard", "card_declined", "lost_card"},
      {"pm_card_visa_chargeDeclinedStolenCard", "card_declined", "stolen_card"},
      {"pm_card_chargeDeclinedExpiredCard", "expired_card", "expired_card"},
      {"pm_card_chargeDeclinedIncorrectCvc", "incorrect_cvc", "incorrect_cvc"},
      {"pm_card_chargeDeclinedProcessingError", "processing_error", "processing_error"},
      {"pm_card_radarBlock", "card_declined", "fraudulent"},
      {"tok_chargeDeclinedInsufficientFunds", "card_declined", "insufficient_funds"},
  };
  Stack stack;
  std::map<std::string, const Case*> by_id;
  for (const auto& c : cases) {
    auto accepted = stack.post_payment(payment_body(c.method, "order-" + c.method));
    REQUIRE(accepted.status == 202);
    by_id[json_field(accepted.body, "payment_id")] = &c;
  }
  for (const auto& [id, c] : by_id) {
    CAPTURE(c->method);
    CHECK(stack.wait_for_status(id) == "failed");
    auto status = stack.get("/api/v1/payments/" + id + "/status");
    CHECK(json_field(status.body, "failure.code") == c->code);
    CHECK(json_field(status.body, "failure.decline_code") == c->decline_code);
    CHECK_FALSE(json_field(status.body, "failure.message").empty());
    CHECK(stack.charges_for(id) == 0);
  }
  auto events = stack.read_topic(stack.topics().failed, by_id.size());
  CHECK(events.size() == by_id.size());
  for (const auto& e : events) {
    REQUIRE(by_id.count(e.key) == 1);
    CHECK(json_field(e.value, "type") == "payment.failed");
    CHECK(json_field(e.value, "failure.code") == by_id[e.key]->code);
  }
}

TEST_CASE("3-D Secure payments wait in requires_action with the redirect URL") {
  Stack stack;
  auto accepted = stack.post_payment(payment_body("pm_card_authenticationRequired"));
  REQUIRE(accepted.status == 202);
  const auto id = json_field(accepted.body, "payment_id");
  CHECK(stack.wait_for_status(id) == "requires_action");
  auto status = stack.get("/api/v1/payments/" + id + "/status");
  CHECK(json_field(status.body, "next_action.redirect_url").rfind("http", 0) == 0);
}

TEST_CASE("the same Idempotency-Key returns the first answer and charges once, another body is a 409") {
  Stack stack;
  const auto body = payment_body("pm_card_visa", "order-idem");
  auto first = stack.post_payment(body, "key-123");
  auto second = stack.post_payment(body, "key-123");
  REQUIRE(first.status == 202);
  REQUIRE(second.status == 202);
  const auto id = json_field(first.body, "payment_id");
  CHECK(json_field(second.body, "payment_id") == id);

  auto conflict = stack.post_payment(payment_body("pm_card_visa", "order-idem", 2500), "key-123");
  CHECK(conflict.status == 409);
  CHECK(json_field(conflict.body, "error.code") == "idempotency_conflict");

  CHECK(stack.wait_for_status(id) == "succeeded");
  CHECK(stack.charges_for(id) == 1);
  CHECK(stack.read_topic(stack.topics().success, 1).size() == 1);
}

TEST_CASE("bad input gets a precise error and nothing is recorded") {
  Stack stack;
  struct Case {
    std::string body;
    int status;
    std::string code;
    std::string field;
  };
  const std::vector<Case> cases{
      {R"({"order_id":"o","amount":10.5,"currency":"usd","payment_method":"pm_card_visa"})", 400, "validation_error", "amount"},
      {R"({"order_id":"o","amount":-5,"currency":"usd","payment_method":"pm_card_visa"})", 400, "validation_error", "amount"},
      {R"({"order_id":"o","amount":100000000,"currency":"usd","payment_method":"pm_card_visa"})", 400, "validation_error", "amount"},
      {R"({"order_id":"o","amount":1005,"currency":"kwd","payment_method":"pm_card_visa"})", 400, "validation_error", "amount"},
      {R"({"order_id":"o","amount":1000,"currency":"xxx","payment_method":"pm_card_visa"})", 400, "validation_error", "currency"},
      {R"({"order_id":"o","amount":1000,"currency":"usd","payment_method":"visa"})", 400, "validation_error", "payment_method"},
      {R"({"amount":1000,"currency":"usd","payment_method":"pm_card_visa"})", 400, "validation_error", "order_id"},
      {R"({"order_id":"o","amount":1000,"currency":"usd","payment_method":"pm_card_visa","status":"succeeded"})", 400, "validation_error", "status"},
      {R"({"order_id":"o","amount":1000,"currency":"usd","payment_method":"pm_card_visa","otp":{"channel":"fax","destination":"x"}})", 400, "validation_error", "otp.channel"},
      {R"({"order_id":"o","amount":1000,"currency":"usd","payment_method":"4242424242424242"})", 422, "raw_card_data", ""},
      {R"({"order_id":"o","amount":1000,"currency":"usd","payment_method":"pm_card_visa","metadata":{"note":"card 5555 5555 5555 4444"}})", 422, "raw_card_data", ""},
      {R"({"order_id":"o","amount":1000,"currency":"usd","payment_method":"pm_card_visa","metadata":{"4000056655665556":"x"}})", 422, "raw_card_data", ""},
      {R"({"order_id":"o","amount":1000,"currency":"usd","payment_method":"pm_card_visa","description":"3782.822463/10005"})", 422, "raw_card_data", ""},
      {R"({"order_id":"o",)", 400, "validation_error", ""},
      {std::string(40, '[') + std::string(40, ']'), 400, "validation_error", ""},
  };
  for (const auto& c : cases) {
    CAPTURE(c.body);
    auto r = stack.post_payment(c.body);
    CHECK(r.status == c.status);
    CHECK(json_field(r.body, "error.code") == c.code);
    CHECK(json_field(r.body, "error.field") == c.field);
    CHECK_FALSE(json_field(r.body, "error.message").empty());
  }
  int rows = -1;
  stack.sql([&](soci::session& s) { s << "SELECT COUNT(*) FROM payments", soci::into(rows); });
  CHECK(rows == 0);
  // A card number never reaches a log.
  const auto logs = stack.logs();
  CHECK(logs.find("4242424242424242") == std::string::npos);
  CHECK(logs.find("5555 5555 5555 4444") == std::string::npos);
  CHECK(logs.find("4000056655665556") == std::string::npos);
}

TEST_CASE("unknown payments are 404 and unknown routes say so") {
  Stack stack({.start_worker = false});
  CHECK(stack.get("/api/v1/payments/pay_doesnotexist/status").status == 404);
  CHECK(stack.get("/api/v1/payments/pay_doesnotexist").status == 404);
  auto r = stack.get("/api/v1/nothing");
  CHECK(r.status == 404);
  CHECK(json_field(r.body, "error.code") == "not_found");
  CHECK(stack.get("/health").status == 200);
  CHECK(stack.get("/ready").status == 200);
  // Metrics are on the admin listener only.
  CHECK(stack.get("/metrics").status == 404);
  auto metrics = stack.admin_get("/metrics");
  CHECK(metrics.status == 200);
  CHECK(metrics.body.find("payments_api_requests_total") != std::string::npos);
}

TEST_CASE("a service that cannot reach Kafka or MySQL stops with one line naming it") {
  Stack stack({.start_worker = false});
  auto env = stack.service_env();
  env["KAFKA_BROKERS"] = "127.0.0.1:1";
  ChildProcess no_kafka(binary("apps/api/payments-api"), {}, env, stack.log_path("nokafka.log"));
  CHECK(no_kafka.wait_exit(30s) == 1);
  CHECK(no_kafka.output().find("payments-api: Kafka unreachable at 127.0.0.1:1") != std::string::npos);

  env = stack.service_env();
  env["MYSQL_PORT"] = "1";
  ChildProcess no_db(binary("apps/worker/payments-worker"), {}, env, stack.log_path("nodb.log"));
  CHECK(no_db.wait_exit(30s) == 1);
  CHECK(no_db.output().find("payments-worker: MySQL unreachable at") != std::string::npos);

  env = stack.service_env();
  env.erase("STRIPE_SECRET_KEY");
  ChildProcess no_key(binary("apps/worker/payments-worker"), {}, env, stack.log_path("nokey.log"));
  CHECK(no_key.wait_exit(30s) == 1);
  CHECK(no_key.output() == "payments-worker: STRIPE_SECRET_KEY is required but not set\n");

  // A live key is never sent over plain http: the worker refuses to start, naming the setting, not the key.
  env = stack.service_env();
  env["STRIPE_SECRET_KEY"] = "sk_live_blackbox_never_in_clear";
  ChildProcess live_over_http(binary("apps/worker/payments-worker"), {}, env, stack.log_path("live.log"));
  CHECK(live_over_http.wait_exit(30s) == 1);
  CHECK(live_over_http.output().rfind("payments-worker: STRIPE_API_BASE must be https://", 0) == 0);
  CHECK(live_over_http.output().find("sk_live_blackbox_never_in_clear") == std::string::npos);
}

TEST_CASE("concurrent first requests, with one key or with many, are answered once each and charged once") {
  Stack stack;
  const auto body = payment_body("pm_card_visa", "order-race");
  std::vector<std::thread> threads;
  std::vector<HttpResult> same(12);
  std::vector<HttpResult> distinct(24);
  for (std::size_t i = 0; i < same.size(); ++i) {
    threads.emplace_back([&, i] { same[i] = stack.post_payment(body, "race-key"); });
  }
  for (std::size_t i = 0; i < distinct.size(); ++i) {
    threads.emplace_back([&, i] { distinct[i] = stack.post_payment(body, "own-key-" + std::to_string(i)); });
  }
  for (auto& t : threads) t.join();

  const auto id = json_field(same[0].body, "payment_id");
  for (const auto& r : same) {
    CHECK(r.status == 202);
    CHECK(json_field(r.body, "payment_id") == id);
  }
  std::set<std::string> ids;
  for (const auto& r : distinct) {
    CHECK(r.status == 202);
    ids.insert(json_field(r.body, "payment_id"));
  }
  CHECK(ids.size() == distinct.size());
  CHECK(stack.wait_for_status(id) == "succeeded");
  CHECK(stack.charges_for(id) == 1);
  for (const auto& other : ids) CHECK(stack.wait_for_status(other) == "succeeded");
}
