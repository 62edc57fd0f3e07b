#include <doctest/doctest.h>

#include <string>

#include "payments/api/card_validation_endpoint.hpp"
#include "payments/json/json.hpp"

using payments::YearMonth;
using payments::api::validate_card_request;

namespace {

constexpr YearMonth kToday{2025, 6};

payments::http::Response post(std::string body) {
  payments::http::Request request;
  request.method = "POST";
  request.target = "/api/v1/cards/validate";
  request.headers.push_back({"content-type", "application/json"});
  request.body = std::move(body);
  return validate_card_request(request, kToday);
}

rapidjson::Document parsed(const payments::http::Response& response) {
  auto document = payments::json::parse(response.body);
  REQUIRE(document.has_value());
  return std::move(document).value();
}

std::string string_of(const rapidjson::Value& v) { return {v.GetString(), v.GetStringLength()}; }

// The 400 answer's error object, checked to have the contract's shape.
void check_validation_error(const payments::http::Response& response, const std::string& field) {
  CHECK(response.status == 400);
  const auto body = parsed(response);
  REQUIRE(body.HasMember("error"));
  const auto& error = body["error"];
  CHECK(string_of(error["code"]) == "validation_error");
  CHECK_FALSE(string_of(error["message"]).empty());
  if (field.empty()) {
    CHECK_FALSE(error.HasMember("field"));
  } else {
    REQUIRE(error.HasMember("field"));
    CHECK(string_of(error["field"]) == field);
  }
}

}  // namespace

TEST_CASE("a valid card is 200 with brand and last4 and no errors") {
  const auto response =
      post(R"({"number": "4242 4242 4242 4242", "exp_month": 12, "exp_year": 2030, "cvc": "123"})");
  CHECK(response.status == 200);
  CHECK(response.content_type == "application/json");
  CHECK(response.headers.size() == 1);
  CHECK(response.headers.at(0).name == "Cache-Control");
  CHECK(response.headers.at(0).value == "no-store");
  const auto body = parsed(response);
  CHECK(body.MemberCount() == 4);
  CHECK(body["valid"].IsTrue());
  CHECK(string_of(body["brand"]) == "visa");
  CHECK(string_of(body["last4"]) == "4242");
  REQUIRE(body["errors"].IsArray());
  CHECK(body["errors"].Empty());
}

TEST_CASE("an invalid card is still 200 with valid false and every problem listed") {
  const auto response = post(R"({"number": "378282246310006", "exp_month": 13, "exp_year": 24, "cvc": "123"})");
  CHECK(response.status == 200);
  const auto body = parsed(response);
  CHECK(body["valid"].IsFalse());
  CHECK(string_of(body["brand"]) == "amex");
  CHECK(string_of(body["last4"]) == "0006");
  const auto& errors = body["errors"];
  REQUIRE(errors.IsArray());
  REQUIRE(errors.Size() == 4);
  const char* expected[][2] = {{"number", "incorrect_number"},
                               {"exp_month", "invalid_expiry_month"},
                               {"exp_year", "expired_card"},
                               {"cvc", "invalid_cvc"}};
  for (rapidjson::SizeType i = 0; i < errors.Size(); ++i) {
    CAPTURE(i);
    CHECK(errors[i].MemberCount() == 3);
    CHECK(string_of(errors[i]["field"]) == expected[i][0]);
    CHECK(string_of(errors[i]["code"]) == expected[i][1]);
    CHECK_FALSE(string_of(errors[i]["message"]).empty());
  }
}

TEST_CASE("an unrecognisable number answers brand unknown and last4 null") {
  const auto body = parsed(post(R"({"number": "abc", "exp_month": 12, "exp_year": 2030, "cvc": "123"})"));
  CHECK(body["valid"].IsFalse());
  CHECK(string_of(body["brand"]) == "unknown");
  CHECK(body["last4"].IsNull());
  REQUIRE(body["errors"].Size() == 1);
  CHECK(string_of(body["errors"][0]["code"]) == "invalid_number");
}

TEST_CASE("the injected month decides expiry") {
  CHECK(parsed(post(R"({"number": "4242424242424242", "exp_month": 6, "exp_year": 2025, "cvc": "123"})"))["valid"]
            .IsTrue());
  const auto body = parsed(post(R"({"number": "4242424242424242", "exp_month": 5, "exp_year": 25, "cvc": "123"})"));
  CHECK(body["valid"].IsFalse());
  REQUIRE(body["errors"].Size() == 1);
  CHECK(string_of(body["errors"][0]["code"]) == "expired_card");
}

TEST_CASE("wrong types and missing fields are 400 validation_error naming the field") {
  check_validation_error(post(R"({"number": 4242424242424242, "exp_month": 12, "exp_year": 2030, "cvc": "123"})"),
                         "number");
  check_validation_error(post(R"({"number": "4242424242424242", "exp_month": "12", "exp_year": 2030, "cvc": "123"})"),
                         "exp_month");
  check_validation_error(post(R"({"number": "4242424242424242", "exp_month": 12, "exp_year": 2030.5, "cvc": "123"})"),
                         "exp_year");
  check_validation_error(post(R"({"number": "4242424242424242", "exp_month": 12, "exp_year": 2030, "cvc": 123})"),
                         "cvc");
  check_validation_error(post(R"({"number": "4242424242424242", "exp_month": 12, "exp_year": 2030})"), "cvc");
  check_validation_error(post(R"({"number": null, "exp_month": 12, "exp_year": 2030, "cvc": "123"})"), "number");
  check_validation_error(post(R"({"number": ["4242"], "exp_month": 12, "exp_year": 2030, "cvc": "123"})"), "number");
}

TEST_CASE("integers too large for a month or year are answered as invalid expiry, not an error") {
  const auto body = parsed(post(R"({"number": "4242424242424242", "exp_month": 9000000000000000000,
                                    "exp_year": -9000000000000000000, "cvc": "123"})"));
  CHECK(body["valid"].IsFalse());
  REQUIRE(body["errors"].Size() == 2);
  CHECK(string_of(body["errors"][0]["code"]) == "invalid_expiry_month");
  CHECK(string_of(body["errors"][1]["code"]) == "invalid_expiry_year");
}

TEST_CASE("unknown fields are refused") {
  check_validation_error(
      post(R"({"number": "4242424242424242", "exp_month": 12, "exp_year": 2030, "cvc": "123", "name": "A"})"),
      "name");
}

TEST_CASE("a body that is not a JSON object is 400") {
  check_validation_error(post("not json"), "");
  check_validation_error(post(""), "");
  check_validation_error(post(R"(["4242424242424242"])"), "");
  check_validation_error(post(R"({"number": {"a": {"b": 1}}})"), "");
}

TEST_CASE("bodies over 4 KiB are refused with 413 before parsing") {
  const std::string card = R"({"number": "4242424242424242", "exp_month": 12, "exp_year": 2030, "cvc": "123"})";
  const std::string at_limit = card + std::string(4096 - card.size(), ' ');
  CHECK(post(at_limit).status == 200);

  const auto response = post(at_limit + " ");
  CHECK(response.status == 413);
  const auto body = parsed(response);
  CHECK(string_of(body["error"]["code"]) == "payload_too_large");
}

TEST_CASE("no answer ever contains the full number or the CVC") {
  const std::string bodies[] = {
      R"({"number": "4242424242424242", "exp_month": 12, "exp_year": 2030, "cvc": "987"})",
      R"({"number": "4242424242424241", "exp_month": 13, "exp_year": 2019, "cvc": "9876"})",
      R"({"number": "4242-4242-4242-4242", "exp_month": 5, "exp_year": 2025, "cvc": "98x"})",
      R"({"number": "4242424242424242x", "exp_month": 12, "exp_year": 2030, "cvc": "98"})",
      R"({"number": "4242424242424242", "exp_month": "12", "exp_year": 2030, "cvc": "987"})",
      R"({"number": "4242424242424242", "exp_month": 12, "exp_year": 2030, "cvc": 987})",
      R"({"number": "4242424242424242", "exp_month": 12, "exp_year": 2030, "cvc": "987", "4242424242424242": 1})",
      R"({"number": "4242424242424242", "exp_month": 12, "exp_year": 2030, "cvc": "987", "x": "4242424242424242"})",
      R"({"number": "4242424242424242", "exp_month": 12, "exp_year": 2030, "cvc": "987")",
  };
  for (const auto& request_body : bodies) {
    CAPTURE(request_body);
    const auto response = post(request_body);
    CHECK(response.body.find("4242424242424242") == std::string::npos);
    CHECK(response.body.find("424242424242") == std::string::npos);
    CHECK(response.body.find("987") == std::string::npos);
    CHECK(response.body.find("98x") == std::string::npos);
  }
}
