#include <doctest/doctest.h>

#include <rapidjson/document.h>

#include <string>

#include "payments/stripe/stripe_json.hpp"

using namespace payments;
using namespace payments::stripe;

namespace {

// Trimmed from Stripe's documented PaymentIntent object; unknown fields must be ignored.
const std::string kSucceeded = R"({
  "id": "pi_3MtwBwLkdIwHu7ix28a3tqPa",
  "object": "payment_intent",
  "amount": 2000,
  "amount_capturable": 0,
  "amount_received": 2000,
  "automatic_payment_methods": null,
  "capture_method": "automatic",
  "client_secret": "pi_3MtwBwLkdIwHu7ix28a3tqPa_secret_YrKJUKribcBjcG8HVhfZluoGH",
  "confirmation_method": "automatic",
  "created": 1680800504,
  "currency": "usd",
  "customer": null,
  "description": null,
  "last_payment_error": null,
  "latest_charge": "ch_3MtwBwLkdIwHu7ix28a3tqPb",
  "livemode": false,
  "metadata": {"payment_id": "pay_abc", "order_id": "ord_1"},
  "next_action": null,
  "payment_method": "pm_1MtwBwLkdIwHu7ixIMTOsy0E",
  "payment_method_types": ["card"],
  "status": "succeeded"
})";

const std::string kRequiresAction = R"({
  "id": "pi_3DS", "object": "payment_intent", "amount": 1099, "currency": "eur",
  "last_payment_error": null, "latest_charge": null,
  "next_action": {
    "type": "redirect_to_url",
    "redirect_to_url": {"return_url": "https://shop.example/return",
                        "url": "https://hooks.stripe.com/3d_secure_2/hosted?merchant=acct_1&payment_intent=pi_3DS"}
  },
  "status": "requires_action"
})";

const std::string kDeclined = R"({
  "error": {
    "charge": "ch_3Decl",
    "code": "card_declined",
    "decline_code": "insufficient_funds",
    "doc_url": "https://stripe.com/docs/error-codes/card-declined",
    "message": "Your card has insufficient funds.",
    "payment_intent": {
      "id": "pi_3Decl", "object": "payment_intent", "amount": 500, "currency": "usd",
      "last_payment_error": {
        "charge": "ch_3Decl", "code": "card_declined", "decline_code": "insufficient_funds",
        "message": "Your card has insufficient funds.", "type": "card_error"
      },
      "latest_charge": "ch_3Decl", "next_action": null,
      "status": "requires_payment_method"
    },
    "request_log_url": "https://dashboard.stripe.com/test/logs/req_x",
    "type": "card_error"
  }
})";

}  // namespace

TEST_CASE("a succeeded PaymentIntent is parsed, unknown fields ignored") {
  auto r = parse_payment_intent(kSucceeded);
  REQUIRE(r.has_value());
  CHECK(r->id == "pi_3MtwBwLkdIwHu7ix28a3tqPa");
  CHECK(r->status == "succeeded");
  CHECK(r->amount.minor() == 2000);
  CHECK(r->amount.currency().code() == "usd");
  CHECK(r->latest_charge == "ch_3MtwBwLkdIwHu7ix28a3tqPb");
  CHECK_FALSE(r->redirect_url.has_value());
  CHECK_FALSE(r->last_payment_error.has_value());
  CHECK(classify_payment_intent(*r) == IntentProgress::succeeded);
}

TEST_CASE("requires_action carries the 3-D Secure redirect url") {
  auto r = parse_payment_intent(kRequiresAction);
  REQUIRE(r.has_value());
  CHECK(r->status == "requires_action");
  REQUIRE(r->redirect_url.has_value());
  CHECK(*r->redirect_url == "https://hooks.stripe.com/3d_secure_2/hosted?merchant=acct_1&payment_intent=pi_3DS");
  CHECK(r->latest_charge.empty());
  CHECK(classify_payment_intent(*r) == IntentProgress::requires_action);
}

TEST_CASE("an expanded latest_charge object yields its id") {
  auto r = parse_payment_intent(R"({"id":"pi_1","status":"processing","amount":5,"currency":"usd",
                                   "latest_charge":{"id":"ch_9","object":"charge"}})");
  REQUIRE(r.has_value());
  CHECK(r->latest_charge == "ch_9");
  CHECK(classify_payment_intent(*r) == IntentProgress::processing);
}

TEST_CASE("a 402 card decline is classified declined and carries the intent Stripe returned") {
  const StripeError e = parse_error_response(402, kDeclined);
  CHECK(e.http_status == 402);
  CHECK(e.type == "card_error");
  CHECK(e.code == "card_declined");
  CHECK(e.decline_code == "insufficient_funds");
  CHECK(e.message == "Your card has insufficient funds.");
  CHECK(e.kind == StripeFailureKind::declined);
  CHECK_FALSE(e.retryable);
  REQUIRE(e.payment_intent != nullptr);
  CHECK(e.payment_intent->id == "pi_3Decl");
  CHECK(e.payment_intent->status == "requires_payment_method");
  REQUIRE(e.payment_intent->last_payment_error.has_value());
  CHECK(e.payment_intent->last_payment_error->decline_code == "insufficient_funds");
  CHECK(e.payment_intent->last_payment_error->kind == StripeFailureKind::declined);
  CHECK(classify_payment_intent(*e.payment_intent) == IntentProgress::failed);
}

TEST_CASE("idempotency_error means the key was reused with different parameters") {
  const StripeError e = parse_error_response(400, R"({"error":{"type":"idempotency_error",
      "message":"Keys for idempotent requests can only be used with the same parameters they were first used with."}})");
  CHECK(e.kind == StripeFailureKind::idempotency_conflict);
  CHECK_FALSE(e.retryable);
  CHECK(e.payment_intent == nullptr);
}

TEST_CASE("a concurrent request with the same key (409) is transient") {
  const StripeError e = parse_error_response(409, R"({"error":{"type":"invalid_request_error",
      "code":"idempotency_key_in_use","message":"There is currently another in-progress request using this key."}})");
  CHECK(e.kind == StripeFailureKind::transient);
  CHECK(e.retryable);
}

TEST_CASE("429 is rate_limited and retryable later") {
  const StripeError e = parse_error_response(429, R"({"error":{"type":"invalid_request_error","code":"rate_limit",
      "message":"Too many requests hit the API too quickly."}})");
  CHECK(e.kind == StripeFailureKind::rate_limited);
  CHECK(e.retryable);
  CHECK(e.code == "rate_limit");
}

TEST_CASE("invalid request, authentication, not found and server errors are told apart") {
  const auto invalid = parse_error_response(
      400, R"({"error":{"type":"invalid_request_error","code":"parameter_missing","param":"amount","message":"Missing required param: amount."}})");
  CHECK(invalid.kind == StripeFailureKind::invalid_request);
  CHECK(invalid.param == "amount");
  CHECK_FALSE(invalid.retryable);

  CHECK(parse_error_response(401, R"({"error":{"type":"invalid_request_error","message":"Invalid API Key provided: sk_test_****1234"}})")
            .kind == StripeFailureKind::authentication);
  CHECK(parse_error_response(404, R"({"error":{"type":"invalid_request_error","code":"resource_missing","param":"intent","message":"No such payment_intent: 'pi_x'"}})")
            .kind == StripeFailureKind::not_found);
  const auto server = parse_error_response(500, R"({"error":{"type":"api_error","message":"Something went wrong."}})");
  CHECK(server.kind == StripeFailureKind::transient);
  CHECK(server.retryable);
}

TEST_CASE("a non-JSON error body still yields a classified error") {
  const auto gateway = parse_error_response(502, "<html>Bad Gateway</html>");
  CHECK(gateway.http_status == 502);
  CHECK(gateway.kind == StripeFailureKind::transient);
  CHECK(gateway.message.find("502") != std::string::npos);
  CHECK(parse_error_response(400, "").kind == StripeFailureKind::invalid_request);
}

TEST_CASE("refunds are parsed, including a failed one") {
  auto ok = parse_refund(R"({"id":"re_1","object":"refund","amount":1000,"currency":"usd","charge":"ch_1",
      "payment_intent":"pi_1","reason":null,"status":"succeeded","failure_reason":null})");
  REQUIRE(ok.has_value());
  CHECK(ok->id == "re_1");
  CHECK(ok->amount.minor() == 1000);
  CHECK(ok->payment_intent == "pi_1");
  CHECK(ok->failure_reason.empty());
  CHECK(classify_refund(*ok) == RefundProgress::succeeded);

  auto failed = parse_refund(R"({"id":"re_2","object":"refund","amount":300,"currency":"eur",
      "payment_intent":"pi_2","status":"failed","failure_reason":"expired_or_canceled_card"})");
  REQUIRE(failed.has_value());
  CHECK(failed->failure_reason == "expired_or_canceled_card");
  CHECK(classify_refund(*failed) == RefundProgress::failed);
}

TEST_CASE("search results list the intents found") {
  auto r = parse_payment_intent_search(R"({"object":"search_result","url":"/v1/payment_intents/search",
      "has_more":false,"data":[)" + kSucceeded + "," + kRequiresAction + "]}");
  REQUIRE(r.has_value());
  REQUIRE(r->size() == 2);
  CHECK((*r)[0].id == "pi_3MtwBwLkdIwHu7ix28a3tqPa");
  CHECK((*r)[1].status == "requires_action");

  auto empty = parse_payment_intent_search(R"({"object":"search_result","data":[],"has_more":false})");
  REQUIRE(empty.has_value());
  CHECK(empty->empty());
}

TEST_CASE("malformed success bodies are invalid_response errors, never a crash") {
  CHECK(parse_payment_intent("").error().type == "invalid_response");
  CHECK(parse_payment_intent("not json").error().type == "invalid_response");
  CHECK(parse_payment_intent("[1,2]").error().type == "invalid_response");
  CHECK(parse_payment_intent(R"({"id":"pi_1","status":"succeeded"})").error().type == "invalid_response");
  CHECK(parse_payment_intent(R"({"id":"pi_1","status":"succeeded","amount":"12"})").error().type == "invalid_response");
  CHECK(parse_refund(R"({"id":5})").error().type == "invalid_response");
  CHECK(parse_payment_intent_search(R"({"data":{}})").error().type == "invalid_response");
  // Deep nesting is parsed iteratively: no stack overflow.
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  CHECK(parse_payment_intent(deep).error().type == "invalid_response");
}

// ---------------------------------------------------------------------------------------------------------------
// Webhook events (API version 2024-06-20), as Stripe posts them to the endpoint.

namespace {

const std::string kIntentSucceededEvent = R"({
  "id": "evt_3PTxqLLkdIwHu7ix0ZsVYb1c",
  "object": "event",
  "api_version": "2024-06-20",
  "created": 1718900021,
  "data": {
    "object": {
      "id": "pi_3PTxqLLkdIwHu7ix0HQmxvUJ",
      "object": "payment_intent",
      "amount": 1999,
      "amount_capturable": 0,
      "amount_received": 1999,
      "capture_method": "automatic_async",
      "client_secret": "pi_3PTxqLLkdIwHu7ix0HQmxvUJ_secret_kR5qN0fGxE",
      "confirmation_method": "automatic",
      "created": 1718900019,
      "currency": "usd",
      "customer": null,
      "description": null,
      "last_payment_error": null,
      "latest_charge": "ch_3PTxqLLkdIwHu7ix0mB2Kzde",
      "livemode": false,
      "metadata": {"order_id": "1001", "payment_id": "pay_01j0ww2k3m4n5p6q7r8s9t0v1w"},
      "next_action": null,
      "payment_method": "pm_1PTxqKLkdIwHu7ixR9yv1Q2a",
      "payment_method_types": ["card"],
      "status": "succeeded"
    }
  },
  "livemode": false,
  "pending_webhooks": 1,
  "request": {"id": "req_Lq0fW3y2zX9aBc", "idempotency_key": "payments:pay_01j0ww2k3m4n5p6q7r8s9t0v1w:charge"},
  "type": "payment_intent.succeeded"
})";

const std::string kRefundFailedEvent = R"({
  "id": "evt_3PTyA1LkdIwHu7ix1kq9dMvE",
  "object": "event",
  "api_version": "2024-06-20",
  "created": 1718990400,
  "data": {
    "object": {
      "id": "re_3PTxqLLkdIwHu7ix0Xa1bC2d",
      "object": "refund",
      "amount": 500,
      "balance_transaction": "txn_3PTxqLLkdIwHu7ix0eF3gH4i",
      "charge": "ch_3PTxqLLkdIwHu7ix0mB2Kzde",
      "created": 1718900300,
      "currency": "usd",
      "destination_details": {"card": {"reference_status": "pending", "reference_type": "acquirer_reference_number", "type": "refund"}, "type": "card"},
      "failure_balance_transaction": "txn_3PTyA1LkdIwHu7ix1zZ9yY8x",
      "failure_reason": "expired_or_canceled_card",
      "metadata": {"payment_id": "pay_01j0ww2k3m4n5p6q7r8s9t0v1w", "refund_id": "ref_01j0wx4a5b6c7d8e9f0g1h2j3k"},
      "payment_intent": "pi_3PTxqLLkdIwHu7ix0HQmxvUJ",
      "reason": "requested_by_customer",
      "receipt_number": null,
      "source_transfer_reversal": null,
      "status": "failed",
      "transfer_reversal": null
    },
    "previous_attributes": {"status": "succeeded"}
  },
  "livemode": false,
  "pending_webhooks": 1,
  "request": {"id": null, "idempotency_key": null},
  "type": "refund.failed"
})";

// charge.dispute.created with payment_intent and charge as ids (the default) or expanded objects.
std::string dispute_event(const std::string& payment_intent, const std::string& charge) {
  return R"({
  "id": "evt_1PU0dZLkdIwHu7ixz3QkP0aB",
  "object": "event",
  "api_version": "2024-06-20",
  "created": 1719000000,
  "data": {
    "object": {
      "id": "dp_1PU0dYLkdIwHu7ixkq4Zt1Ht",
      "object": "dispute",
      "amount": 1999,
      "balance_transactions": [],
      "charge": )" + charge + R"(,
      "created": 1718999999,
      "currency": "usd",
      "evidence": {"customer_name": null, "product_description": null, "uncategorized_text": null},
      "evidence_details": {"due_by": 1719791999, "has_evidence": false, "past_due": false, "submission_count": 0},
      "is_charge_refundable": false,
      "livemode": false,
      "metadata": {},
      "payment_intent": )" + payment_intent + R"(,
      "payment_method_details": {"card": {"brand": "visa", "network_reason_code": "10.4"}, "type": "card"},
      "reason": "fraudulent",
      "status": "warning_needs_response"
    }
  },
  "livemode": false,
  "pending_webhooks": 1,
  "request": {"id": null, "idempotency_key": null},
  "type": "charge.dispute.created"
})";
}

}  // namespace

TEST_CASE("a payment_intent event names its intent and the payment id this service put in the metadata") {
  auto e = parse_event(kIntentSucceededEvent);
  REQUIRE_MESSAGE(e, (e ? "" : e.error().field + " " + e.error().message));
  CHECK(e->id == "evt_3PTxqLLkdIwHu7ix0ZsVYb1c");
  CHECK(e->type == "payment_intent.succeeded");
  CHECK(e->created == 1718900021);
  CHECK(e->object_type == "payment_intent");
  CHECK(e->object_id == "pi_3PTxqLLkdIwHu7ix0HQmxvUJ");
  CHECK(e->payment_intent == "pi_3PTxqLLkdIwHu7ix0HQmxvUJ");
  CHECK(e->metadata_payment_id == "pay_01j0ww2k3m4n5p6q7r8s9t0v1w");
  CHECK(e->metadata_refund_id.empty());

  // object_json is the intent itself (not the envelope), readable as the intent it is.
  auto intent = parse_payment_intent(e->object_json);
  REQUIRE(intent.has_value());
  CHECK(intent->id == "pi_3PTxqLLkdIwHu7ix0HQmxvUJ");
  CHECK(intent->status == "succeeded");
  CHECK(intent->amount.minor() == 1999);
  CHECK(intent->amount.currency().code() == "usd");
  CHECK(intent->latest_charge == "ch_3PTxqLLkdIwHu7ix0mB2Kzde");
  CHECK(classify_payment_intent(*intent) == IntentProgress::succeeded);
  CHECK(e->object_json.find("evt_") == std::string::npos);
  CHECK(e->object_json.find("pending_webhooks") == std::string::npos);
}

TEST_CASE("a refund event takes the payment intent from the refund and reads both metadata ids") {
  auto e = parse_event(kRefundFailedEvent);
  REQUIRE_MESSAGE(e, (e ? "" : e.error().field + " " + e.error().message));
  CHECK(e->id == "evt_3PTyA1LkdIwHu7ix1kq9dMvE");
  CHECK(e->type == "refund.failed");
  CHECK(e->created == 1718990400);
  CHECK(e->object_type == "refund");
  CHECK(e->object_id == "re_3PTxqLLkdIwHu7ix0Xa1bC2d");
  CHECK(e->payment_intent == "pi_3PTxqLLkdIwHu7ix0HQmxvUJ");
  CHECK(e->metadata_payment_id == "pay_01j0ww2k3m4n5p6q7r8s9t0v1w");
  CHECK(e->metadata_refund_id == "ref_01j0wx4a5b6c7d8e9f0g1h2j3k");

  auto refund = parse_refund(e->object_json);
  REQUIRE(refund.has_value());
  CHECK(refund->id == "re_3PTxqLLkdIwHu7ix0Xa1bC2d");
  CHECK(refund->status == "failed");
  CHECK(refund->amount.minor() == 500);
  CHECK(refund->amount.currency().code() == "usd");
  CHECK(refund->payment_intent == "pi_3PTxqLLkdIwHu7ix0HQmxvUJ");
  CHECK(refund->failure_reason == "expired_or_canceled_card");
  CHECK(classify_refund(*refund) == RefundProgress::failed);
  // previous_attributes sits beside the object, not in it.
  CHECK(e->object_json.find("previous_attributes") == std::string::npos);
}

TEST_CASE("a dispute event gives the intent and charge whether Stripe sends ids or expanded objects") {
  SUBCASE("ids") {
    auto e = parse_event(dispute_event(R"("pi_3PTxqLLkdIwHu7ix0HQmxvUJ")", R"("ch_3PTxqLLkdIwHu7ix0mB2Kzde")"));
    REQUIRE_MESSAGE(e, (e ? "" : e.error().field + " " + e.error().message));
    CHECK(e->type == "charge.dispute.created");
    CHECK(e->object_type == "dispute");
    CHECK(e->object_id == "dp_1PU0dYLkdIwHu7ixkq4Zt1Ht");
    CHECK(e->payment_intent == "pi_3PTxqLLkdIwHu7ix0HQmxvUJ");
    CHECK(e->metadata_payment_id.empty());  // Stripe's dispute has its own (empty) metadata

    auto d = parse_dispute(e->object_json);
    REQUIRE(d.has_value());
    CHECK(d->id == "dp_1PU0dYLkdIwHu7ixkq4Zt1Ht");
    CHECK(d->status == "warning_needs_response");
    CHECK(d->reason == "fraudulent");
    CHECK(d->amount.minor() == 1999);
    CHECK(d->amount.currency().code() == "usd");
    CHECK(d->payment_intent == "pi_3PTxqLLkdIwHu7ix0HQmxvUJ");
    CHECK(d->charge == "ch_3PTxqLLkdIwHu7ix0mB2Kzde");
  }
  SUBCASE("expanded objects") {
    auto e = parse_event(dispute_event(
        R"({"id":"pi_3PTxqLLkdIwHu7ix0HQmxvUJ","object":"payment_intent","amount":1999,"currency":"usd",
            "metadata":{"payment_id":"pay_should_not_be_read"},"status":"succeeded"})",
        R"({"id":"ch_3PTxqLLkdIwHu7ix0mB2Kzde","object":"charge","amount":1999,"disputed":true,
            "payment_intent":"pi_3PTxqLLkdIwHu7ix0HQmxvUJ"})"));
    REQUIRE_MESSAGE(e, (e ? "" : e.error().field + " " + e.error().message));
    CHECK(e->object_type == "dispute");
    CHECK(e->object_id == "dp_1PU0dYLkdIwHu7ixkq4Zt1Ht");
    CHECK(e->payment_intent == "pi_3PTxqLLkdIwHu7ix0HQmxvUJ");
    // Only data.object's own metadata counts, not that of an expanded object inside it.
    CHECK(e->metadata_payment_id.empty());

    auto d = parse_dispute(e->object_json);
    REQUIRE(d.has_value());
    CHECK(d->id == "dp_1PU0dYLkdIwHu7ixkq4Zt1Ht");
    CHECK(d->payment_intent == "pi_3PTxqLLkdIwHu7ix0HQmxvUJ");
    CHECK(d->charge == "ch_3PTxqLLkdIwHu7ix0mB2Kzde");
    CHECK(d->amount.minor() == 1999);
  }
  SUBCASE("a dispute on a charge made without an intent") {
    auto e = parse_event(dispute_event("null", R"("ch_3PTxqLLkdIwHu7ix0mB2Kzde")"));
    REQUIRE(e);
    CHECK(e->payment_intent.empty());
    auto d = parse_dispute(e->object_json);
    REQUIRE(d.has_value());
    CHECK(d->payment_intent.empty());
    CHECK(d->charge == "ch_3PTxqLLkdIwHu7ix0mB2Kzde");
  }
}

TEST_CASE("an amount or currency this service cannot hold makes the answer an invalid_response") {
  const auto intent = [](const std::string& money) {
    return parse_payment_intent(R"({"id":"pi_1","object":"payment_intent","status":"succeeded",)" + money + "}");
  };
  CHECK(intent(R"("amount":1000,"currency":"usd")").has_value());
  // Stripe writes codes in lower case; an upper-case one is the same currency, and is held as Stripe writes it.
  CHECK(intent(R"("amount":1000,"currency":"USD")")->amount.currency().code() == "usd");
  CHECK(intent(R"("amount":1000,"currency":"xyz")").error().type == "invalid_response");
  CHECK(intent(R"("amount":1000)").error().type == "invalid_response");
  CHECK(intent(R"("amount":-1,"currency":"usd")").error().type == "invalid_response");
  CHECK(intent(R"("amount":100000000,"currency":"usd")").error().type == "invalid_response");

  CHECK(parse_refund(R"({"id":"re_1","amount":100,"currency":"xyz","status":"succeeded"})").error().type ==
        "invalid_response");
  CHECK(parse_refund(R"({"id":"re_1","amount":100,"status":"succeeded"})").error().type == "invalid_response");
  CHECK(parse_dispute(R"({"id":"dp_1","amount":100,"currency":"xyz","status":"lost"})").error().type ==
        "invalid_response");
  CHECK(parse_dispute(R"({"id":"dp_1","amount":100,"status":"lost"})").error().type == "invalid_response");
}

TEST_CASE("a dispute without id or amount is an invalid_response, never a crash") {
  CHECK(parse_dispute("").error().type == "invalid_response");
  CHECK(parse_dispute("[]").error().type == "invalid_response");
  CHECK(parse_dispute(R"({"object":"dispute","amount":100,"status":"lost"})").error().type == "invalid_response");
  CHECK(parse_dispute(R"({"id":"dp_1","object":"dispute","status":"lost"})").error().type == "invalid_response");
  CHECK(parse_dispute(R"({"id":"dp_1","object":"dispute","amount":"100"})").error().type == "invalid_response");
}

TEST_CASE("an event that cannot be read names the field, and never repeats the body") {
  auto field_of = [](const std::string& body) {
    auto e = parse_event(body);
    REQUIRE_FALSE(e.has_value());
    CHECK(e.error().code == ErrorCode::validation_error);
    CHECK(e.error().message.find("pi_secretive") == std::string::npos);
    return e.error().field;
  };
  const std::string object = R"({"id":"pi_secretive","object":"payment_intent","amount":5,"status":"succeeded"})";
  auto event = [&](const std::string& id, const std::string& type, const std::string& created,
                   const std::string& data) {
    return R"({"id":)" + id + R"(,"object":"event","api_version":"2024-06-20","type":)" + type +
           R"(,"created":)" + created + R"(,"data":)" + data + "}";
  };
  const std::string good_data = R"({"object":)" + object + "}";
  // The template itself is a readable event: each case below breaks exactly one thing.
  REQUIRE(parse_event(event(R"("evt_1")", R"("payment_intent.succeeded")", "1718900021", good_data)));

  CHECK(field_of("") == "body");
  CHECK(field_of("pi_secretive") == "body");
  CHECK(field_of(R"(["evt_1"])") == "body");
  CHECK(field_of(R"({"id":"evt_1","type":"x",)") == "body");

  CHECK(field_of(event(R"("ch_3PTxqLLkdIwHu7ix0mB2Kzde")", R"("payment_intent.succeeded")", "1", good_data)) == "id");
  CHECK(field_of(event("null", R"("payment_intent.succeeded")", "1", good_data)) == "id");
  CHECK(field_of(event("12", R"("payment_intent.succeeded")", "1", good_data)) == "id");
  CHECK(field_of(event(R"("EVT_1")", R"("payment_intent.succeeded")", "1", good_data)) == "id");
  CHECK(field_of(event("\"evt_" + std::string(300, 'a') + "\"", R"("payment_intent.succeeded")", "1", good_data)) ==
        "id");

  CHECK(field_of(event(R"("evt_1")", "null", "1", good_data)) == "type");
  CHECK(field_of(event(R"("evt_1")", R"("")", "1", good_data)) == "type");
  CHECK(field_of(event(R"("evt_1")", "7", "1", good_data)) == "type");
  CHECK(field_of(R"({"id":"evt_1","created":1,"data":)" + good_data + "}") == "type");

  CHECK(field_of(event(R"("evt_1")", R"("payment_intent.succeeded")", R"("1718900021")", good_data)) == "created");
  CHECK(field_of(event(R"("evt_1")", R"("payment_intent.succeeded")", "1718900021.5", good_data)) == "created");
  CHECK(field_of(event(R"("evt_1")", R"("payment_intent.succeeded")", "null", good_data)) == "created");
  CHECK(field_of(R"({"id":"evt_1","type":"payment_intent.succeeded","data":)" + good_data + "}") == "created");

  CHECK(field_of(R"({"id":"evt_1","type":"payment_intent.succeeded","created":1})") == "data.object");
  CHECK(field_of(event(R"("evt_1")", R"("payment_intent.succeeded")", "1", "{}")) == "data.object");
  CHECK(field_of(event(R"("evt_1")", R"("payment_intent.succeeded")", "1", R"({"object":null})")) == "data.object");
  CHECK(field_of(event(R"("evt_1")", R"("payment_intent.succeeded")", "1", R"({"object":"pi_secretive"})")) ==
        "data.object");
  CHECK(field_of(event(R"("evt_1")", R"("payment_intent.succeeded")", "1", R"({"object":["pi_secretive"]})")) ==
        "data.object");
  CHECK(field_of(event(R"("evt_1")", R"("payment_intent.succeeded")", "1", R"("pi_secretive")")) == "data.object");

  CHECK(field_of(event(R"("evt_1")", R"("payment_intent.succeeded")", "1",
                       R"({"object":{"object":"payment_intent","amount":5,"status":"succeeded"}})")) ==
        "data.object.id");
  CHECK(field_of(event(R"("evt_1")", R"("payment_intent.succeeded")", "1",
                       R"({"object":{"id":"","object":"payment_intent"}})")) == "data.object.id");
  CHECK(field_of(event(R"("evt_1")", R"("payment_intent.succeeded")", "1", R"({"object":{"id":42}})")) ==
        "data.object.id");
}

TEST_CASE("object_json round-trips data.object: parsed again it holds the same fields and values") {
  // Strings with escapes, unicode, nested objects and arrays, numbers of every kind, booleans and null.
  const std::string object = R"({"id":"ch_3PTxqLLkdIwHu7ix0mB2Kzde","object":"charge","amount":1999,)"
                             R"("amount_refunded":0,"captured":true,"refunded":false,"failure_code":null,)"
                             R"("description":"Caf\u00e9 \"Le Z\u00e8bre\" \\ order #1001\n","fee_rate":0.029,)"
                             R"("metadata":{"payment_id":"pay_1","refund_id":"ref_1"},)"
                             R"("payment_intent":{"id":"pi_9","object":"payment_intent"},)"
                             R"("refunds":{"object":"list","data":[{"id":"re_1","amount":-1}],"has_more":false}})";
  auto e = parse_event(R"({"id":"evt_1","object":"event","type":"charge.refunded","created":1718900021,)"
                       R"("data":{"object":)" +
                       object + "}}");
  REQUIRE(e);
  CHECK(e->object_type == "charge");
  CHECK(e->object_id == "ch_3PTxqLLkdIwHu7ix0mB2Kzde");
  CHECK(e->payment_intent == "pi_9");  // an expanded payment_intent gives its id
  CHECK(e->metadata_payment_id == "pay_1");
  CHECK(e->metadata_refund_id == "ref_1");

  // Parsed again, object_json is the very object that was sent: same members, same values, nothing lost.
  rapidjson::Document sent;
  sent.Parse(object.c_str());
  REQUIRE_FALSE(sent.HasParseError());
  rapidjson::Document kept;
  kept.Parse(e->object_json.c_str());
  REQUIRE_FALSE(kept.HasParseError());
  CHECK(kept == sent);
  CHECK(std::string(kept["description"].GetString()) == "Caf\xC3\xA9 \"Le Z\xC3\xA8" "bre\" \\ order #1001\n");
  CHECK(kept["fee_rate"].GetDouble() == doctest::Approx(0.029));
  CHECK(kept["refunds"]["data"][0]["amount"].GetInt64() == -1);

  // And as an event's object again it reads the same, and serializes to the same text.
  auto again = parse_event(R"({"id":"evt_1","type":"charge.refunded","created":1718900021,"data":{"object":)" +
                           e->object_json + "}}");
  REQUIRE(again);
  CHECK(again->object_json == e->object_json);
  CHECK(again->object_id == e->object_id);
  CHECK(again->payment_intent == e->payment_intent);
  CHECK(again->metadata_refund_id == e->metadata_refund_id);
}
