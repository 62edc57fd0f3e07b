#include <doctest/doctest.h>

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
  CHECK(r->amount == 2000);
  CHECK(r->currency == "usd");
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
  CHECK(ok->amount == 1000);
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
