#include <doctest/doctest.h>

#include "payments/stripe/form_encode.hpp"

using payments::stripe::form_encode;
using payments::stripe::FormFields;
using payments::stripe::percent_encode;

TEST_CASE("unreserved characters pass through and everything else is percent-encoded in upper-case hex") {
  CHECK(percent_encode("AZaz09-._~") == "AZaz09-._~");
  CHECK(percent_encode("a b") == "a%20b");
  CHECK(percent_encode("a+b&c=d") == "a%2Bb%26c%3Dd");
  CHECK(percent_encode("100%") == "100%25");
  CHECK(percent_encode("x/y?z#") == "x%2Fy%3Fz%23");
  CHECK(percent_encode("'quoted'\"") == "%27quoted%27%22");
  CHECK(percent_encode("") == "");
}

TEST_CASE("UTF-8 is encoded byte by byte and control bytes are not lost") {
  CHECK(percent_encode("caf\xc3\xa9") == "caf%C3%A9");
  CHECK(percent_encode(std::string_view("a\0b", 3)) == "a%00b");
  CHECK(percent_encode("line\nbreak") == "line%0Abreak");
}

TEST_CASE("brackets are kept only when asked (keys), never in values") {
  CHECK(percent_encode("metadata[order_id]", true) == "metadata[order_id]");
  CHECK(percent_encode("metadata[order_id]") == "metadata%5Border_id%5D");
}

TEST_CASE("form_encode writes fields in order with nested keys as Stripe reads them") {
  const FormFields fields{{"amount", "1099"},
                          {"currency", "usd"},
                          {"confirm", "true"},
                          {"metadata[order_id]", "ord 1&2"},
                          {"description", "Tea = 2 x 5.49$"}};
  CHECK(form_encode(fields) ==
        "amount=1099&currency=usd&confirm=true&metadata[order_id]=ord%201%262&description=Tea%20%3D%202%20x%205.49%24");
}

TEST_CASE("form_encode of no fields and of empty values") {
  CHECK(form_encode({}) == "");
  CHECK(form_encode({{"a", ""}, {"b", "1"}}) == "a=&b=1");
}

TEST_CASE("keys are encoded too, except their brackets") {
  CHECK(form_encode({{"metadata[a b]", "v"}}) == "metadata[a%20b]=v");
}
