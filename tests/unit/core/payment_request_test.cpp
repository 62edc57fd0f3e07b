#include <doctest/doctest.h>

#include "payments/core/payment_request.hpp"

using namespace payments;

namespace {
PaymentRequestInput valid() {
  PaymentRequestInput in;
  in.order_id = "order-1";
  in.amount = 1000;
  in.currency = "USD";
  in.payment_method = "pm_card_visa";
  return in;
}

std::string field_of(PaymentRequestInput in) {
  auto r = validate(std::move(in));
  return r ? "<valid>" : r.error().field;
}
}  // namespace

TEST_CASE("a valid request keeps its values, with the currency normalised and metadata sorted") {
  auto in = valid();
  in.metadata = {{"z", "1"}, {"a", "2"}};
  in.customer_id = "cus_123";
  auto r = validate(in);
  REQUIRE(r);
  CHECK(r->amount.minor() == 1000);
  CHECK(r->amount.currency().code() == "usd");
  CHECK(r->metadata.front().first == "a");
  CHECK(r->customer_id == "cus_123");
}

TEST_CASE("each rule names the field it protects") {
  auto in = valid();
  in.order_id = "";
  CHECK(field_of(in) == "order_id");
  in = valid();
  in.order_id = std::string(256, 'o');
  CHECK(field_of(in) == "order_id");
  in = valid();
  in.currency = "xyz";
  CHECK(field_of(in) == "currency");
  in = valid();
  in.amount = 0;
  CHECK(field_of(in) == "amount");
  in = valid();
  in.currency = "jpy";
  in.amount = 49;
  CHECK(field_of(in) == "amount");
  in = valid();
  in.payment_method = "card_123";
  CHECK(field_of(in) == "payment_method");
  in = valid();
  in.payment_method = "pm_";
  CHECK(field_of(in) == "payment_method");
  in = valid();
  in.payment_method = "tok_visa";
  CHECK(field_of(in) == "<valid>");
  in = valid();
  in.description = std::string(1001, 'd');
  CHECK(field_of(in) == "description");
  in = valid();
  in.description = "line\nbreak";
  CHECK(field_of(in) == "description");
  in = valid();
  for (int i = 0; i < 51; ++i) in.metadata.emplace_back("k" + std::to_string(i), "v");
  CHECK(field_of(in) == "metadata");
  in = valid();
  in.metadata = {{"bad[key]", "v"}};
  CHECK(field_of(in) == "metadata.bad[key]");
  in = valid();
  in.metadata = {{"k", std::string(501, 'v')}};
  CHECK(field_of(in) == "metadata.k");
  in = valid();
  in.metadata = {{"k", "a"}, {"k", "b"}};
  CHECK(field_of(in) == "metadata.k");
}

TEST_CASE("an otp object needs a channel and a matching destination") {
  auto in = valid();
  in.otp = OtpDelivery{"sms", "+14155550123"};
  CHECK(field_of(in) == "<valid>");
  in.otp = OtpDelivery{"sms", "4155550123"};
  CHECK(field_of(in) == "otp.destination");
  in.otp = OtpDelivery{"email", "payer@example.com"};
  CHECK(field_of(in) == "<valid>");
  in.otp = OtpDelivery{"email", "not-an-address"};
  CHECK(field_of(in) == "otp.destination");
  in.otp = OtpDelivery{"pigeon", "x"};
  CHECK(field_of(in) == "otp.channel");
}

TEST_CASE("metadata keys the service sets on Stripe itself are refused, so no payment can pose as another") {
  for (const char* key : {"payment_id", "order_id", "merchant_id", "environment", "refund_id", "customer_id"}) {
    CAPTURE(key);
    auto in = valid();
    in.metadata = {{key, "x"}};
    CHECK(field_of(in) == std::string("metadata.") + key);
  }
  auto in = valid();
  in.metadata = {{"merchant", "x"}, {"cart_id", "y"}};
  CHECK(field_of(in) == "<valid>");
}
