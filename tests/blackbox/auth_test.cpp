// Who may call, end to end: API keys made with payments-admin, JWTs, merchant scoping, per-key rate limits,
// the card-testing brake, and the admin listener. Every check is what a caller (or an attacker) would see.
#include <doctest/doctest.h>
#include <jwt.h>

#include <chrono>
#include <cstdlib>
#include <map>
#include <memory>
#include <set>
#include <thread>

#include "support/stack.hpp"

using namespace payments::testing;
using namespace std::chrono_literals;

namespace {

using Headers = std::vector<std::pair<std::string, std::string>>;

std::string payment_body(const std::string& order, const std::string& method = "pm_card_visa") {
  return R"({"order_id":")" + order + R"(","amount":1500,"currency":"usd","payment_method":")" + method + R"("})";
}

Headers bearer(const std::string& secret) { return {{"Authorization", "Bearer " + secret}}; }

// A payment of the stack's own merchant, settled.
std::string settled_payment(Stack& stack, const std::string& order) {
  auto accepted = stack.post_payment(payment_body(order));
  REQUIRE_MESSAGE(accepted.status == 202, accepted.body);
  const auto id = json_field(accepted.body, "payment_id");
  REQUIRE(stack.wait_for_status(id) == "succeeded");
  return id;
}

// Every route that needs a credential, with a body that would be accepted.
struct Route {
  std::string method;
  std::string target;
  std::string body;
};
std::vector<Route> protected_routes(const std::string& payment_id) {
  return {
      {"POST", "/api/v1/payments", payment_body("order-matrix")},
      {"GET", "/api/v1/payments/" + payment_id, ""},
      {"GET", "/api/v1/payments/" + payment_id + "/status", ""},
      {"POST", "/api/v1/payments/" + payment_id + "/otp", ""},
      {"POST", "/api/v1/payments/" + payment_id + "/otp/verify", R"({"code":"123456"})"},
      {"POST", "/api/v1/payments/" + payment_id + "/refunds", R"({"amount":100})"},
      {"GET", "/api/v1/payments/" + payment_id + "/refunds", ""},
      {"GET", "/api/v1/refunds/ref_unknown", ""},
      {"POST", "/api/v1/cards/validate", R"({"number":"4242424242424242","exp_month":12,"exp_year":2030,"cvc":"123"})"},
  };
}

void check_unauthenticated(const HttpResult& r, const std::string& what) {
  INFO(what);
  CHECK(r.status == 401);
  CHECK(r.header("WWW-Authenticate") == "Bearer");
  CHECK(json_field(r.body, "error.code") == "unauthenticated");
}

// Polls until `done` holds or `timeout` passes; returns how long it took (timeout when it never held).
std::chrono::milliseconds time_until(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  const auto start = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() - start < timeout) {
    if (done()) return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
    std::this_thread::sleep_for(100ms);
  }
  return timeout;
}

}  // namespace

TEST_CASE("every payment route refuses a missing, malformed, wrong, revoked or expired credential alike") {
  Stack stack;
  const auto id = settled_payment(stack, "order-creds");
  auto revoked = stack.create_api_key(stack.merchant());
  REQUIRE(stack.admin_api_keys({"revoke", revoked.id}).exit_code == 0);
  auto expired = stack.create_api_key(stack.merchant(), {"--expires-in-days", "1"});
  stack.sql([&](soci::session& s) {
    s << "UPDATE api_keys SET expires_at = UTC_TIMESTAMP(6) - INTERVAL 1 SECOND WHERE id = '" + expired.id + "'";
  });
  // Both stop working within the snapshot's refresh.
  REQUIRE(time_until([&] { return stack.request("GET", "/api/v1/payments/" + id, {}, bearer(expired.secret)).status == 401; },
                     5000ms) < 5000ms);

  const std::vector<std::pair<std::string, Headers>> credentials{
      {"none", {}},
      {"empty bearer", {{"Authorization", "Bearer "}}},
      {"another scheme", {{"Authorization", "Basic " + stack.api_key().secret}}},
      {"malformed", bearer("psk_not-a-key")},
      {"wrong", bearer("psk_" + std::string(52, 'a'))},
      {"revoked", bearer(revoked.secret)},
      {"expired", bearer(expired.secret)},
  };
  std::set<std::string> bodies;
  for (const auto& route : protected_routes(id)) {
    for (const auto& [name, headers] : credentials) {
      auto r = stack.request(route.method, route.target, route.body, headers);
      check_unauthenticated(r, route.method + " " + route.target + " with a " + name + " credential");
      bodies.insert(r.body);
    }
  }
  CHECK(bodies.size() == 1);  // one answer for every case: nothing tells which it was

  // Nothing reached the worker: the only payment is the one made with the stack's key.
  int payments = 0;
  stack.sql([&](soci::session& s) { s << "SELECT COUNT(*) FROM payments", soci::into(payments); });
  CHECK(payments == 1);
  // No secret in any log.
  CHECK(stack.logs().find(revoked.secret) == std::string::npos);
  CHECK(stack.logs().find(stack.api_key().secret) == std::string::npos);
}

TEST_CASE("a key without the scope gets 403 and one of another merchant gets 404, like an unknown id") {
  Stack stack;
  const auto id = settled_payment(stack, "order-scopes");
  auto read_only = stack.create_api_key(stack.merchant(), {"--scopes", "payments:read"});
  auto no_refunds = stack.create_api_key(stack.merchant(), {"--scopes", "payments:read,payments:write"});
  auto other = stack.create_api_key("m_other");

  SUBCASE("scopes") {
    CHECK(stack.request("GET", "/api/v1/payments/" + id, {}, bearer(read_only.secret)).status == 200);
    auto refused = stack.request("POST", "/api/v1/payments", payment_body("order-ro"), bearer(read_only.secret));
    CHECK(refused.status == 403);
    CHECK(json_field(refused.body, "error.code") == "forbidden");
    CHECK(stack.request("POST", "/api/v1/cards/validate", "{}", bearer(read_only.secret)).status == 403);
    auto refund = stack.request("POST", "/api/v1/payments/" + id + "/refunds", R"({"amount":100})",
                                bearer(no_refunds.secret));
    CHECK(refund.status == 403);
    CHECK(stack.refunds_for(id).count == 0);
  }

  SUBCASE("another merchant's payment does not exist for it") {
    const auto unknown = stack.request("GET", "/api/v1/payments/pay_doesnotexist", {}, bearer(other.secret));
    REQUIRE(unknown.status == 404);
    for (const auto& route : protected_routes(id)) {
      if (route.target.find(id) == std::string::npos) continue;
      auto r = stack.request(route.method, route.target, route.body, bearer(other.secret));
      INFO(route.method << " " << route.target << ": " << r.body);
      CHECK(r.status == 404);
      CHECK(json_field(r.body, "error.code") == "not_found");
      CHECK(json_field(r.body, "error.message") == json_field(unknown.body, "error.message"));
    }
    // Its refund attempt moved nothing: the payment is whole and Stripe saw no refund.
    std::this_thread::sleep_for(1s);
    CHECK(json_field(stack.get("/api/v1/payments/" + id).body, "amount_refunded") == "0");
    CHECK(stack.refunds_for(id).count == 0);
    // The owner's refund list holds nothing of the other merchant.
    CHECK(stack.get("/api/v1/payments/" + id + "/refunds").body.find(R"("data":[])") != std::string::npos);
  }
}

TEST_CASE("idempotency keys are per merchant: two merchants' equal keys never meet") {
  Stack stack;
  auto other = stack.create_api_key("m_other");
  auto mine = stack.post_payment(payment_body("order-mine"), "shared-key-1");
  Headers theirs_headers = bearer(other.secret);
  theirs_headers.emplace_back("Idempotency-Key", "shared-key-1");
  auto theirs = stack.request("POST", "/api/v1/payments", payment_body("order-theirs"), theirs_headers);
  REQUIRE(mine.status == 202);
  REQUIRE_MESSAGE(theirs.status == 202, theirs.body);  // a different body, yet no conflict
  CHECK(json_field(mine.body, "payment_id") != json_field(theirs.body, "payment_id"));
  CHECK_FALSE(theirs.header("Idempotent-Replayed"));
  // Each replays its own answer.
  auto again = stack.post_payment(payment_body("order-mine"), "shared-key-1");
  CHECK(json_field(again.body, "payment_id") == json_field(mine.body, "payment_id"));
  CHECK(again.header("Idempotent-Replayed") == "true");
}

TEST_CASE("Kafka commands belong to their envelope's merchant_id, or to KAFKA_DEFAULT_MERCHANT without one") {
  Stack stack;  // KAFKA_DEFAULT_MERCHANT is the stack's own merchant
  auto kafka_key = stack.create_api_key("m_kafka");
  auto command = [](const std::string& payment_id, const std::string& merchant_field) {
    return R"({"command_id":")" + payment_id + R"(-cmd","type":"payment.create","payment_id":")" + payment_id +
           R"(","issued_at":"2026-12-01T10:00:00Z")" + merchant_field + R"(,"data":)" + payment_body(payment_id) + "}";
  };
  stack.produce_command("order-kafka-default", command("order-kafka-default", ""));
  stack.produce_command("order-kafka-named", command("order-kafka-named", R"(,"merchant_id":"m_kafka")"));

  REQUIRE(stack.wait_for_status("order-kafka-default") == "succeeded");
  CHECK(time_until([&] {
          return stack.request("GET", "/api/v1/payments/order-kafka-named/status", {}, bearer(kafka_key.secret))
                     .body.find("succeeded") != std::string::npos;
        },
                   30000ms) < 30000ms);
  // Each is invisible to the other merchant.
  CHECK(stack.get("/api/v1/payments/order-kafka-named").status == 404);
  CHECK(stack.request("GET", "/api/v1/payments/order-kafka-default", {}, bearer(kafka_key.secret)).status == 404);

  // The events say whose payment it was.
  auto events = stack.read_topic(stack.topics().success, 2);
  std::map<std::string, std::string> merchant_of;
  for (const auto& e : events) merchant_of[json_field(e.value, "payment_id")] = json_field(e.value, "merchant_id");
  CHECK(merchant_of["order-kafka-default"] == stack.merchant());
  CHECK(merchant_of["order-kafka-named"] == "m_kafka");

  // A producer cannot take over another merchant's payment id: the command is dead-lettered, the payment stays.
  stack.produce_command("order-kafka-named",
                        R"({"command_id":"takeover-1","type":"payment.create","payment_id":"order-kafka-named",)"
                        R"("issued_at":"2026-12-01T10:00:00Z","merchant_id":"m_thief","data":)" +
                            payment_body("order-kafka-named") + "}");
  auto dlq = stack.read_topic(stack.topics().commands_dlq, 1);
  REQUIRE(dlq.size() == 1);
  CHECK(stack.charges_for("order-kafka-named") == 1);
  // Nor refund it: its refund is refused as payment_not_found, and nothing reaches Stripe.
  stack.produce_command("order-kafka-named",
                        R"({"command_id":"takeover-2","type":"refund.create","payment_id":"order-kafka-named",)"
                        R"("issued_at":"2026-12-01T10:00:00Z","merchant_id":"m_thief","data":{"refund_id":"ref_thief"}})");
  auto refused = stack.read_topic(stack.topics().refunded, 1);
  REQUIRE(refused.size() == 1);
  CHECK(json_field(refused[0].value, "failure.code") == "payment_not_found");
  CHECK(json_field(refused[0].value, "merchant_id") == "m_thief");
  CHECK(stack.refunds_for("order-kafka-named").count == 0);
  CHECK(json_field(stack.request("GET", "/api/v1/payments/order-kafka-named", {}, bearer(kafka_key.secret)).body,
                   "amount_refunded") == "0");
}

TEST_CASE("a key over its rate gets 429 with Retry-After and RateLimit headers, publishes nothing, and recovers") {
  Stack stack;
  auto slow = stack.create_api_key(stack.merchant(), {"--rate-limit", "2"});
  // create_api_key's probe of the running API spent a token: a full bucket (2) before the burst.
  std::this_thread::sleep_for(1100ms);
  std::vector<HttpResult> answers;
  const auto started = std::chrono::steady_clock::now();
  for (int i = 0; i < 6; ++i) {
    answers.push_back(stack.request("POST", "/api/v1/payments", payment_body("order-rate-" + std::to_string(i)),
                                    bearer(slow.secret)));
  }
  // Tokens come back at 2 per second while the requests run: a slow machine earns a few more.
  const double took_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  const int refilled = static_cast<int>(took_seconds * 2) + 1;
  int accepted = 0;
  int limited = 0;
  for (const auto& r : answers) {
    CHECK(r.header("RateLimit-Limit") == "2");
    CHECK(r.header("RateLimit-Remaining"));
    CHECK(r.header("RateLimit-Reset"));
    if (r.status == 202) ++accepted;
    if (r.status == 429) {
      ++limited;
      CHECK(json_field(r.body, "error.code") == "rate_limited");
      CHECK(r.header("Retry-After") == "1");
    }
  }
  CHECK(accepted >= 2);
  CHECK(accepted <= 2 + refilled);  // the burst, plus what refilled while the requests ran
  CHECK(limited == 6 - accepted);
  if (took_seconds < 1.0) CHECK(limited >= 2);  // on any ordinary machine the limit bites
  int payments = 0;
  stack.sql([&](soci::session& s) { s << "SELECT COUNT(*) FROM payments", soci::into(payments); });
  CHECK(payments == accepted);

  // Other keys are not held back by it.
  CHECK(stack.get("/api/v1/payments/pay_unknown/status").status == 404);
  std::this_thread::sleep_for(1100ms);
  CHECK(stack.request("GET", "/api/v1/payments/pay_unknown/status", {}, bearer(slow.secret)).status == 404);
}

TEST_CASE("a revoked key stops working on a running API within 5 seconds, and api-keys list shows it revoked") {
  Stack stack;
  auto key = stack.create_api_key("m_revoke");  // returns once the running API accepts it
  CHECK(stack.request("GET", "/api/v1/refunds/ref_x", {}, bearer(key.secret)).status == 404);
  auto revoke = stack.admin_api_keys({"revoke", key.id});
  REQUIRE_MESSAGE(revoke.exit_code == 0, revoke.output);
  const auto took = time_until(
      [&] { return stack.request("GET", "/api/v1/refunds/ref_x", {}, bearer(key.secret)).status == 401; }, 10000ms);
  CHECK(took < 5000ms);

  auto list = stack.admin_api_keys({"list", "--merchant", "m_revoke"});
  REQUIRE(list.exit_code == 0);
  CHECK(list.output.find(key.id) != std::string::npos);
  CHECK(list.output.find("revoked") != std::string::npos);
  CHECK(list.output.find(key.secret) == std::string::npos);
  CHECK(list.output.find(stack.api_key().id) == std::string::npos);  // another merchant's key
  // Revoking again, or an unknown key, says so and fails.
  CHECK(stack.admin_api_keys({"revoke", key.id}).exit_code == 1);
  CHECK(stack.admin_api_keys({"revoke", "key_unknown"}).exit_code == 1);
  // Bad input is refused with a line naming it.
  auto bad = stack.admin_api_keys({"create", "--merchant", "m1", "--scopes", "payments:delete"});
  CHECK(bad.exit_code == 1);
  CHECK(bad.output.find("payments:delete") != std::string::npos);
  CHECK(stack.admin_api_keys({"create"}).exit_code == 2);
}

namespace {

constexpr const char* kJwtSecret = "an-hs256-secret-of-more-than-32-bytes-for-tests";

struct JwtFree {
  void operator()(jwt_t* jwt) const { jwt_free(jwt); }
};

std::string make_jwt(jwt_alg_t alg, const std::string& key, const std::string& audience, long expires_in_seconds,
                     const std::string& merchant = "m_jwt", const std::string& scope = "payments:read payments:write") {
  jwt_t* raw = nullptr;
  REQUIRE(jwt_new(&raw) == 0);
  std::unique_ptr<jwt_t, JwtFree> jwt(raw);
  const long now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch()).count();
  REQUIRE(jwt_add_grant(jwt.get(), "iss", "https://auth.example.test/") == 0);
  REQUIRE(jwt_add_grant(jwt.get(), "aud", audience.c_str()) == 0);
  REQUIRE(jwt_add_grant(jwt.get(), "sub", "order-service") == 0);
  REQUIRE(jwt_add_grant(jwt.get(), "merchant_id", merchant.c_str()) == 0);
  REQUIRE(jwt_add_grant(jwt.get(), "scope", scope.c_str()) == 0);
  REQUIRE(jwt_add_grant_int(jwt.get(), "exp", now + expires_in_seconds) == 0);
  const auto* bytes = alg == JWT_ALG_NONE ? nullptr : reinterpret_cast<const unsigned char*>(key.data());
  REQUIRE(jwt_set_alg(jwt.get(), alg, bytes, alg == JWT_ALG_NONE ? 0 : static_cast<int>(key.size())) == 0);
  char* encoded = jwt_encode_str(jwt.get());
  REQUIRE(encoded != nullptr);
  std::string token(encoded);
  std::free(encoded);  // NOLINT(cppcoreguidelines-no-malloc): libjwt 1.10 allocates with malloc
  return token;
}

StackOptions jwt_stack() {
  StackOptions options;
  options.api_env = {{"AUTH_JWT_ISSUER", "https://auth.example.test/"},
                     {"AUTH_JWT_AUDIENCE", "payments"},
                     {"AUTH_JWT_HS256_SECRET", kJwtSecret}};
  return options;
}

}  // namespace

TEST_CASE("a JWT is accepted only when signed, current and for this audience - its merchant claim scopes it") {
  Stack stack(jwt_stack());
  const auto good = make_jwt(JWT_ALG_HS256, kJwtSecret, "payments", 300);
  auto created = stack.request("POST", "/api/v1/payments", payment_body("order-jwt"), bearer(good));
  REQUIRE_MESSAGE(created.status == 202, created.body);
  const auto id = json_field(created.body, "payment_id");
  CHECK(stack.request("GET", "/api/v1/payments/" + id + "/status", {}, bearer(good)).status == 200);
  // The token's merchant owns it: the stack's own key (another merchant) does not see it.
  CHECK(stack.get("/api/v1/payments/" + id).status == 404);

  const std::vector<std::pair<std::string, std::string>> refused{
      {"expired beyond the leeway", make_jwt(JWT_ALG_HS256, kJwtSecret, "payments", -120)},
      {"another audience", make_jwt(JWT_ALG_HS256, kJwtSecret, "billing", 300)},
      {"signed with another secret", make_jwt(JWT_ALG_HS256, "another-secret-of-more-than-32-bytes!!", "payments", 300)},
      {"alg none", make_jwt(JWT_ALG_NONE, "", "payments", 300)},
  };
  for (const auto& [name, token] : refused) {
    check_unauthenticated(stack.request("GET", "/api/v1/payments/" + id + "/status", {}, bearer(token)), name);
  }
  // Scopes come from the token: one without refunds:write cannot refund.
  CHECK(stack.request("POST", "/api/v1/payments/" + id + "/refunds", "{}", bearer(good)).status == 403);
  CHECK(stack.logs().find(good) == std::string::npos);
}

TEST_CASE("a key whose payments are declined too often gets 429 on new payments - other keys do not") {
  StackOptions options;
  options.api_env = {{"API_DECLINE_LIMIT", "2"}};
  Stack stack(options);
  auto tester = stack.create_api_key(stack.merchant());
  for (int i = 0; i < 3; ++i) {
    auto r = stack.request("POST", "/api/v1/payments", payment_body("order-declined-" + std::to_string(i),
                                                                    "pm_card_visa_chargeDeclined"),
                           bearer(tester.secret));
    REQUIRE(r.status == 202);
    CHECK(stack.wait_for_status(json_field(r.body, "payment_id")) == "failed");
  }
  // The decline counts are refreshed every few seconds.
  HttpResult refused;
  time_until(
      [&] {
        refused = stack.request("POST", "/api/v1/payments", payment_body("order-after"), bearer(tester.secret));
        return refused.status == 429;
      },
      15000ms);
  CHECK(refused.status == 429);
  CHECK(json_field(refused.body, "error.code") == "rate_limited");
  CHECK(refused.header("Retry-After"));
  // Reads still work (the merchant needs the decline details), and another key is not held back.
  CHECK(stack.request("GET", "/api/v1/refunds/ref_x", {}, bearer(tester.secret)).status == 404);
  CHECK(stack.post_payment(payment_body("order-other-key")).status == 202);
  CHECK(stack.admin_get("/metrics").body.find("payments_api_decline_limited_total") != std::string::npos);
}

TEST_CASE("the public port answers /ready bare and serves no metrics - the admin listener has both - no-store everywhere") {
  Stack stack;
  auto ready = stack.request("GET", "/ready");
  CHECK(ready.status == 200);
  CHECK(ready.body == R"({"status":"ready"})");
  CHECK(stack.request("GET", "/metrics").status == 404);
  CHECK(stack.request("GET", "/health").status == 200);

  auto details = stack.admin_get("/ready");
  CHECK(details.status == 200);
  CHECK(json_field(details.body, "kafka") == "ok");
  CHECK(json_field(details.body, "mysql") == "ok");
  CHECK(stack.admin_get("/metrics").body.find("payments_api_requests_total") != std::string::npos);

  const auto id = json_field(stack.post_payment(payment_body("order-cache")).body, "payment_id");
  for (const auto& target : {"/api/v1/payments/" + id, "/api/v1/payments/" + id + "/status",
                             std::string("/api/v1/payments/pay_unknown")}) {
    CHECK(stack.get(target).header("Cache-Control") == "no-store");
  }
  CHECK(stack.request("GET", "/api/v1/payments/" + id).header("Cache-Control") == "no-store");
}
