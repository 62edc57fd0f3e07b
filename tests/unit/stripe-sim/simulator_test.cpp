// The simulator's API as a Stripe client sees it, driven without sockets.
#include <doctest/doctest.h>
#include <rapidjson/document.h>

#include <string>
#include <vector>

#include "simulator.hpp"

using namespace payments::stripe_sim;

namespace {

constexpr std::int64_t kNow = 1'700'000'000;

class Sim {
 public:
  StripeSimulator sim{SimulatorOptions{42, [] { return kNow; }, "http://sim.test"}};

  ApiResponse post(std::string path, std::string body, std::optional<std::string> key = std::nullopt,
                   std::string api_key = "sk_test_123") {
    return sim.handle(request("POST", std::move(path), std::move(body), std::move(key), std::move(api_key)));
  }
  ApiResponse get(std::string path, std::string query = {}) {
    auto r = request("GET", std::move(path), {}, std::nullopt, "sk_test_123");
    r.query = std::move(query);
    return sim.handle(r);
  }
  static ApiRequest request(std::string method, std::string path, std::string body, std::optional<std::string> key,
                            std::string api_key) {
    ApiRequest r;
    r.method = std::move(method);
    r.path = std::move(path);
    r.body = std::move(body);
    r.authorization = "Bearer " + api_key;
    r.idempotency_key = std::move(key);
    return r;
  }
  // A confirmed payment intent for `amount` usd with `pm`; returns its id (or "" when it failed).
  std::string pay(const std::string& pm, std::int64_t amount = 1000, const std::string& extra = {}) {
    auto res = post("/v1/payment_intents", "amount=" + std::to_string(amount) + "&currency=usd&confirm=true" +
                                               "&payment_method=" + pm + extra);
    if (res.status != 200) return {};
    rapidjson::Document doc;
    doc.Parse(res.body.c_str());
    return doc["id"].GetString();
  }
};

rapidjson::Document json(const ApiResponse& response) {
  rapidjson::Document doc;
  doc.Parse(response.body.c_str());
  REQUIRE_MESSAGE(!doc.HasParseError(), response.body);
  return doc;
}

std::string str(const rapidjson::Value& v, const char* name) {
  REQUIRE_MESSAGE(v.HasMember(name), name);
  return v[name].IsString() ? v[name].GetString() : (v[name].IsNull() ? "<null>" : "<not a string>");
}

std::optional<std::string> header(const ApiResponse& response, std::string_view name) {
  for (const auto& [k, v] : response.headers) {
    if (k == name) return v;
  }
  return std::nullopt;
}

void check_error(const ApiResponse& response, int status, const char* type, const char* code, const char* param) {
  CHECK(response.status == status);
  auto doc = json(response);
  REQUIRE(doc.HasMember("error"));
  CHECK(str(doc["error"], "type") == type);
  if (code) CHECK(str(doc["error"], "code") == code);
  if (param) CHECK(str(doc["error"], "param") == param);
  CHECK_FALSE(str(doc["error"], "message").empty());
}

}  // namespace

TEST_CASE("a confirmed payment with pm_card_visa succeeds with a charge, in Stripe's shape") {
  Sim s;
  auto res = s.post("/v1/payment_intents",
                    "amount=2000&currency=usd&payment_method=pm_card_visa&confirm=true&customer=cus_1"
                    "&description=Order%2042&metadata[order_id]=o-42&metadata[payment_id]=pay_1");
  REQUIRE(res.status == 200);
  auto pi = json(res);
  CHECK(str(pi, "id").rfind("pi_", 0) == 0);
  CHECK(str(pi, "id").size() == 3 + 24);
  CHECK(str(pi, "object") == "payment_intent");
  CHECK(pi["amount"].GetInt64() == 2000);
  CHECK(pi["amount_received"].GetInt64() == 2000);
  CHECK(str(pi, "currency") == "usd");
  CHECK(str(pi, "status") == "succeeded");
  CHECK(str(pi, "payment_method") == "pm_card_visa");
  CHECK(str(pi, "latest_charge").rfind("ch_", 0) == 0);
  CHECK(str(pi, "customer") == "cus_1");
  CHECK(str(pi, "description") == "Order 42");
  CHECK(str(pi["metadata"], "order_id") == "o-42");
  CHECK(pi["next_action"].IsNull());
  CHECK(pi["last_payment_error"].IsNull());
  CHECK(pi["created"].GetInt64() == kNow);
  CHECK(pi["livemode"].IsFalse());
  CHECK(header(res, "Request-Id").value_or("").rfind("req_", 0) == 0);
  CHECK(s.sim.charge_count() == 1);
}

TEST_CASE("every test payment method gives its documented outcome, under pm_ and tok_ names") {
  struct Case {
    const char* pm;
    int status;
    const char* code;
    const char* decline_code;
  };
  const std::vector<Case> cases{
      {"pm_card_visa", 200, nullptr, nullptr},
      {"pm_card_mastercard", 200, nullptr, nullptr},
      {"pm_card_refundFail", 200, nullptr, nullptr},
      {"tok_visa", 200, nullptr, nullptr},
      {"tok_mastercard", 200, nullptr, nullptr},
      {"pm_card_visa_chargeDeclined", 402, "card_declined", "generic_decline"},
      {"tok_chargeDeclined", 402, "card_declined", "generic_decline"},
      {"pm_card_visa_chargeDeclinedInsufficientFunds", 402, "card_declined", "insufficient_funds"},
      {"tok_chargeDeclinedInsufficientFunds", 402, "card_declined", "insufficient_funds"},
      {"pm_card_visa_chargeDeclinedLostCard", 402, "card_declined", "lost_card"},
      {"tok_chargeDeclinedLostCard", 402, "card_declined", "lost_card"},
      {"pm_card_visa_chargeDeclinedStolenCard", 402, "card_declined", "stolen_card"},
      {"tok_chargeDeclinedStolenCard", 402, "card_declined", "stolen_card"},
      {"pm_card_chargeDeclinedExpiredCard", 402, "expired_card", nullptr},
      {"tok_chargeDeclinedExpiredCard", 402, "expired_card", nullptr},
      {"pm_card_chargeDeclinedIncorrectCvc", 402, "incorrect_cvc", nullptr},
      {"tok_chargeDeclinedIncorrectCvc", 402, "incorrect_cvc", nullptr},
      {"pm_card_chargeDeclinedProcessingError", 402, "processing_error", nullptr},
      {"tok_chargeDeclinedProcessingError", 402, "processing_error", nullptr},
      {"pm_card_radarBlock", 402, "card_declined", "fraudulent"},
      {"tok_radarBlock", 402, "card_declined", "fraudulent"},
  };
  Sim s;
  std::size_t successes = 0;
  for (const auto& c : cases) {
    CAPTURE(c.pm);
    auto res = s.post("/v1/payment_intents",
                      std::string("amount=1500&currency=usd&confirm=true&payment_method=") + c.pm);
    REQUIRE(res.status == c.status);
    auto doc = json(res);
    if (c.status == 200) {
      ++successes;
      CHECK(str(doc, "status") == "succeeded");
      CHECK(str(doc, "latest_charge").rfind("ch_", 0) == 0);
      continue;
    }
    const auto& error = doc["error"];
    CHECK(str(error, "type") == "card_error");
    CHECK(str(error, "code") == c.code);
    if (c.decline_code) CHECK(str(error, "decline_code") == c.decline_code);
    CHECK_FALSE(str(error, "message").empty());
    CHECK(str(error, "charge").rfind("ch_", 0) == 0);
    REQUIRE(error.HasMember("payment_intent"));
    const auto& pi = error["payment_intent"];
    CHECK(str(pi, "status") == "requires_payment_method");
    CHECK(pi["amount_received"].GetInt64() == 0);
    CHECK(str(pi["last_payment_error"], "code") == c.code);
    // the intent stays readable with the failure on it
    auto again = json(s.get("/v1/payment_intents/" + str(pi, "id")));
    CHECK(str(again, "status") == "requires_payment_method");
  }
  CHECK(s.sim.charge_count() == successes);
}

TEST_CASE("3-D Secure cards answer requires_action with a redirect, and succeed once authenticated") {
  for (const char* pm : {"pm_card_authenticationRequired", "pm_card_threeDSecure2Required",
                         "tok_threeDSecure2Required"}) {
    CAPTURE(pm);
    Sim s;
    auto res = s.post("/v1/payment_intents", std::string("amount=1000&currency=eur&confirm=true&payment_method=") +
                                                 pm + "&return_url=https%3A%2F%2Fshop.test%2Fdone");
    REQUIRE(res.status == 200);
    auto pi = json(res);
    CHECK(str(pi, "status") == "requires_action");
    CHECK(str(pi["next_action"], "type") == "redirect_to_url");
    const auto url = str(pi["next_action"]["redirect_to_url"], "url");
    CHECK(url == "http://sim.test/_sim/payment_intents/" + str(pi, "id") + "/authenticate");
    CHECK(str(pi["next_action"]["redirect_to_url"], "return_url") == "https://shop.test/done");
    CHECK(s.sim.charge_count() == 0);

    auto done = s.sim.authenticate_payment_intent(str(pi, "id"), true);
    CHECK(done.status == 200);
    auto after = json(s.get("/v1/payment_intents/" + str(pi, "id")));
    CHECK(str(after, "status") == "succeeded");
    CHECK(after["next_action"].IsNull());
    CHECK(s.sim.charge_count() == 1);
  }
  Sim s;
  const auto response = s.post("/v1/payment_intents",
                               "amount=1000&currency=usd&confirm=true&payment_method=pm_card_authenticationRequired");
  const auto id = str(json(response), "id");
  s.sim.authenticate_payment_intent(id, false);
  auto failed = json(s.get("/v1/payment_intents/" + id));
  CHECK(str(failed, "status") == "requires_payment_method");
  CHECK(str(failed["last_payment_error"], "code") == "payment_intent_authentication_failure");
  CHECK(s.sim.charge_count() == 0);
}

TEST_CASE("unknown payment methods are resource_missing on payment_method") {
  Sim s;
  for (const char* pm : {"pm_card_nope", "tok_nope", "card_123"}) {
    CAPTURE(pm);
    check_error(s.post("/v1/payment_intents", std::string("amount=1000&currency=usd&confirm=true&payment_method=") + pm),
                400, "invalid_request_error", "resource_missing", "payment_method");
  }
}

TEST_CASE("parameters are validated the way Stripe does") {
  Sim s;
  const std::string pm = "&payment_method=pm_card_visa&confirm=true";
  check_error(s.post("/v1/payment_intents", "currency=usd" + pm), 400, "invalid_request_error", "parameter_missing",
              "amount");
  check_error(s.post("/v1/payment_intents", "amount=10.5&currency=usd" + pm), 400, "invalid_request_error",
              "parameter_invalid_integer", "amount");
  check_error(s.post("/v1/payment_intents", "amount=0&currency=usd" + pm), 400, "invalid_request_error", nullptr,
              "amount");
  check_error(s.post("/v1/payment_intents", "amount=-5&currency=usd" + pm), 400, "invalid_request_error", nullptr,
              "amount");
  check_error(s.post("/v1/payment_intents", "amount=100000000&currency=usd" + pm), 400, "invalid_request_error",
              "amount_too_large", "amount");
  CHECK(s.post("/v1/payment_intents", "amount=99999999&currency=usd" + pm).status == 200);
  check_error(s.post("/v1/payment_intents", "amount=49&currency=usd" + pm), 400, "invalid_request_error",
              "amount_too_small", "amount");
  check_error(s.post("/v1/payment_intents", "amount=1005&currency=kwd" + pm), 400, "invalid_request_error", nullptr,
              "amount");
  CHECK(s.post("/v1/payment_intents", "amount=500&currency=jpy" + pm).status == 200);
  check_error(s.post("/v1/payment_intents", "amount=1000" + pm), 400, "invalid_request_error", "parameter_missing",
              "currency");
  check_error(s.post("/v1/payment_intents", "amount=1000&currency=xyz" + pm), 400, "invalid_request_error", nullptr,
              "currency");
  check_error(s.post("/v1/payment_intents", "amount=1000&currency=usd&colour=red" + pm), 400,
              "invalid_request_error", "parameter_unknown", "colour");
  check_error(s.post("/v1/payment_intents", "amount=1000&currency=usd&capture_method=later" + pm), 400,
              "invalid_request_error", nullptr, "capture_method");
  check_error(s.post("/v1/payment_intents", "amount=1000&currency=usd&confirm=true"), 400, "invalid_request_error",
              nullptr, "payment_method");
  check_error(s.post("/v1/payment_intents", "amount=1000&currency=usd&metadata[" + std::string(41, 'k') + "]=v" + pm),
              400, "invalid_request_error", nullptr, nullptr);
  CHECK(s.sim.charge_count() == 2);
}

TEST_CASE("an intent created without confirm waits, and can be canceled") {
  Sim s;
  auto pi = json(s.post("/v1/payment_intents", "amount=1000&currency=usd&payment_method=pm_card_visa"));
  CHECK(str(pi, "status") == "requires_confirmation");
  const auto id = str(pi, "id");
  auto canceled = s.post("/v1/payment_intents/" + id + "/cancel", "cancellation_reason=abandoned");
  REQUIRE(canceled.status == 200);
  CHECK(str(json(canceled), "status") == "canceled");
  CHECK(str(json(canceled), "cancellation_reason") == "abandoned");
  check_error(s.post("/v1/payment_intents/" + id + "/cancel", ""), 400, "invalid_request_error",
              "payment_intent_unexpected_state", nullptr);
  const auto paid = s.pay("pm_card_visa");
  check_error(s.post("/v1/payment_intents/" + paid + "/cancel", ""), 400, "invalid_request_error",
              "payment_intent_unexpected_state", nullptr);
  check_error(s.post("/v1/payment_intents/pi_missing/cancel", ""), 404, "invalid_request_error", "resource_missing",
              nullptr);
}

TEST_CASE("manual capture authorizes first and charges on capture") {
  Sim s;
  auto pi = json(s.post("/v1/payment_intents",
                        "amount=1000&currency=usd&confirm=true&payment_method=pm_card_visa&capture_method=manual"));
  CHECK(str(pi, "status") == "requires_capture");
  CHECK(pi["amount_capturable"].GetInt64() == 1000);
  CHECK(s.sim.charge_count() == 0);
  auto captured = s.post("/v1/payment_intents/" + str(pi, "id") + "/capture", "amount_to_capture=600");
  REQUIRE(captured.status == 200);
  CHECK(str(json(captured), "status") == "succeeded");
  CHECK(json(captured)["amount_received"].GetInt64() == 600);
  CHECK(s.sim.charge_count() == 1);
}

TEST_CASE("GET unknown ids and URLs answer 404 resource errors") {
  Sim s;
  check_error(s.get("/v1/payment_intents/pi_nope"), 404, "invalid_request_error", "resource_missing", nullptr);
  check_error(s.get("/v1/refunds/re_nope"), 404, "invalid_request_error", "resource_missing", nullptr);
  check_error(s.get("/v1/customers"), 404, "invalid_request_error", nullptr, nullptr);
}

TEST_CASE("requests without a test secret key get 401 with a Stripe error object") {
  Sim s;
  ApiRequest r;
  r.method = "POST";
  r.path = "/v1/payment_intents";
  r.body = "amount=1000&currency=usd";
  check_error(s.sim.handle(r), 401, "invalid_request_error", nullptr, nullptr);
  r.authorization = "Bearer sk_live_abcdefghijklmnop";
  auto live = s.sim.handle(r);
  check_error(live, 401, "invalid_request_error", nullptr, nullptr);
  CHECK(live.body.find("abcdefghijklmnop") == std::string::npos);  // the key is not echoed
  r.authorization = "Basic c2tfdGVzdF8xMjM6";
  check_error(s.sim.handle(r), 401, "invalid_request_error", nullptr, nullptr);
  CHECK(s.sim.charge_count() == 0);
}

TEST_CASE("idempotent replay returns the identical body and records one charge") {
  Sim s;
  const std::string body = "amount=1000&currency=usd&confirm=true&payment_method=pm_card_visa&metadata[payment_id]=p1";
  auto first = s.post("/v1/payment_intents", body, "key-1");
  auto second = s.post("/v1/payment_intents", body, "key-1");
  REQUIRE(first.status == 200);
  CHECK(second.status == 200);
  CHECK(second.body == first.body);
  CHECK(header(second, "Idempotent-Replayed") == "true");
  CHECK_FALSE(header(first, "Idempotent-Replayed"));
  CHECK(header(second, "Original-Request") == header(first, "Request-Id"));
  CHECK(s.sim.charge_count() == 1);
  // parameter order does not matter
  auto reordered = s.post("/v1/payment_intents",
                          "metadata[payment_id]=p1&payment_method=pm_card_visa&confirm=true&currency=usd&amount=1000",
                          "key-1");
  CHECK(reordered.body == first.body);
  CHECK(s.sim.charges_json().find(R"("idempotency_key":"key-1")") != std::string::npos);
}

TEST_CASE("card declines are replayed too, with their 402") {
  Sim s;
  const std::string body = "amount=1000&currency=usd&confirm=true&payment_method=pm_card_visa_chargeDeclined";
  auto first = s.post("/v1/payment_intents", body, "declined-1");
  auto second = s.post("/v1/payment_intents", body, "declined-1");
  CHECK(first.status == 402);
  CHECK(second.status == 402);
  CHECK(second.body == first.body);
}

TEST_CASE("the same key with different parameters is an idempotency_error") {
  Sim s;
  REQUIRE(s.post("/v1/payment_intents", "amount=1000&currency=usd&confirm=true&payment_method=pm_card_visa", "k").status ==
          200);
  auto conflict = s.post("/v1/payment_intents", "amount=2000&currency=usd&confirm=true&payment_method=pm_card_visa", "k");
  check_error(conflict, 400, "idempotency_error", nullptr, nullptr);
  // another endpoint with the same key is a different request too
  check_error(s.post("/v1/refunds", "payment_intent=pi_x", "k"), 400, "idempotency_error", nullptr, nullptr);
  CHECK(s.sim.charge_count() == 1);
}

TEST_CASE("idempotency keys are scoped per API key") {
  Sim s;
  const std::string body = "amount=1000&currency=usd&confirm=true&payment_method=pm_card_visa";
  auto a = s.post("/v1/payment_intents", body, "shared", "sk_test_account_a");
  auto b = s.post("/v1/payment_intents", body, "shared", "sk_test_account_b");
  CHECK(a.status == 200);
  CHECK(b.status == 200);
  CHECK(str(json(a), "id") != str(json(b), "id"));
  CHECK(s.sim.charge_count() == 2);
}

TEST_CASE("a duplicate while the first request is still executing gets 409") {
  Sim s;
  const auto r = Sim::request("POST", "/v1/payment_intents",
                              "amount=1000&currency=usd&confirm=true&payment_method=pm_card_visa", "busy", "sk_test_1");
  auto first = s.sim.begin(r);
  auto concurrent = s.sim.handle(r);
  check_error(concurrent, 409, "idempotency_error", "idempotency_key_in_use", nullptr);
  const auto finished = s.sim.complete(std::move(first));
  CHECK(finished.status == 200);
  CHECK(s.sim.handle(r).body == finished.body);
  CHECK(s.sim.charge_count() == 1);
}

TEST_CASE("only a request that ran is marked executed - the idempotency layer's own answers are not") {
  Sim s;
  const auto r = Sim::request("POST", "/v1/payment_intents",
                              "amount=1000&currency=usd&confirm=true&payment_method=pm_card_visa", "run-once",
                              "sk_test_1");
  auto first = s.sim.begin(r);
  CHECK(first.executed);
  auto in_use = s.sim.begin(r);
  CHECK(in_use.response.status == 409);
  CHECK_FALSE(in_use.executed);
  s.sim.complete(std::move(first));
  auto replay = s.sim.begin(r);
  CHECK(header(replay.response, "Idempotent-Replayed") == "true");
  CHECK_FALSE(replay.executed);
  auto other = r;
  other.body = "amount=2000&currency=usd&confirm=true&payment_method=pm_card_visa";
  auto mismatch = s.sim.begin(other);
  CHECK(mismatch.response.status == 400);
  CHECK_FALSE(mismatch.executed);
  auto without_key = r;
  without_key.idempotency_key.reset();
  CHECK(s.sim.begin(without_key).executed);
  CHECK(s.sim.charge_count() == 2);
}

TEST_CASE("a request refused on its parameters stores nothing for its key") {
  Sim s;
  check_error(s.post("/v1/payment_intents", "amount=abc&currency=usd&confirm=true&payment_method=pm_card_visa", "fix"),
              400, "invalid_request_error", nullptr, "amount");
  CHECK(s.post("/v1/payment_intents", "amount=1000&currency=usd&confirm=true&payment_method=pm_card_visa", "fix")
            .status == 200);
  check_error(s.post("/v1/payment_intents", "amount=1000&currency=usd", std::string(256, 'k')), 400,
              "invalid_request_error", nullptr, nullptr);
}

TEST_CASE("refunds: the rest by default, partial amounts, never more than was paid") {
  Sim s;
  const auto pi = s.pay("pm_card_visa", 1000);
  auto partial = s.post("/v1/refunds", "payment_intent=" + pi + "&amount=300&reason=requested_by_customer&metadata[refund_id]=r1");
  REQUIRE(partial.status == 200);
  auto refund = json(partial);
  CHECK(str(refund, "id").rfind("re_", 0) == 0);
  CHECK(str(refund, "object") == "refund");
  CHECK(refund["amount"].GetInt64() == 300);
  CHECK(str(refund, "status") == "succeeded");
  CHECK(str(refund, "payment_intent") == pi);
  CHECK(str(refund, "charge").rfind("ch_", 0) == 0);
  CHECK(str(refund, "reason") == "requested_by_customer");
  CHECK(str(refund["metadata"], "refund_id") == "r1");

  check_error(s.post("/v1/refunds", "payment_intent=" + pi + "&amount=701"), 400, "invalid_request_error",
              "amount_too_large", "amount");
  check_error(s.post("/v1/refunds", "payment_intent=" + pi + "&amount=0"), 400, "invalid_request_error", nullptr,
              "amount");
  auto rest = s.post("/v1/refunds", "payment_intent=" + pi);
  REQUIRE(rest.status == 200);
  CHECK(json(rest)["amount"].GetInt64() == 700);
  check_error(s.post("/v1/refunds", "payment_intent=" + pi), 400, "invalid_request_error", "charge_already_refunded",
              nullptr);
  check_error(s.post("/v1/refunds", "payment_intent=" + pi + "&amount=1"), 400, "invalid_request_error",
              "charge_already_refunded", nullptr);

  auto fetched = s.get("/v1/refunds/" + str(refund, "id"));
  CHECK(fetched.status == 200);
  CHECK(fetched.body == partial.body);
  check_error(s.post("/v1/refunds", "payment_intent=pi_missing"), 400, "invalid_request_error", "resource_missing",
              "payment_intent");
  check_error(s.post("/v1/refunds", "amount=5"), 400, "invalid_request_error", "parameter_missing", nullptr);
  check_error(s.post("/v1/refunds", "payment_intent=" + pi + "&reason=because"), 400, "invalid_request_error", nullptr,
              nullptr);
}

TEST_CASE("a payment that did not succeed cannot be refunded") {
  Sim s;
  auto declined = json(s.post("/v1/payment_intents",
                              "amount=1000&currency=usd&confirm=true&payment_method=pm_card_visa_chargeDeclined"));
  const auto id = str(declined["error"]["payment_intent"], "id");
  check_error(s.post("/v1/refunds", "payment_intent=" + id), 400, "invalid_request_error", nullptr, nullptr);
}

TEST_CASE("a pm_card_refundFail refund succeeds first, can be failed later, and frees the amount") {
  Sim s;
  const auto pi = s.pay("pm_card_refundFail", 1000);
  auto created = json(s.post("/v1/refunds", "payment_intent=" + pi, "refund-key"));
  CHECK(str(created, "status") == "succeeded");
  const auto id = str(created, "id");
  auto failed = s.sim.fail_refund(id, "");
  REQUIRE(failed.status == 200);
  auto after = json(s.get("/v1/refunds/" + id));
  CHECK(str(after, "status") == "failed");
  CHECK(str(after, "failure_reason") == "expired_or_canceled_card");
  CHECK(s.sim.fail_refund(id, "").status == 400);  // already failed
  // the failed amount can be refunded again
  CHECK(json(s.post("/v1/refunds", "payment_intent=" + pi))["amount"].GetInt64() == 1000);
  CHECK(s.sim.refunds_json().find(R"("idempotency_key":"refund-key")") != std::string::npos);
}

TEST_CASE("charge.refunded carries the charge, with what its refunds that did not fail add up to") {
  Sim s;
  std::vector<SimEvent> events;
  s.sim.set_event_listener([&events](const SimEvent& event) { events.push_back(event); });
  const auto pi_id = s.pay("pm_card_refundFail", 1000, "&metadata[payment_id]=pay_1");
  const auto pi = json(s.get("/v1/payment_intents/" + pi_id));
  auto charge_refunded = [&events] {
    REQUIRE(events.back().type == "charge.refunded");
    rapidjson::Document doc;
    doc.Parse(events.back().object_json.c_str());
    REQUIRE_MESSAGE(!doc.HasParseError(), events.back().object_json);
    return doc;
  };

  const auto first = json(s.post("/v1/refunds", "payment_intent=" + pi_id + "&amount=300"));
  auto charge = charge_refunded();
  CHECK(str(charge, "id") == str(pi, "latest_charge"));
  CHECK(str(charge, "object") == "charge");
  CHECK(charge["amount"].GetInt64() == 1000);
  CHECK(charge["amount_refunded"].GetInt64() == 300);
  CHECK(charge["refunded"].IsFalse());
  CHECK(str(charge, "currency") == "usd");
  CHECK(str(charge, "payment_intent") == pi_id);
  CHECK(str(charge["metadata"], "payment_id") == "pay_1");
  CHECK(str(charge, "status") == "succeeded");
  CHECK(charge["created"].GetInt64() == kNow);

  // A failed refund no longer counts.
  REQUIRE(s.sim.fail_refund(str(first, "id"), "").status == 200);
  REQUIRE(s.post("/v1/refunds", "payment_intent=" + pi_id + "&amount=600").status == 200);
  CHECK(charge_refunded()["amount_refunded"].GetInt64() == 600);
  CHECK(charge_refunded()["refunded"].IsFalse());
  REQUIRE(s.post("/v1/refunds", "payment_intent=" + pi_id).status == 200);
  CHECK(charge_refunded()["amount_refunded"].GetInt64() == 1000);
  CHECK(charge_refunded()["refunded"].IsTrue());
}

TEST_CASE("a failed refund's events carry the refund with its metadata and payment intent") {
  Sim s;
  std::vector<SimEvent> events;
  const auto pi = s.pay("pm_card_refundFail", 1000);
  const auto refund = json(s.post("/v1/refunds", "payment_intent=" + pi + "&metadata[payment_id]=pay_1"
                                                 "&metadata[refund_id]=ref_1"));
  s.sim.set_event_listener([&events](const SimEvent& event) { events.push_back(event); });
  REQUIRE(s.sim.fail_refund(str(refund, "id"), "lost_or_stolen_card").status == 200);
  REQUIRE(events.size() == 3);
  CHECK(events[0].type == "refund.updated");
  CHECK(events[1].type == "charge.refund.updated");
  CHECK(events[2].type == "refund.failed");
  for (const auto& event : events) {
    CAPTURE(event.type);
    rapidjson::Document object;
    object.Parse(event.object_json.c_str());
    CHECK(str(object, "object") == "refund");
    CHECK(str(object, "id") == str(refund, "id"));
    CHECK(str(object, "status") == "failed");
    CHECK(str(object, "failure_reason") == "lost_or_stolen_card");
    CHECK(str(object, "payment_intent") == pi);
    CHECK(str(object["metadata"], "payment_id") == "pay_1");
    CHECK(str(object["metadata"], "refund_id") == "ref_1");
  }
}

TEST_CASE("a dispute opens on a succeeded payment's charge, as a Stripe Dispute in charge.dispute.created") {
  Sim s;
  std::vector<SimEvent> events;
  s.sim.set_event_listener([&events](const SimEvent& event) { events.push_back(event); });
  const auto pi = json(s.post("/v1/payment_intents", "amount=2500&currency=eur&confirm=true"
                                                     "&payment_method=pm_card_visa&metadata[payment_id]=pay_1"));
  const auto pi_id = str(pi, "id");

  const auto answer = s.sim.dispute_payment_intent(pi_id, "", std::nullopt);
  REQUIRE(answer.status == 200);
  const auto dispute = json(answer);
  CHECK(str(dispute, "id").rfind("dp_", 0) == 0);
  CHECK(str(dispute, "object") == "dispute");
  CHECK(dispute["amount"].GetInt64() == 2500);
  CHECK(str(dispute, "currency") == "eur");
  CHECK(str(dispute, "charge") == str(pi, "latest_charge"));
  CHECK(str(dispute, "payment_intent") == pi_id);
  CHECK(str(dispute, "reason") == "fraudulent");
  CHECK(str(dispute, "status") == "needs_response");
  CHECK(dispute["created"].GetInt64() == kNow);
  CHECK(dispute["livemode"].IsFalse());
  CHECK(dispute["metadata"].IsObject());
  CHECK(dispute["metadata"].ObjectEmpty());
  REQUIRE_FALSE(events.empty());
  CHECK(events.back().type == "charge.dispute.created");
  CHECK(events.back().object_json == answer.body);
  CHECK(s.sim.disputes_json() == "[" + answer.body + "]");

  // One dispute per charge, as at Stripe.
  check_error(s.sim.dispute_payment_intent(pi_id, "", std::nullopt), 400, "invalid_request_error", nullptr, nullptr);

  const auto other = s.pay("pm_card_visa", 1000);
  check_error(s.sim.dispute_payment_intent(other, "because", std::nullopt), 400, "invalid_request_error", nullptr,
              "reason");
  for (const char* amount : {"0", "1001", "12.5"}) {
    CAPTURE(amount);
    check_error(s.sim.dispute_payment_intent(other, "", std::string(amount)), 400, "invalid_request_error", nullptr,
                "amount");
  }
  const auto partial = json(s.sim.dispute_payment_intent(other, "product_not_received", std::string("400")));
  CHECK(partial["amount"].GetInt64() == 400);
  CHECK(str(partial, "reason") == "product_not_received");

  const auto waiting = json(s.post("/v1/payment_intents", "amount=1000&currency=usd&confirm=true"
                                                          "&payment_method=pm_card_threeDSecure2Required"));
  check_error(s.sim.dispute_payment_intent(str(waiting, "id"), "", std::nullopt), 400, "invalid_request_error",
              "payment_intent_unexpected_state", nullptr);
  check_error(s.sim.dispute_payment_intent("pi_missing", "", std::nullopt), 404, "invalid_request_error",
              "resource_missing", nullptr);
  s.sim.reset();
  CHECK(s.sim.disputes_json() == "[]");
}

TEST_CASE("search finds payment intents by metadata, newest first") {
  Sim s;
  const auto a = s.pay("pm_card_visa", 1000, "&metadata[payment_id]=pay_A");
  const auto b = s.pay("pm_card_visa", 1000, "&metadata[payment_id]=pay_B");
  const auto a2 = s.pay("pm_card_visa", 1000, "&metadata[payment_id]=pay_A");
  auto res = s.get("/v1/payment_intents/search", "query=metadata%5B%27payment_id%27%5D%3A%27pay_A%27");
  REQUIRE(res.status == 200);
  auto doc = json(res);
  CHECK(str(doc, "object") == "search_result");
  REQUIRE(doc["data"].Size() == 2);
  CHECK(str(doc["data"][0], "id") == a2);
  CHECK(str(doc["data"][1], "id") == a);
  auto double_quoted = json(s.get("/v1/payment_intents/search", R"(query=metadata["payment_id"]:"pay_B")"));
  REQUIRE(double_quoted["data"].Size() == 1);
  CHECK(str(double_quoted["data"][0], "id") == b);
  CHECK(json(s.get("/v1/payment_intents/search", "query=metadata['payment_id']:'none'"))["data"].Size() == 0);
  check_error(s.get("/v1/payment_intents/search", "query=amount>100"), 400, "invalid_request_error", nullptr, "query");
}

TEST_CASE("reset forgets everything, request counts are kept by method and path") {
  Sim s;
  s.sim.note_request("POST", "/v1/payment_intents");
  s.sim.note_request("POST", "/v1/payment_intents");
  CHECK(s.sim.requests_json() == R"({"POST /v1/payment_intents":2})");
  const auto pi = s.pay("pm_card_visa");
  s.sim.reset();
  CHECK(s.sim.charges_json() == "[]");
  CHECK(s.sim.requests_json() == "{}");
  CHECK(s.get("/v1/payment_intents/" + pi).status == 404);
}

TEST_CASE("state changes are offered to an event listener (the seam for a webhook sender)") {
  Sim s;
  std::vector<std::string> types;
  s.sim.set_event_listener([&types](const SimEvent& event) { types.push_back(event.type); });
  const auto pi = s.pay("pm_card_visa");
  s.pay("pm_card_visa_chargeDeclined");
  s.post("/v1/refunds", "payment_intent=" + pi);
  CHECK(types == std::vector<std::string>{"payment_intent.succeeded", "payment_intent.payment_failed",
                                          "refund.created", "charge.refunded"});
}
