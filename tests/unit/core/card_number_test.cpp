#include <doctest/doctest.h>

#include "payments/core/card_number.hpp"

using payments::contains_card_number;
using payments::luhn_valid;

TEST_CASE("Luhn accepts Stripe's test card numbers and rejects a changed digit") {
  for (const char* pan : {"4242424242424242", "5555555555554444", "4000000000000002", "4000002760003184",
                          "378282246310005", "6011111111111117", "3056930009020004", "3566002020360505",
                          "6200000000000005", "2223003122003222"}) {
    CAPTURE(pan);
    CHECK(luhn_valid(pan));
  }
  CHECK_FALSE(luhn_valid("4242424242424241"));
  CHECK_FALSE(luhn_valid(""));
  CHECK_FALSE(luhn_valid("4242x42424242424"));
}

TEST_CASE("a card number is found however it is written inside text") {
  CHECK(contains_card_number("4242424242424242"));
  CHECK(contains_card_number("card: 4242 4242 4242 4242, thanks"));
  CHECK(contains_card_number("4242-4242-4242-4242"));
  CHECK(contains_card_number("x378282246310005y"));
}

TEST_CASE("any short run of separators between the digit groups still makes a card number") {
  for (const char* text : {"4242.4242.4242.4242", "4242/4242/4242/4242", "4242_4242_4242_4242",
                           "4242 - 4242 - 4242 - 4242", "4242  4242\t4242.-/4242", "3782-822463-10005",
                           "card 4242. 4242 /4242-4242 end"}) {
    CAPTURE(text);
    CHECK(contains_card_number(text));
  }
  // A longer gap ends the number: two halves are no card.
  CHECK_FALSE(contains_card_number("4242    4242 4242 4242"));
  CHECK_FALSE(contains_card_number("4242 4242 - - - 4242 4242"));
  // Separators that lead nowhere leave the number before them as it was.
  CHECK(contains_card_number("4242 4242 4242 4242 -"));
}

TEST_CASE("ordinary ids and numbers are not mistaken for cards") {
  CHECK_FALSE(contains_card_number("pm_card_visa"));
  CHECK_FALSE(contains_card_number("order-12345"));
  CHECK_FALSE(contains_card_number("4242424242424241"));      // fails Luhn
  CHECK_FALSE(contains_card_number("1234567890123452"));      // starts like no card brand
  CHECK_FALSE(contains_card_number("42424242424242424242"));  // 20 digits: longer than any card
  CHECK_FALSE(contains_card_number("+14155550123"));
  CHECK_FALSE(contains_card_number("2026-11-22T10:00:00Z"));
}
