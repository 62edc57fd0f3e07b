// What may move a payment from outside the worker's own Stripe call.
#include <doctest/doctest.h>

#include "payments/core/stripe_trust.hpp"

using namespace payments;

namespace {

Money money(std::int64_t minor, const char* currency) { return Money::parse(minor, currency).value(); }

PaymentIntent intent_for(const std::string& id) {
  PaymentIntent intent{.amount = money(2500, "usd")};
  intent.id = id;
  intent.status = "succeeded";
  intent.metadata_payment_id = "pay_1";
  intent.metadata_merchant_id = "acme";
  return intent;
}

const PaymentFacts kRecorded{"pay_1", "acme", "pi_1", money(2500, "usd")};
const PaymentFacts kUnrecorded{"pay_1", "acme", "", money(2500, "usd")};

}  // namespace

TEST_CASE("the recorded intent, with the payment's amount and currency in the key's mode, may speak for it") {
  CHECK_FALSE(intent_mismatch(kRecorded, intent_for("pi_1"), false));
  auto upper = intent_for("pi_1");
  upper.amount = money(2500, "USD");  // Stripe writes codes in lower case; a code is one currency in either case
  CHECK_FALSE(intent_mismatch(kRecorded, upper, false));
}

TEST_CASE("any other intent, amount, currency or mode is refused, and says which") {
  CHECK(intent_mismatch(kRecorded, intent_for("pi_other"), false) == "intent");
  auto amount = intent_for("pi_1");
  amount.amount = money(2499, "usd");
  CHECK(intent_mismatch(kRecorded, amount, false) == "amount");
  auto currency = intent_for("pi_1");
  currency.amount = money(2500, "eur");
  CHECK(intent_mismatch(kRecorded, currency, false) == "currency");
  CHECK(intent_mismatch(kRecorded, intent_for("pi_1"), true) == "livemode");
  auto live = intent_for("pi_1");
  live.livemode = true;
  CHECK(intent_mismatch(kRecorded, live, false) == "livemode");
  CHECK_FALSE(intent_mismatch(kRecorded, live, true));
}

TEST_CASE("with no intent recorded, its metadata must name this payment and this merchant") {
  CHECK_FALSE(intent_mismatch(kUnrecorded, intent_for("pi_9"), false));
  auto other_payment = intent_for("pi_9");
  other_payment.metadata_payment_id = "pay_2";
  CHECK(intent_mismatch(kUnrecorded, other_payment, false) == "metadata");
  auto other_merchant = intent_for("pi_9");
  other_merchant.metadata_merchant_id = "globex";
  CHECK(intent_mismatch(kUnrecorded, other_merchant, false) == "metadata");
  auto none = intent_for("pi_9");
  none.metadata_merchant_id.clear();
  CHECK(intent_mismatch(kUnrecorded, none, false) == "metadata");
  // Payments from before merchant metadata belong to `default`, matched on the payment id alone.
  const PaymentFacts legacy{"pay_1", "default", "", money(2500, "usd")};
  CHECK_FALSE(intent_mismatch(legacy, none, false));
  auto still_checked = none;
  still_checked.amount = money(1, "usd");
  CHECK(intent_mismatch(legacy, still_checked, false) == "amount");
}

TEST_CASE("live keys are sk_live_ and rk_live_") {
  CHECK(is_live_key("sk_live_x"));
  CHECK(is_live_key("rk_live_x"));
  CHECK_FALSE(is_live_key("sk_test_x"));
  CHECK_FALSE(is_live_key("rk_test_x"));
  CHECK_FALSE(is_live_key(""));
}

namespace {

Refund refund_for(const std::string& id, const std::string& payment_intent = "pi_1") {
  Refund refund{.amount = money(700, "usd")};
  refund.id = id;
  refund.status = "succeeded";
  refund.payment_intent = payment_intent;
  return refund;
}

const RefundFacts kRefundRecorded{"re_1", "pi_1", money(700, "usd")};
const RefundFacts kRefundUnrecorded{"", "pi_1", money(700, "usd")};

}  // namespace

TEST_CASE("a Stripe refund speaks for a refund by its recorded id, else by the payment's intent") {
  CHECK_FALSE(refund_mismatch(kRefundRecorded, refund_for("re_1")));
  CHECK(refund_mismatch(kRefundRecorded, refund_for("re_other")) == "refund_id");
  CHECK_FALSE(refund_mismatch(kRefundUnrecorded, refund_for("re_new")));
  CHECK(refund_mismatch(kRefundUnrecorded, refund_for("re_new", "pi_someone_elses")) == "refund_intent");
  // A payment with no recorded intent has nothing a refund could match.
  CHECK(refund_mismatch({"", "", money(700, "usd")}, refund_for("re_new", "")) == "refund_intent");
}

TEST_CASE("a Stripe refund of another amount or currency changes nothing") {
  auto more = refund_for("re_1");
  more.amount = money(701, "usd");
  CHECK(refund_mismatch(kRefundRecorded, more) == "refund_amount");
  auto less = refund_for("re_1");
  less.amount = money(1, "usd");
  CHECK(refund_mismatch(kRefundRecorded, less) == "refund_amount");
  auto euros = refund_for("re_1");
  euros.amount = money(700, "eur");
  CHECK(refund_mismatch(kRefundRecorded, euros) == "refund_currency");
  auto upper = refund_for("re_1");
  upper.amount = money(700, "USD");
  CHECK_FALSE(refund_mismatch(kRefundRecorded, upper));
}
