// Asynchronous outcomes, end to end: the simulator sends signed webhooks to the real API, the worker applies
// them. 3-D Secure finished later, refunds failing after success, disputes, and events that arrive twice,
// late or out of order.
#include <doctest/doctest.h>

#include <algorithm>
#include <set>
#include <thread>

#include "payments/crypto/crypto.hpp"
#include "payments/events/record_signature.hpp"
#include "support/stack.hpp"
#include "support/test_keys.hpp"

using namespace payments::testing;
using namespace std::chrono_literals;

namespace {

std::string create_payment(Stack& stack, const std::string& method, long amount = 2500) {
  auto r = stack.post_payment(R"({"order_id":"evt-order","amount":)" + std::to_string(amount) +
                              R"(,"currency":"usd","payment_method":")" + method + R"("})");
  REQUIRE(r.status == 202);
  return json_field(r.body, "payment_id");
}

bool settled_or_waiting(const std::string& status) { return status != "pending" && status != "processing"; }
bool settled(const std::string& status) {
  return status == "succeeded" || status == "failed" || status == "canceled";
}

std::string intent_of(Stack& stack, const std::string& payment_id) {
  const auto intent = json_field(stack.get("/api/v1/payments/" + payment_id).body, "stripe_payment_intent_id");
  REQUIRE(intent.rfind("pi_", 0) == 0);
  return intent;
}

// The events on `topic` about `payment_id` as a consumer sees them: delivery is at least once, so one
// event_id delivered twice counts once. Waits `settle` for stragglers.
std::vector<payments::events::IncomingMessage> messages_for(Stack& stack, const std::string& topic,
                                                            const std::string& payment_id, std::size_t expected,
                                                            std::chrono::seconds settle = 3s) {
  auto all = stack.read_topic(topic, expected + 1, settle);
  std::vector<payments::events::IncomingMessage> mine;
  std::set<std::string> seen;
  for (auto& m : all) {
    if (m.key == payment_id && seen.insert(json_field(m.value, "event_id")).second) mine.push_back(std::move(m));
  }
  return mine;
}

// The ids of the simulator's recorded events of `type`, oldest first.
std::vector<std::string> sim_events(Stack& stack, const std::string& type) {
  const std::string log = stack.wait_for_sim_webhooks();
  std::vector<std::string> ids;
  const std::string needle = R"("type":")" + type + R"(")";
  for (auto at = log.find(needle); at != std::string::npos; at = log.find(needle, at + 1)) {
    const auto object_start = log.rfind('{', at);
    const auto id_at = log.find(R"("id":")", object_start);
    if (id_at == std::string::npos || id_at > at) continue;
    const auto start = id_at + 6;
    const auto id = log.substr(start, log.find('"', start) - start);
    if (id.rfind("evt_", 0) == 0 && std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(id);
  }
  return ids;
}

// Waits until the worker has applied the Stripe event `event_id` (it records the event's command as done).
void wait_applied(Stack& stack, const std::string& event_id) {
  const std::string command_id = payments::crypto::stable_uuid("stripe-event/" + event_id);
  for (int i = 0; i < 200; ++i) {
    int count = 0;
    stack.sql([&](soci::session& sql) {
      sql << "SELECT COUNT(*) FROM processed_commands WHERE command_id = :c", soci::use(command_id), soci::into(count);
    });
    if (count > 0) return;
    std::this_thread::sleep_for(100ms);
  }
  FAIL("the worker never applied Stripe event " << event_id);
}

// A 4000 payment with a 1500 refund Stripe has made: the payment's, our refund's and Stripe's refund's ids.
struct Refunded {
  std::string payment_id;
  std::string refund_id;
  std::string stripe_refund_id;
};
Refunded refunded_payment(Stack& stack) {
  const auto id = create_payment(stack, "pm_card_visa", 4000);
  REQUIRE(stack.wait_for_status(id) == "succeeded");
  auto accepted = stack.post("/api/v1/payments/" + id + "/refunds", R"({"amount":1500})");
  REQUIRE(accepted.status == 202);
  const auto refund_id = json_field(accepted.body, "refund_id");
  REQUIRE(stack.wait_for_status(id, 30s, [](const std::string& s) { return s == "partially_refunded"; }) ==
          "partially_refunded");
  const auto stripe_refund = json_field(stack.get("/api/v1/refunds/" + refund_id).body, "stripe_refund_id");
  REQUIRE(stripe_refund.rfind("re_", 0) == 0);
  return {id, refund_id, stripe_refund};
}

}  // namespace

TEST_CASE("a 3-D Secure payment the customer completes later settles through Stripe's webhook, once") {
  Stack stack;
  const auto id = create_payment(stack, "pm_card_threeDSecure2Required");
  REQUIRE(stack.wait_for_status(id, 30s, settled_or_waiting) == "requires_action");
  const auto status = stack.get("/api/v1/payments/" + id + "/status");
  CHECK(json_field(status.body, "next_action.redirect_url").rfind("http", 0) == 0);

  // The customer authenticates at the bank: only Stripe knows, and tells us by webhook.
  REQUIRE(stack.sim("POST", "/_sim/payment_intents/" + intent_of(stack, id) + "/authenticate").status == 200);
  CHECK(stack.wait_for_status(id, 30s, settled) == "succeeded");
  CHECK(stack.charges_for(id) == 1);
  CHECK(messages_for(stack, stack.topics().success, id, 1).size() == 1);
  CHECK(messages_for(stack, stack.topics().failed, id, 0, 1s).empty());
}

TEST_CASE("a 3-D Secure payment whose authentication fails is reported failed by webhook") {
  Stack stack;
  const auto id = create_payment(stack, "pm_card_authenticationRequired");
  REQUIRE(stack.wait_for_status(id, 30s, settled_or_waiting) == "requires_action");
  REQUIRE(stack.sim("POST", "/_sim/payment_intents/" + intent_of(stack, id) + "/authenticate?outcome=fail").status ==
          200);
  CHECK(stack.wait_for_status(id, 30s, settled) == "failed");
  const auto status = stack.get("/api/v1/payments/" + id + "/status");
  CHECK(json_field(status.body, "failure.code") == "payment_intent_authentication_failure");
  CHECK(stack.charges_for(id) == 0);
  CHECK(messages_for(stack, stack.topics().failed, id, 1).size() == 1);
}

TEST_CASE("an abandoned 3-D Secure payment expires: canceled at Stripe, reported canceled with payment-failed") {
  Stack stack({.worker_env = {{"REQUIRES_ACTION_TIMEOUT_SECONDS", "2"}, {"RECONCILE_INTERVAL_SECONDS", "1"}}});
  const auto id = create_payment(stack, "pm_card_threeDSecure2Required");
  REQUIRE(stack.wait_for_status(id, 30s, settled_or_waiting) == "requires_action");

  CHECK(stack.wait_for_status(id, 30s, settled) == "canceled");
  const auto status = stack.get("/api/v1/payments/" + id + "/status");
  CHECK(json_field(status.body, "failure.code") == "authentication_abandoned");
  CHECK(json_field(status.body, "next_action") == "");
  // Canceled at Stripe too, so the customer can no longer complete it late and be charged.
  CHECK(stack.sim("POST", "/_sim/payment_intents/" + intent_of(stack, id) + "/authenticate").status == 400);
  CHECK(stack.charges_for(id) == 0);
  const auto failed = messages_for(stack, stack.topics().failed, id, 1);
  REQUIRE(failed.size() == 1);
  CHECK(json_field(failed[0].value, "status") == "canceled");
  CHECK(json_field(failed[0].value, "failure.code") == "authentication_abandoned");
}

TEST_CASE("a refund Stripe fails after it succeeded gives the amount back to the payment and tells downstream") {
  Stack stack;
  const Refunded refunded = refunded_payment(stack);
  const std::string& id = refunded.payment_id;
  const std::string& refund_id = refunded.refund_id;
  const std::string& stripe_refund = refunded.stripe_refund_id;

  // Days later the customer's bank sends the money back: Stripe fails the refund.
  REQUIRE(stack.sim("POST", "/_sim/refunds/" + stripe_refund + "/fail").status == 200);
  CHECK(stack.wait_for_status(id, 30s, [](const std::string& s) { return s == "succeeded"; }) == "succeeded");
  const auto payment = stack.get("/api/v1/payments/" + id);
  CHECK(json_field(payment.body, "amount_refunded") == "0");
  const auto refund = stack.get("/api/v1/refunds/" + refund_id);
  CHECK(json_field(refund.body, "status") == "failed");
  CHECK(json_field(refund.body, "failure.code") == "refund_failed");
  CHECK(json_field(refund.body, "failure.message") == "expired_or_canceled_card");

  const auto events = messages_for(stack, stack.topics().refunded, id, 2);
  REQUIRE(events.size() == 2);  // refund.updated, charge.refund.updated and refund.failed: one event
  CHECK(json_field(events[0].value, "type") == "payment.refunded");
  CHECK(json_field(events[1].value, "type") == "payment.refund_failed");
  CHECK(json_field(events[1].value, "refund_id") == refund_id);
  CHECK(json_field(events[1].value, "amount_refunded") == "0");
  CHECK(json_field(events[1].value, "status") == "succeeded");

  // The money is refundable again.
  auto again = stack.post("/api/v1/payments/" + id + "/refunds", R"({"amount":4000})");
  REQUIRE(again.status == 202);
  CHECK(stack.wait_for_status(id, 30s, [](const std::string& s) { return s == "refunded"; }) == "refunded");
}

TEST_CASE("signed refund events of another Stripe refund, amount or currency change no refund") {
  Stack stack;
  const Refunded refunded = refunded_payment(stack);
  const std::string& id = refunded.payment_id;
  const std::string& refund_id = refunded.refund_id;
  const std::string& stripe_refund = refunded.stripe_refund_id;
  const auto intent = intent_of(stack, id);
  // "Stripe failed the refund", naming our refund in its metadata: what a forger would send.
  auto failed = [&](const std::string& event_id, const std::string& stripe_id, const std::string& amount,
                    const std::string& currency) {
    return R"({"id":")" + event_id + R"(","object":"event","created":1800000000,"type":"refund.failed",)"
           R"("data":{"object":{"id":")" + stripe_id + R"(","object":"refund","amount":)" + amount +
           R"(,"currency":")" + currency + R"(","payment_intent":")" + intent +
           R"(","status":"failed","failure_reason":"lost_or_stolen_card","metadata":{"payment_id":")" + id +
           R"(","refund_id":")" + refund_id + R"(","merchant_id":")" + stack.merchant() + R"("}}}})";
  };
  for (const auto& body : {failed("evt_other_refund", "re_someone_elses", "1500", "usd"),
                           failed("evt_refund_amount", stripe_refund, "1", "usd"),
                           failed("evt_refund_currency", stripe_refund, "1500", "eur")}) {
    REQUIRE(stack.post_signed_webhook(body).status == 200);
  }
  for (const char* event_id : {"evt_other_refund", "evt_refund_amount", "evt_refund_currency"}) {
    wait_applied(stack, event_id);
  }
  CHECK(json_field(stack.get("/api/v1/refunds/" + refund_id).body, "status") == "succeeded");
  CHECK(json_field(stack.get("/api/v1/payments/" + id).body, "amount_refunded") == "1500");
  const auto metrics = stack.worker_metrics();
  for (const char* reason : {"refund_id", "refund_amount", "refund_currency"}) {
    CAPTURE(reason);
    CHECK(metrics.find("payments_worker_stripe_mismatch_total{reason=\"" + std::string(reason) + "\"} 1") !=
          std::string::npos);
  }
  // Stripe's own event about this refund still applies.
  REQUIRE(stack.post_signed_webhook(failed("evt_refund_right", stripe_refund, "1500", "usd")).status == 200);
  CHECK(stack.wait_for_status(id, 30s, [](const std::string& s) { return s == "succeeded"; }) == "succeeded");
  CHECK(json_field(stack.get("/api/v1/refunds/" + refund_id).body, "status") == "failed");
}

TEST_CASE("duplicated, reordered and late webhooks never move a payment backwards or emit twice") {
  Stack stack;
  const auto id = create_payment(stack, "pm_card_threeDSecure2Required");
  REQUIRE(stack.wait_for_status(id, 30s, settled_or_waiting) == "requires_action");
  const auto intent = intent_of(stack, id);
  REQUIRE(stack.sim("POST", "/_sim/payment_intents/" + intent + "/authenticate").status == 200);
  REQUIRE(stack.wait_for_status(id, 30s, settled) == "succeeded");

  const auto requires_action = sim_events(stack, "payment_intent.requires_action");
  const auto succeeded = sim_events(stack, "payment_intent.succeeded");
  REQUIRE(requires_action.size() == 1);
  REQUIRE(succeeded.size() == 1);
  wait_applied(stack, succeeded[0]);

  // The older event again (out of order), the newer one twice (duplicates)...
  CHECK(stack.resend_event(requires_action[0]).status == 202);
  CHECK(stack.resend_event(succeeded[0]).status == 202);
  CHECK(stack.resend_event(succeeded[0]).status == 202);
  stack.wait_for_sim_webhooks();
  // ...and a late payment_failed, correctly signed, about the same intent, applied after them all.
  const std::string late_id = "evt_late_failure_" + id.substr(4);
  const std::string late =
      R"({"id":")" + late_id + R"(","object":"event","api_version":"2024-06-20","created":)" +
      std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count()) +
      R"(,"type":"payment_intent.payment_failed","livemode":false,"data":{"object":{"id":")" + intent +
      R"(","object":"payment_intent","amount":2500,"currency":"usd","status":"requires_payment_method",)"
      R"("last_payment_error":{"type":"card_error","code":"card_declined","decline_code":"generic_decline",)"
      R"("message":"Your card was declined."},"metadata":{"payment_id":")" + id + R"("}}}})";
  CHECK(stack.post_signed_webhook(late).status == 200);
  wait_applied(stack, late_id);

  const auto status = stack.get("/api/v1/payments/" + id + "/status");
  CHECK(json_field(status.body, "status") == "succeeded");
  CHECK(json_field(status.body, "failure") == "");
  CHECK(stack.charges_for(id) == 1);
  CHECK(messages_for(stack, stack.topics().success, id, 1).size() == 1);
  CHECK(messages_for(stack, stack.topics().failed, id, 0, 1s).empty());
}

TEST_CASE("a forged webhook changes nothing") {
  Stack stack;
  const auto id = create_payment(stack, "pm_card_threeDSecure2Required");
  REQUIRE(stack.wait_for_status(id, 30s, settled_or_waiting) == "requires_action");
  const auto intent = intent_of(stack, id);
  const std::string forged =
      R"({"id":"evt_forged_1","object":"event","created":1800000000,"type":"payment_intent.succeeded",)"
      R"("data":{"object":{"id":")" + intent + R"(","object":"payment_intent","amount":2500,"currency":"usd",)"
      R"("status":"succeeded","metadata":{"payment_id":")" + id + R"("}}}})";
  CHECK(stack.post_webhook(forged, Stack::sign_webhook("whsec_not_the_secret", forged)).status == 400);
  CHECK(stack.post_webhook(forged, std::nullopt).status == 400);
  std::this_thread::sleep_for(2s);
  CHECK(json_field(stack.get("/api/v1/payments/" + id + "/status").body, "status") == "requires_action");
  CHECK(messages_for(stack, stack.topics().success, id, 0, 1s).empty());
}

TEST_CASE("signed events whose intent, amount, currency or mode do not match the payment change nothing") {
  Stack stack;
  const auto id = create_payment(stack, "pm_card_threeDSecure2Required");
  REQUIRE(stack.wait_for_status(id, 30s, settled_or_waiting) == "requires_action");
  const auto intent = intent_of(stack, id);
  // Signed with the real secret: what another integration on the same Stripe account could send.
  auto event = [&](const std::string& event_id, const std::string& intent_id, const std::string& amount,
                   const std::string& currency, const std::string& livemode) {
    return R"({"id":")" + event_id + R"(","object":"event","created":1800000000,"type":"payment_intent.succeeded",)"
           R"("data":{"object":{"id":")" + intent_id + R"(","object":"payment_intent","amount":)" + amount +
           R"(,"currency":")" + currency + R"(","status":"succeeded","livemode":)" + livemode +
           R"(,"metadata":{"payment_id":")" + id + R"(","merchant_id":")" + stack.merchant() + R"("}}}})";
  };
  const std::vector<std::pair<std::string, std::string>> mismatched{
      {"evt_wrong_amount", event("evt_wrong_amount", intent, "1", "usd", "false")},
      {"evt_wrong_currency", event("evt_wrong_currency", intent, "2500", "eur", "false")},
      {"evt_wrong_mode", event("evt_wrong_mode", intent, "2500", "usd", "true")},
      {"evt_wrong_intent", event("evt_wrong_intent", "pi_someone_elses", "2500", "usd", "false")},
  };
  for (const auto& [event_id, body] : mismatched) {
    REQUIRE(stack.post_signed_webhook(body).status == 200);
    wait_applied(stack, event_id);
  }
  CHECK(json_field(stack.get("/api/v1/payments/" + id + "/status").body, "status") == "requires_action");
  CHECK(messages_for(stack, stack.topics().success, id, 0, 1s).empty());
  const auto metrics = stack.worker_metrics();
  for (const char* reason : {"amount", "currency", "livemode", "intent"}) {
    CAPTURE(reason);
    CHECK(metrics.find("payments_worker_stripe_mismatch_total{reason=\"" + std::string(reason) + "\"} 1") !=
          std::string::npos);
  }
  // The matching event still moves it.
  REQUIRE(stack.post_signed_webhook(event("evt_right", intent, "2500", "usd", "false")).status == 200);
  CHECK(stack.wait_for_status(id, 30s, settled) == "succeeded");
}

TEST_CASE("a signed event naming this payment but another merchant changes nothing") {
  // No worker yet: the payment has no PaymentIntent recorded, so only its metadata could tie an event to it.
  Stack stack({.start_worker = false});
  const auto id = create_payment(stack, "pm_card_threeDSecure2Required");
  const std::string foreign =
      R"({"id":"evt_other_merchant","object":"event","created":1800000000,"type":"payment_intent.succeeded",)"
      R"("data":{"object":{"id":"pi_other_merchants","object":"payment_intent","amount":2500,"currency":"usd",)"
      R"("status":"succeeded","livemode":false,"metadata":{"payment_id":")" + id +
      R"(","merchant_id":"m_someone_else"}}}})";
  REQUIRE(stack.post_signed_webhook(foreign).status == 200);
  stack.start_worker();
  wait_applied(stack, "evt_other_merchant");
  // Whichever the worker took first, the event or the charge, the payment is only what its own charge made it.
  // (The rule that decides it, metadata naming this payment and this merchant while no intent is recorded, is
  // unit-tested in tests/unit/core/stripe_trust_test.cpp: no black-box path holds a payment in processing
  // without its intent.)
  REQUIRE(stack.wait_for_status(id, 30s, settled_or_waiting) == "requires_action");
  CHECK(intent_of(stack, id) != "pi_other_merchants");
  CHECK(messages_for(stack, stack.topics().success, id, 0, 1s).empty());
  const auto metrics = stack.worker_metrics();
  CHECK((metrics.find(R"(payments_worker_stripe_mismatch_total{reason="metadata"} 1)") != std::string::npos ||
         metrics.find(R"(payments_worker_stripe_mismatch_total{reason="intent"} 1)") != std::string::npos));
}

TEST_CASE("a Stripe event written to payment-stripe-events by anyone but the API is dead-lettered, not applied") {
  Stack stack;
  const auto id = create_payment(stack, "pm_card_threeDSecure2Required");
  REQUIRE(stack.wait_for_status(id, 30s, settled_or_waiting) == "requires_action");
  const auto intent = intent_of(stack, id);
  // A perfectly matching event: only its path onto the topic is wrong.
  auto event = [&](const std::string& event_id) {
    return R"({"id":")" + event_id + R"(","object":"event","created":1800000000,"type":"payment_intent.succeeded",)"
           R"("data":{"object":{"id":")" + intent + R"(","object":"payment_intent","amount":2500,"currency":"usd",)"
           R"("status":"succeeded","livemode":false,"metadata":{"payment_id":")" + id + R"(","merchant_id":")" +
           stack.merchant() + R"("}}}})";
  };
  const auto& topic = stack.topics().stripe_events;
  stack.produce({topic, id, event("evt_unsigned"), {}});
  auto wrong_key = payments::events::RecordSigner::create(payments::Secret(std::string(40, 'x')));
  REQUIRE(wrong_key);
  payments::events::OutgoingMessage other_key{topic, id, event("evt_other_key"), {}};
  wrong_key->sign(other_key);
  stack.produce(std::move(other_key));
  // Signed with the right key over another event: the signature does not carry over.
  auto right_key = payments::events::RecordSigner::create(payments::Secret(kTestInternalEventKey));
  REQUIRE(right_key);
  payments::events::OutgoingMessage replayed{topic, id, event("evt_original"), {}};
  right_key->sign(replayed);
  replayed.value = event("evt_swapped");
  stack.produce(std::move(replayed));

  const auto dead = stack.read_topic(stack.topics().commands_dlq, 3, 30s);
  REQUIRE(dead.size() == 3);
  for (const auto& record : dead) {
    const auto reason = std::find_if(record.headers.begin(), record.headers.end(),
                                     [](const auto& h) { return h.first == "dlq-reason"; });
    REQUIRE(reason != record.headers.end());
    CHECK(reason->second.find("not written by payments-api") != std::string::npos);
  }
  CHECK(json_field(stack.get("/api/v1/payments/" + id + "/status").body, "status") == "requires_action");
  CHECK(messages_for(stack, stack.topics().success, id, 0, 1s).empty());
  CHECK(stack.worker_metrics().find("payments_worker_unsigned_stripe_records_total 3") != std::string::npos);

  // The same event through the API's webhook endpoint (verified, then signed) is applied.
  REQUIRE(stack.post_signed_webhook(event("evt_through_the_api")).status == 200);
  CHECK(stack.wait_for_status(id, 30s, settled) == "succeeded");
}

TEST_CASE("a dispute Stripe reports is recorded on the payment and shown by the API") {
  Stack stack;
  const auto id = create_payment(stack, "pm_card_visa");
  REQUIRE(stack.wait_for_status(id) == "succeeded");
  auto dispute = stack.sim("POST", "/_sim/payment_intents/" + intent_of(stack, id) + "/dispute?reason=fraudulent");
  REQUIRE(dispute.status == 200);
  const auto dispute_id = json_field(dispute.body, "id");

  std::string shown;
  for (int i = 0; i < 200 && shown.empty(); ++i) {
    shown = json_field(stack.get("/api/v1/payments/" + id + "/status").body, "dispute.id");
    if (shown.empty()) std::this_thread::sleep_for(100ms);
  }
  CHECK(shown == dispute_id);
  const auto payment = stack.get("/api/v1/payments/" + id);
  CHECK(json_field(payment.body, "dispute.reason") == "fraudulent");
  CHECK(json_field(payment.body, "dispute.status") == "needs_response");
  CHECK(json_field(payment.body, "dispute.amount") == "2500");
  CHECK(json_field(payment.body, "status") == "succeeded");
}
