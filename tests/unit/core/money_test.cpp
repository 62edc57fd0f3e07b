#include <doctest/doctest.h>

#include "payments/core/money.hpp"

using payments::Currency;
using payments::ErrorCode;
using payments::Money;

namespace {
Currency currency(const char* code) { return *Currency::from_code(code); }
}  // namespace

TEST_CASE("currency codes are looked up case-insensitively and unknown ones are refused") {
  CHECK(Currency::from_code("usd").has_value());
  CHECK(Currency::from_code("USD")->code() == "usd");
  CHECK_FALSE(Currency::from_code("xyz").has_value());
  CHECK_FALSE(Currency::from_code("us").has_value());
  CHECK_FALSE(Currency::from_code("").has_value());
  CHECK(Currency::supported_codes().find("jpy") != std::string::npos);
}

TEST_CASE("currency exponents follow ISO 4217 as Stripe uses them") {
  CHECK(currency("usd").exponent() == 2);
  CHECK(currency("jpy").exponent() == 0);
  CHECK(currency("krw").exponent() == 0);
  CHECK(currency("kwd").exponent() == 3);
  CHECK(currency("bhd").exponent() == 3);
}

TEST_CASE("a charge must be positive, at least the currency minimum and at most eight digits") {
  CHECK(Money::charge(50, currency("usd")).has_value());
  CHECK(Money::charge(99'999'999, currency("usd")).has_value());

  auto zero = Money::charge(0, currency("usd"));
  REQUIRE_FALSE(zero);
  CHECK(zero.error().code == ErrorCode::validation_error);
  CHECK(zero.error().field == "amount");

  CHECK_FALSE(Money::charge(-100, currency("usd")));
  CHECK_FALSE(Money::charge(49, currency("usd")));
  CHECK(Money::charge(30, currency("gbp")).has_value());
  CHECK_FALSE(Money::charge(29, currency("gbp")));
  CHECK_FALSE(Money::charge(999, currency("mxn")));
  CHECK(Money::charge(400, currency("hkd")).has_value());
  CHECK_FALSE(Money::charge(100'000'000, currency("usd")));
}

TEST_CASE("a zero-decimal amount is whole units: 500 jpy is five hundred yen, not five") {
  auto yen = Money::charge(500, currency("jpy"));
  REQUIRE(yen);
  CHECK(yen->minor() == 500);
  CHECK(yen->to_display() == "500 jpy");
  CHECK_FALSE(Money::charge(49, currency("jpy")));
}

TEST_CASE("a three-decimal amount must end in zero") {
  CHECK(Money::charge(1230, currency("kwd")).has_value());
  auto odd = Money::charge(1235, currency("kwd"));
  REQUIRE_FALSE(odd);
  CHECK(odd.error().message.find("end in 0") != std::string::npos);
}

TEST_CASE("display puts the decimal point where the currency's exponent says") {
  CHECK(Money::charge(1234, currency("usd"))->to_display() == "12.34 usd");
  CHECK(Money::charge(50, currency("eur"))->to_display() == "0.50 eur");
  CHECK(Money::charge(1230, currency("kwd"))->to_display() == "1.230 kwd");
  CHECK(Money::amount(5, currency("usd"))->to_display() == "0.05 usd");
}

TEST_CASE("a plain amount may be zero but never negative, and names the field it was given") {
  CHECK(Money::amount(0, currency("usd")).has_value());
  auto negative = Money::amount(-1, currency("usd"), "refund_amount");
  REQUIRE_FALSE(negative);
  CHECK(negative.error().field == "refund_amount");
}

TEST_CASE("an amount from outside is parsed with its currency code, and an unknown code or a bad amount is an error") {
  auto stored = Money::parse(2599, "usd");
  REQUIRE(stored);
  CHECK(stored->minor() == 2599);
  CHECK(stored->currency() == currency("usd"));
  CHECK(Money::parse(2599, "USD").value() == stored.value());
  CHECK(Money::parse(0, "jpy").has_value());

  auto unknown = Money::parse(2599, "xyz", "refund_amount");
  REQUIRE_FALSE(unknown);
  CHECK(unknown.error().code == ErrorCode::validation_error);
  CHECK(unknown.error().field == "refund_amount");
  CHECK_FALSE(Money::parse(2599, ""));
  CHECK_FALSE(Money::parse(-1, "usd"));
  CHECK_FALSE(Money::parse(100'000'000, "usd"));
}

TEST_CASE("amounts add and subtract in one currency, and never across two, below zero or past eight digits") {
  const Money ten = Money::amount(1000, currency("usd")).value();
  const Money three = Money::amount(300, currency("usd")).value();
  CHECK(ten.plus(three).value() == Money::amount(1300, currency("usd")).value());
  CHECK(ten.minus(three).value() == Money::amount(700, currency("usd")).value());
  CHECK(ten.minus(ten).value() == Money::zero(currency("usd")));
  CHECK(Money::zero(currency("usd")).plus(three).value() == three);

  auto below_zero = three.minus(ten);
  REQUIRE_FALSE(below_zero);
  CHECK(below_zero.error().code == ErrorCode::invalid_state);

  const Money most = Money::amount(99'999'999, currency("usd")).value();
  auto too_big = most.plus(Money::amount(1, currency("usd")).value());
  REQUIRE_FALSE(too_big);
  CHECK(too_big.error().code == ErrorCode::invalid_state);

  const Money yen = Money::amount(1000, currency("jpy")).value();
  auto mixed = ten.plus(yen);
  REQUIRE_FALSE(mixed);
  CHECK(mixed.error().code == ErrorCode::invalid_state);
  CHECK(mixed.error().message.find("usd") != std::string::npos);
  CHECK_FALSE(ten.minus(yen));
}

TEST_CASE("amounts in one currency are ordered, and amounts in two are not comparable at all") {
  const Money ten = Money::amount(1000, currency("usd")).value();
  const Money three = Money::amount(300, currency("usd")).value();
  CHECK(three < ten);
  CHECK(ten > three);
  CHECK(ten >= ten);
  CHECK(ten != three);

  const Money yen = Money::amount(1000, currency("jpy")).value();
  CHECK_FALSE(ten == yen);
  CHECK_FALSE(ten < yen);
  CHECK_FALSE(ten > yen);
  CHECK_FALSE(ten <= yen);
  CHECK_FALSE(ten >= yen);
}
