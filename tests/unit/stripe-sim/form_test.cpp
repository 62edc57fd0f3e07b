#include <doctest/doctest.h>

#include "form.hpp"

using payments::stripe_sim::FormParams;
using payments::stripe_sim::url_decode;

TEST_CASE("form bodies decode percent escapes, '+' and nested metadata keys") {
  const auto params = FormParams::parse(
      "amount=1000&currency=usd&metadata%5Border_id%5D=ord+42&metadata[note]=a%26b%3Dc&description=caf%C3%A9");
  CHECK(params.get("amount") == "1000");
  CHECK(params.get("description") == "caf\xC3\xA9");
  CHECK_FALSE(params.get("missing"));
  const auto metadata = params.nested("metadata");
  REQUIRE(metadata.size() == 2);
  CHECK(metadata[0] == std::pair<std::string, std::string>{"order_id", "ord 42"});
  CHECK(metadata[1] == std::pair<std::string, std::string>{"note", "a&b=c"});
}

TEST_CASE("a repeated name: get() returns the last value") {
  const auto params = FormParams::parse("a=1&a=2&flag");
  CHECK(params.get("a") == "2");
  CHECK(params.get("flag") == "");
}

TEST_CASE("the fingerprint ignores parameter order but not values") {
  CHECK(FormParams::parse("a=1&b=2").fingerprint() == FormParams::parse("b=2&a=1").fingerprint());
  CHECK(FormParams::parse("a=1&b=2").fingerprint() != FormParams::parse("a=1&b=3").fingerprint());
  CHECK(FormParams::parse("a=1").fingerprint() != FormParams::parse("a=1&b=").fingerprint());
}

TEST_CASE("invalid percent escapes are kept literally") {
  CHECK(url_decode("100%") == "100%");
  CHECK(url_decode("%zz") == "%zz");
  CHECK(url_decode("%41") == "A");
}
