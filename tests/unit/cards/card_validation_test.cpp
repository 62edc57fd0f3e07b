#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "payments/core/card_number.hpp"
#include "payments/core/card_validation.hpp"

using payments::card_brand;
using payments::CardBrand;
using payments::CardCheck;
using payments::CardInput;
using payments::FieldError;
using payments::validate_card;
using payments::YearMonth;

namespace {

constexpr YearMonth kToday{2025, 6};

CardInput card(std::string number, std::string cvc = "123", int month = 12, int year = 2030) {
  return {std::move(number), month, year, std::move(cvc)};
}

// `body` followed by the digit that makes the whole number pass Luhn.
std::string with_check_digit(const std::string& body) {
  for (char d = '0'; d <= '9'; ++d) {
    if (payments::luhn_valid(body + d)) return body + d;
  }
  FAIL("no check digit");
  return {};
}

std::string codes(const CardCheck& check) {
  std::string out;
  for (const auto& e : check.errors) out += (out.empty() ? "" : " ") + e.field + ":" + e.code;
  return out;
}

}  // namespace

TEST_CASE("the well-known test numbers of every brand are valid and recognised") {
  struct Row {
    const char* number;
    CardBrand brand;
    const char* cvc;
  };
  const Row rows[] = {
      {"4242424242424242", CardBrand::visa, "123"},        {"4000056655665556", CardBrand::visa, "123"},
      {"5555555555554444", CardBrand::mastercard, "123"},  {"2223003122003222", CardBrand::mastercard, "123"},
      {"378282246310005", CardBrand::amex, "1234"},        {"371449635398431", CardBrand::amex, "1234"},
      {"6011111111111117", CardBrand::discover, "123"},    {"3056930009020004", CardBrand::diners, "123"},
      {"36227206271667", CardBrand::diners, "123"},        {"3566002020360505", CardBrand::jcb, "123"},
      {"6200000000000005", CardBrand::unionpay, "123"},
  };
  for (const auto& row : rows) {
    CAPTURE(row.number);
    const CardCheck check = validate_card(card(row.number, row.cvc), kToday);
    CHECK(codes(check) == "");
    CHECK(check.valid);
    CHECK(check.brand == row.brand);
    CHECK(check.last4 == std::string(row.number).substr(std::string(row.number).size() - 4));
  }
}

TEST_CASE("Stripe's test cards from the domain reference all pass as Visa") {
  for (const char* pan : {"4242424242424242", "4000000000000002", "4000000000009995", "4000000000009987",
                          "4000000000009979", "4000000000000069", "4000000000000127", "4000000000000119",
                          "4000002760003184", "4000000000003220", "4000000000005126", "4100000000000019"}) {
    CAPTURE(pan);
    const CardCheck check = validate_card(card(pan), kToday);
    CHECK(check.valid);
    CHECK(check.brand == CardBrand::visa);
  }
  CHECK(validate_card(card("5555555555554444"), kToday).brand == CardBrand::mastercard);
}

TEST_CASE("brands are told apart at the edges of their number ranges") {
  CHECK(card_brand("4") == CardBrand::visa);
  CHECK(card_brand("2220999999999999") == CardBrand::unknown);
  CHECK(card_brand("2221000000000000") == CardBrand::mastercard);
  CHECK(card_brand("2720999999999999") == CardBrand::mastercard);
  CHECK(card_brand("2721000000000000") == CardBrand::unknown);
  CHECK(card_brand("5000000000000000") == CardBrand::unknown);
  CHECK(card_brand("5100000000000000") == CardBrand::mastercard);
  CHECK(card_brand("5599999999999999") == CardBrand::mastercard);
  CHECK(card_brand("5600000000000000") == CardBrand::unknown);
  CHECK(card_brand("340000000000000") == CardBrand::amex);
  CHECK(card_brand("370000000000000") == CardBrand::amex);
  CHECK(card_brand("350000000000000") == CardBrand::unknown);
  CHECK(card_brand("6011000000000000") == CardBrand::discover);
  CHECK(card_brand("6012000000000000") == CardBrand::unknown);
  CHECK(card_brand("6430000000000000") == CardBrand::unknown);
  CHECK(card_brand("6440000000000000") == CardBrand::discover);
  CHECK(card_brand("6490000000000000") == CardBrand::discover);
  CHECK(card_brand("6500000000000000") == CardBrand::discover);
  CHECK(card_brand("6200000000000000") == CardBrand::unionpay);
  CHECK(card_brand("3527000000000000") == CardBrand::unknown);
  CHECK(card_brand("3528000000000000") == CardBrand::jcb);
  CHECK(card_brand("3589000000000000") == CardBrand::jcb);
  CHECK(card_brand("3590000000000000") == CardBrand::unknown);
  CHECK(card_brand("30000000000000") == CardBrand::diners);
  CHECK(card_brand("30500000000000") == CardBrand::diners);
  CHECK(card_brand("30600000000000") == CardBrand::unknown);
  CHECK(card_brand("36000000000000") == CardBrand::diners);
  CHECK(card_brand("38000000000000") == CardBrand::diners);
  CHECK(card_brand("39000000000000") == CardBrand::diners);
  CHECK(card_brand("1000000000000000") == CardBrand::unknown);
  CHECK(card_brand("9000000000000000") == CardBrand::unknown);
  CHECK(card_brand("") == CardBrand::unknown);
  CHECK(card_brand("42x") == CardBrand::unknown);
}

TEST_CASE("brand names are the contract's lower-case strings") {
  CHECK(to_string(CardBrand::visa) == "visa");
  CHECK(to_string(CardBrand::mastercard) == "mastercard");
  CHECK(to_string(CardBrand::amex) == "amex");
  CHECK(to_string(CardBrand::discover) == "discover");
  CHECK(to_string(CardBrand::diners) == "diners");
  CHECK(to_string(CardBrand::jcb) == "jcb");
  CHECK(to_string(CardBrand::unionpay) == "unionpay");
  CHECK(to_string(CardBrand::unknown) == "unknown");
}

TEST_CASE("a number failing Luhn is incorrect_number but keeps its brand and last4") {
  for (const char* pan : {"4242424242424241", "5555555555554440", "378282246310006", "6011111111111118"}) {
    CAPTURE(pan);
    const CardCheck check = validate_card(card(pan, std::string(pan).starts_with("3") ? "1234" : "123"), kToday);
    CHECK_FALSE(check.valid);
    CHECK(codes(check) == "number:incorrect_number");
    CHECK(check.brand != CardBrand::unknown);
    CHECK(check.last4.size() == 4);
  }
}

TEST_CASE("each brand accepts exactly the lengths it issues") {
  struct Row {
    std::string prefix;
    std::vector<std::size_t> valid_lengths;
    const char* cvc;
  };
  const Row rows[] = {
      {"4", {13, 16, 19}, "123"},
      {"51", {16}, "123"},
      {"2221", {16}, "123"},
      {"34", {15}, "1234"},
      {"6011", {16, 17, 18, 19}, "123"},
      {"300", {14, 15, 16, 17, 18, 19}, "123"},
      {"3528", {16, 17, 18, 19}, "123"},
      {"62", {16, 17, 18, 19}, "123"},
  };
  for (const auto& row : rows) {
    for (std::size_t length = 12; length <= 20; ++length) {
      const std::string number = with_check_digit(row.prefix + std::string(length - 1 - row.prefix.size(), '0'));
      CAPTURE(number);
      const bool expected = std::find(row.valid_lengths.begin(), row.valid_lengths.end(), length) !=
                            row.valid_lengths.end();
      const CardCheck check = validate_card(card(number, row.cvc), kToday);
      CHECK(check.valid == expected);
      if (!expected) CHECK(codes(check) == "number:invalid_number");
    }
  }
}

TEST_CASE("spaces and dashes are stripped but other characters make the number invalid") {
  CHECK(validate_card(card("4242 4242 4242 4242"), kToday).valid);
  CHECK(validate_card(card("4242-4242-4242-4242"), kToday).valid);
  CHECK(validate_card(card(" 3782 822463 10005 ", "1234"), kToday).valid);

  const CardCheck letters = validate_card(card("4242 4242 4242 424a"), kToday);
  CHECK(codes(letters) == "number:invalid_number");
  CHECK(letters.brand == CardBrand::unknown);
  CHECK(letters.last4.empty());

  CHECK(codes(validate_card(card("4242.4242.4242.4242"), kToday)) == "number:invalid_number");
  CHECK(codes(validate_card(card(""), kToday)) == "number:invalid_number");
  CHECK(codes(validate_card(card(" - "), kToday)) == "number:invalid_number");
}

TEST_CASE("a number of no known brand is invalid_number even when it passes Luhn") {
  const std::string number = with_check_digit("123456789012345");
  const CardCheck check = validate_card(card(number), kToday);
  CHECK(codes(check) == "number:invalid_number");
  CHECK(check.brand == CardBrand::unknown);
}

TEST_CASE("last4 is given only for a number long enough that it reveals little") {
  CHECK(validate_card(card("4242"), kToday).last4.empty());
  CHECK(validate_card(card("42424242424"), kToday).last4.empty());
  CHECK(validate_card(card("424242424242"), kToday).last4 == "4242");
}

TEST_CASE("the card is good through the last day of its expiry month") {
  CHECK(validate_card(card("4242424242424242", "123", 6, 2025), kToday).valid);
  CHECK(validate_card(card("4242424242424242", "123", 7, 2025), kToday).valid);

  const CardCheck last_month = validate_card(card("4242424242424242", "123", 5, 2025), kToday);
  CHECK_FALSE(last_month.valid);
  CHECK(codes(last_month) == "exp_month:expired_card");

  const CardCheck last_year = validate_card(card("4242424242424242", "123", 12, 2024), kToday);
  CHECK(codes(last_year) == "exp_year:expired_card");
}

TEST_CASE("expiry across the December to January boundary") {
  constexpr YearMonth december{2025, 12};
  CHECK(validate_card(card("4242424242424242", "123", 12, 2025), december).valid);
  CHECK(validate_card(card("4242424242424242", "123", 1, 2026), december).valid);
  CHECK(codes(validate_card(card("4242424242424242", "123", 11, 2025), december)) == "exp_month:expired_card");

  constexpr YearMonth january{2026, 1};
  CHECK(validate_card(card("4242424242424242", "123", 1, 2026), january).valid);
  CHECK(codes(validate_card(card("4242424242424242", "123", 12, 2025), january)) == "exp_year:expired_card");
}

TEST_CASE("a 2-digit year means 20YY") {
  CHECK(validate_card(card("4242424242424242", "123", 6, 25), kToday).valid);
  CHECK(validate_card(card("4242424242424242", "123", 1, 30), kToday).valid);
  CHECK(codes(validate_card(card("4242424242424242", "123", 5, 25), kToday)) == "exp_month:expired_card");
  CHECK(codes(validate_card(card("4242424242424242", "123", 12, 24), kToday)) == "exp_year:expired_card");
  CHECK(codes(validate_card(card("4242424242424242", "123", 12, 0), kToday)) == "exp_year:expired_card");
  CHECK(codes(validate_card(card("4242424242424242", "123", 12, 99), kToday)) == "exp_year:invalid_expiry_year");
}

TEST_CASE("months outside 1 to 12 and absurd years are refused") {
  for (int month : {0, 13, -1, 100}) {
    CAPTURE(month);
    CHECK(codes(validate_card(card("4242424242424242", "123", month, 2030), kToday)) ==
          "exp_month:invalid_expiry_month");
  }
  CHECK(validate_card(card("4242424242424242", "123", 12, 2045), kToday).valid);
  for (int year : {2046, 20300, -1, 100, 999, 2147483647}) {
    CAPTURE(year);
    CHECK(codes(validate_card(card("4242424242424242", "123", 12, year), kToday)) ==
          "exp_year:invalid_expiry_year");
  }
}

TEST_CASE("the CVC is 4 digits for American Express and 3 for the other brands") {
  CHECK(validate_card(card("378282246310005", "1234"), kToday).valid);
  CHECK(codes(validate_card(card("378282246310005", "123"), kToday)) == "cvc:invalid_cvc");
  CHECK(codes(validate_card(card("378282246310005", "12345"), kToday)) == "cvc:invalid_cvc");
  for (const char* pan : {"4242424242424242", "5555555555554444", "6011111111111117", "3056930009020004",
                          "3566002020360505", "6200000000000005"}) {
    CAPTURE(pan);
    CHECK(validate_card(card(pan, "123"), kToday).valid);
    CHECK(codes(validate_card(card(pan, "1234"), kToday)) == "cvc:invalid_cvc");
    CHECK(codes(validate_card(card(pan, "12"), kToday)) == "cvc:invalid_cvc");
  }
  CHECK(codes(validate_card(card("4242424242424242", "12a"), kToday)) == "cvc:invalid_cvc");
  CHECK(codes(validate_card(card("4242424242424242", " 123"), kToday)) == "cvc:invalid_cvc");
  CHECK(codes(validate_card(card("4242424242424242", ""), kToday)) == "cvc:invalid_cvc");
}

TEST_CASE("with an unrecognised number a CVC of 3 or 4 digits is not blamed") {
  CHECK(codes(validate_card(card("1234", "123"), kToday)) == "number:invalid_number");
  CHECK(codes(validate_card(card("1234", "1234"), kToday)) == "number:invalid_number");
  CHECK(codes(validate_card(card("1234", "12"), kToday)) == "number:invalid_number cvc:invalid_cvc");
}

TEST_CASE("several problems are reported at once with one error per field") {
  const CardCheck all = validate_card({"4242424242424241", 13, 2019, "1"}, kToday);
  CHECK_FALSE(all.valid);
  CHECK(codes(all) ==
        "number:incorrect_number exp_month:invalid_expiry_month exp_year:expired_card cvc:invalid_cvc");
  for (const FieldError& e : all.errors) CHECK_FALSE(e.message.empty());

  const CardCheck two = validate_card({"4242424242424242", 5, 2025, "12"}, kToday);
  CHECK(codes(two) == "exp_month:expired_card cvc:invalid_cvc");
}

TEST_CASE("error messages never repeat the number or the CVC") {
  const std::vector<CardInput> inputs = {
      {"4242424242424241", 13, 2019, "987"},  {"4242 4242 4242 424x", 1, 2030, "9876"},
      {"42424242424242424", 5, 2025, "98"},   {"378282246310005", 12, 2030, "987"},
      {"9999999999999995", 12, 2030, "98765"}, {"4242424242424242", 0, 9999, "98a"},
  };
  for (const auto& input : inputs) {
    CAPTURE(input.number);
    const CardCheck check = validate_card(input, kToday);
    REQUIRE_FALSE(check.errors.empty());
    std::string digits;
    for (char c : input.number) {
      if (c >= '0' && c <= '9') digits.push_back(c);
    }
    for (const auto& e : check.errors) {
      CHECK(e.message.find(input.number) == std::string::npos);
      CHECK(e.message.find(digits) == std::string::npos);
      CHECK(e.message.find(input.cvc) == std::string::npos);
    }
  }
}

TEST_CASE("current_year_month reads a plausible UTC month from the system clock") {
  const YearMonth now = payments::current_year_month();
  CHECK(now.year >= 2025);
  CHECK(now.year < 2200);
  CHECK(now.month >= 1);
  CHECK(now.month <= 12);
}
