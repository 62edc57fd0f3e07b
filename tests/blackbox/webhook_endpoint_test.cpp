// POST /api/v1/webhooks/stripe on the real stack: what it refuses, what it ignores, and that what it takes in
// lands on payment-stripe-events byte for byte, keyed by the payment. What the worker then does with an event
// is tested elsewhere.
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <set>

#include "payments/json/json.hpp"
#include "support/stack.hpp"

using namespace payments::testing;
using namespace std::chrono_literals;

namespace {

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string new_event_id() { return "evt_" + payments::random_token(payments::system_random()).substr(0, 24); }

// An event as Stripe sends it: pretty-printed, so "published verbatim" is checked on more than compact JSON.
std::string event_body(const std::string& type, const std::string& object_json,
                       const std::string& id = new_event_id()) {
  return "{\n  \"id\": \"" + id + "\",\n  \"object\": \"event\",\n  \"api_version\": \"2024-06-20\",\n"
         "  \"created\": " + std::to_string(unix_now()) + ",\n  \"data\": {\n    \"object\": " + object_json +
         "\n  },\n  \"livemode\": false,\n  \"pending_webhooks\": 1,\n"
         "  \"request\": {\"id\": null, \"idempotency_key\": null},\n  \"type\": \"" + type + "\"\n}\n";
}

std::string intent_object(const std::string& intent_id, const std::string& payment_id, const std::string& status,
                          const std::string& extra_metadata = {}) {
  std::string metadata = payment_id.empty() ? "" : "\"payment_id\": \"" + payment_id + "\"";
  if (!extra_metadata.empty()) metadata += (metadata.empty() ? "" : ", ") + extra_metadata;
  return "{\"id\": \"" + intent_id + "\", \"object\": \"payment_intent\", \"amount\": 1000, \"currency\": "
         "\"usd\", \"status\": \"" + status + "\", \"metadata\": {" + metadata + "}}";
}

std::string payment_body(const std::string& order = "wh-order") {
  return R"({"order_id":")" + order + R"(","amount":1000,"currency":"usd","payment_method":"pm_card_visa"})";
}

// A payment made through the API; with a worker, waited for until it succeeded.
std::string make_payment(Stack& stack, bool wait) {
  auto accepted = stack.post_payment(payment_body());
  REQUIRE(accepted.status == 202);
  const auto id = json_field(accepted.body, "payment_id");
  if (wait) REQUIRE(stack.wait_for_status(id) == "succeeded");
  return id;
}

// 400 validation_error naming the field at fault, the message saying why (the verifier's reason, or
// "not a Stripe event").
void check_refused(const HttpResult& r, const std::string& why, const std::string& field) {
  CHECK(r.status == 400);
  CHECK(json_field(r.body, "error.code") == "validation_error");
  CHECK(json_field(r.body, "error.field") == field);
  CHECK(json_field(r.body, "error.message").find(why) != std::string::npos);
}

void check_received(const HttpResult& r) {
  CHECK(r.status == 200);
  CHECK(r.body == R"({"received":true})");
}

void check_ignored(const HttpResult& r) {
  CHECK(r.status == 200);
  CHECK(json_field(r.body, "received") == "true");
  CHECK_FALSE(json_field(r.body, "ignored").empty());
}

std::string metric_line(Stack& stack, const std::string& outcome) {
  const auto metrics = stack.admin_get("/metrics").body;
  const std::string name = "payments_api_webhooks_total{outcome=\"" + outcome + "\"} ";
  const auto at = metrics.find(name);
  if (at == std::string::npos) return "0";
  return metrics.substr(at + name.size(), metrics.find('\n', at) - at - name.size());
}

}  // namespace

TEST_CASE("webhooks that are forged, unsigned, stale, tampered with, too large or not events get 400 and publish "
          "nothing") {
  Stack stack({.start_worker = false, .sim_webhooks = false});
  const auto payment_id = make_payment(stack, false);
  const auto good = event_body("payment_intent.succeeded", intent_object("pi_wh_forged", payment_id, "succeeded"));

  // Signed with somebody else's secret.
  const auto forged_signature = Stack::sign_webhook("whsec_somebody_else", good);
  auto forged = stack.post_webhook(good, forged_signature);
  check_refused(forged, "no_matching_signature", "Stripe-Signature");
  // No Stripe-Signature at all; an empty one.
  check_refused(stack.post_webhook(good, std::nullopt), "missing_header", "Stripe-Signature");
  check_refused(stack.post_webhook(good, ""), "missing_header", "Stripe-Signature");
  // Not a signature header.
  check_refused(stack.post_webhook(good, "sha256=abc"), "malformed_header", "Stripe-Signature");
  // The right secret, signed 10 minutes ago: a replay.
  const auto stale_signature = Stack::sign_webhook(stack.webhook_secret(), good, unix_now() - 600);
  check_refused(stack.post_webhook(good, stale_signature), "timestamp_outside_tolerance", "Stripe-Signature");
  // A valid signature, but over other bytes than those sent.
  auto tampered = good;
  tampered.replace(tampered.find("\"amount\": 1000"), 14, "\"amount\": 9000");
  check_refused(stack.post_webhook(tampered, Stack::sign_webhook(stack.webhook_secret(), good)),
                "no_matching_signature", "Stripe-Signature");
  // Over 60 KiB, correctly signed.
  const std::string filler = "\"filler\": \"" + std::string(61 * 1024, 'x') + "\"";
  const auto oversized =
      event_body("payment_intent.succeeded", intent_object("pi_wh_big", payment_id, "succeeded", filler));
  auto too_large = stack.post_signed_webhook(oversized);
  check_refused(too_large, "webhook body exceeds", "body");
  // Correctly signed, but not an event: the field at fault is named.
  check_refused(stack.post_signed_webhook(R"({"id":"evt_no_type","created":1,"data":{"object":{"id":"pi_1"}}})"),
                "not a Stripe event", "type");
  check_refused(stack.post_signed_webhook("not json"), "not a Stripe event", "body");
  CHECK(metric_line(stack, "bad_signature") == "6");
  CHECK(metric_line(stack, "too_large") == "1");
  CHECK(metric_line(stack, "invalid_event") == "2");

  // Neither the secret nor the signature nor the body comes back in an answer or reaches a log.
  CHECK(forged.body.find("whsec_") == std::string::npos);
  CHECK(forged.body.find(forged_signature.substr(forged_signature.find("v1=") + 3)) == std::string::npos);
  // Then one good delivery: it is the only message on the topic.
  check_received(stack.post_signed_webhook(good));
  const auto messages = stack.read_topic(stack.topics().stripe_events, 1);
  REQUIRE(messages.size() == 1);
  CHECK(messages[0].key == payment_id);
  CHECK(messages[0].value == good);

  const auto logs = stack.logs();
  CHECK(logs.find("whsec_") == std::string::npos);
  CHECK(logs.find(forged_signature.substr(forged_signature.find("v1=") + 3)) == std::string::npos);
  CHECK(logs.find("pi_wh_forged") == std::string::npos);
  CHECK(logs.find("xxxxxxxx") == std::string::npos);
}

TEST_CASE("a signed event about one of our payments is published verbatim keyed by the payment, others are "
          "answered 200 and ignored") {
  Stack stack({.sim_webhooks = false});
  const auto payment_id = make_payment(stack, true);
  const auto payment = stack.get("/api/v1/payments/" + payment_id);
  const auto intent = json_field(payment.body, "stripe_payment_intent_id");
  REQUIRE(intent.rfind("pi_", 0) == 0);

  // Found by the payment_id this service puts in the metadata.
  const auto by_metadata = event_body("payment_intent.succeeded", intent_object(intent, payment_id, "succeeded"));
  check_received(stack.post_signed_webhook(by_metadata));
  // No metadata: found by the payment intent the payment recorded (a charge names its intent).
  const auto by_intent = event_body(
      "charge.refunded", "{\"id\": \"ch_wh_1\", \"object\": \"charge\", \"amount\": 1000, \"amount_refunded\": "
                         "1000, \"payment_intent\": \"" + intent + "\", \"metadata\": {}, \"refunded\": true}");
  check_received(stack.post_signed_webhook(by_intent));

  // A type this service does not apply, though about our payment.
  auto unused = stack.post_signed_webhook(
      event_body("payment_intent.created", intent_object(intent, payment_id, "requires_confirmation")));
  check_ignored(unused);
  CHECK(json_field(unused.body, "ignored").find("payment_intent.created") != std::string::npos);
  // An intent this service never made, and a refund naming no intent.
  check_ignored(stack.post_signed_webhook(
      event_body("payment_intent.succeeded", intent_object("pi_somebody_elses", "", "succeeded"))));
  check_ignored(stack.post_signed_webhook(event_body(
      "refund.failed", R"({"id": "re_wh_1", "object": "refund", "amount": 100, "metadata": {}, "status": "failed"})")));
  CHECK(metric_line(stack, "published") == "2");
  CHECK(metric_line(stack, "ignored_type") == "1");
  CHECK(metric_line(stack, "ignored_unknown_payment") == "2");

  const auto messages = stack.read_topic(stack.topics().stripe_events, 2);
  REQUIRE(messages.size() == 2);
  std::multiset<std::string> values;
  for (const auto& m : messages) {
    CHECK(m.key == payment_id);
    values.insert(m.value);
  }
  CHECK(values == std::multiset<std::string>{by_metadata, by_intent});
}

TEST_CASE("while a secret is rolled, events signed with the old and with the new one are both accepted") {
  Stack stack({.start_worker = false,
               .webhook_secrets = {"whsec_blackbox_old_secret", " whsec_blackbox_new_secret"},
               .sim_webhooks = false});
  const auto payment_id = make_payment(stack, false);
  const auto old_event = event_body("payment_intent.succeeded", intent_object("pi_wh_old", payment_id, "succeeded"));
  const auto new_event = event_body("payment_intent.succeeded", intent_object("pi_wh_new", payment_id, "succeeded"));
  check_received(stack.post_webhook(old_event, Stack::sign_webhook("whsec_blackbox_old_secret", old_event)));
  check_received(stack.post_webhook(new_event, Stack::sign_webhook("whsec_blackbox_new_secret", new_event)));
  // Stripe signs with both while rolling: one header, two v1.
  const auto both = event_body("payment_intent.succeeded", intent_object("pi_wh_both", payment_id, "succeeded"));
  const auto old_header = Stack::sign_webhook("whsec_blackbox_old_secret", both);
  const auto new_header = Stack::sign_webhook("whsec_blackbox_new_secret", both);
  check_received(stack.post_webhook(both, old_header + "," + new_header.substr(new_header.find("v1="))));
  // A third secret is still refused.
  check_refused(stack.post_webhook(old_event, Stack::sign_webhook("whsec_blackbox_third", old_event)),
                "no_matching_signature", "Stripe-Signature");

  const auto messages = stack.read_topic(stack.topics().stripe_events, 3);
  REQUIRE(messages.size() == 3);
  std::multiset<std::string> values;
  for (const auto& m : messages) values.insert(m.value);
  CHECK(values == std::multiset<std::string>{old_event, new_event, both});
}

TEST_CASE("the simulator's own deliveries are taken in, a stale redelivery is refused and a plain one accepted") {
  Stack stack;  // the simulator delivers to the API, as Stripe would
  const auto payment_id = make_payment(stack, true);

  auto log = payments::json::parse(stack.wait_for_sim_webhooks(), {.max_bytes = 1 << 20, .max_depth = 8});
  REQUIRE(log);
  std::string event_id;
  for (const auto& event : log.value()["events"].GetArray()) {
    if (std::string(event["type"].GetString()) == "payment_intent.succeeded") event_id = event["id"].GetString();
  }
  REQUIRE_FALSE(event_id.empty());
  for (const auto& attempt : log.value()["attempts"].GetArray()) CHECK(attempt["status"].GetInt() == 200);

  auto succeeded = [&](const std::vector<payments::events::IncomingMessage>& messages) {
    return std::count_if(messages.begin(), messages.end(), [&](const auto& m) {
      return m.key == payment_id && json_field(m.value, "id") == event_id;
    });
  };
  const auto before = stack.read_topic(stack.topics().stripe_events, 1);
  CHECK(succeeded(before) == 1);

  // Signed an hour ago: refused at every attempt, nothing published.
  REQUIRE(stack.resend_event(event_id, std::nullopt, unix_now() - 3600).status == 202);
  log = payments::json::parse(stack.wait_for_sim_webhooks(), {.max_bytes = 1 << 20, .max_depth = 8});
  REQUIRE(log);
  int refused = 0;
  for (const auto& attempt : log.value()["attempts"].GetArray()) {
    if (attempt["delivery"].GetInt() == 2) {
      CHECK(attempt["status"].GetInt() == 400);
      ++refused;
    }
  }
  CHECK(refused >= 1);
  // Delivered again, signed now: a duplicate, published again (the worker deduplicates on the event id).
  REQUIRE(stack.resend_event(event_id).status == 202);
  stack.wait_for_sim_webhooks();
  const auto after = stack.read_topic(stack.topics().stripe_events, before.size() + 1);
  CHECK(succeeded(after) == 2);
}

TEST_CASE("without STRIPE_WEBHOOK_SECRET the endpoint answers 503, and a malformed one stops start-up naming it") {
  Stack stack({.start_worker = false, .webhook_secrets = {}, .sim_webhooks = false});
  const auto body = event_body("payment_intent.succeeded", intent_object("pi_wh_none", "pay_x", "succeeded"));
  auto r = stack.post_webhook(body, Stack::sign_webhook("whsec_anything", body));
  CHECK(r.status == 503);
  CHECK(json_field(r.body, "error.code") == "unavailable");
  CHECK(json_field(r.body, "error.message").find("STRIPE_WEBHOOK_SECRET") != std::string::npos);
  CHECK(stack.api().output().find("STRIPE_WEBHOOK_SECRET is not set") != std::string::npos);
  CHECK(stack.get("/api/v1/webhooks/stripe").status == 405);

  auto env = stack.service_env();
  env["STRIPE_WEBHOOK_SECRET"] = "whsec_fine,sk_live_not_a_webhook_secret";
  env["API_PORT"] = std::to_string(free_port());
  ChildProcess api(binary("apps/api/payments-api"), {}, env, stack.log_path("bad-secret.log"));
  CHECK(api.wait_exit(15s) == 1);
  const auto output = api.output();
  CHECK(output.find("STRIPE_WEBHOOK_SECRET") != std::string::npos);
  CHECK(output.find("sk_live_not_a_webhook_secret") == std::string::npos);
  CHECK(std::count(output.begin(), output.end(), '\n') == 1);
}
