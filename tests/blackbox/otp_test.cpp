// One-time-code step-up, end to end.
#include <doctest/doctest.h>

#include <thread>

#include "support/stack.hpp"

using namespace payments::testing;
using namespace std::chrono_literals;

namespace {

constexpr const char* kPhone = "+14155550123";

std::string create_with_otp(Stack& stack, const std::string& method = "pm_card_visa") {
  auto r = stack.post_payment(R"({"order_id":"otp-order","amount":2500,"currency":"usd","payment_method":")" + method +
                              R"(","otp":{"channel":"sms","destination":")" + kPhone + R"("}})");
  REQUIRE(r.status == 202);
  const auto id = json_field(r.body, "payment_id");
  REQUIRE(stack.wait_for_status(id, 30s, [](const std::string& s) { return s != "pending"; }) == "otp_required");
  return id;
}

// The codes sent for a payment, in the order they were sent.
std::vector<std::string> codes_for(Stack& stack, const std::string& payment_id, std::size_t at_least) {
  std::vector<std::string> codes;
  for (const auto& m : stack.read_topic(stack.topics().otp, at_least)) {
    if (m.key != payment_id) continue;
    CHECK(json_field(m.value, "channel") == "sms");
    CHECK(json_field(m.value, "destination") == kPhone);
    CHECK_FALSE(json_field(m.value, "expires_at").empty());
    codes.push_back(json_field(m.value, "code"));
  }
  return codes;
}

payments::testing::HttpResult verify(Stack& stack, const std::string& id, const std::string& code) {
  return stack.post("/api/v1/payments/" + id + "/otp/verify", R"({"code":")" + code + R"("})");
}

std::string otp_field(Stack& stack, const std::string& id, const std::string& field) {
  return json_field(stack.get("/api/v1/payments/" + id + "/status").body, "otp." + field);
}

// Waits until the challenge reports `result` as its last outcome.
bool wait_result(Stack& stack, const std::string& id, const std::string& result) {
  for (int i = 0; i < 200; ++i) {
    if (otp_field(stack, id, "last_result") == result) return true;
    std::this_thread::sleep_for(100ms);
  }
  return false;
}

std::string wrong(const std::string& code) { return code == "000000" ? "111111" : "000000"; }

// Everything the system wrote that a person or a tool could read: logs and every column of every table.
std::string everything_written(Stack& stack) {
  std::string all = stack.logs();
  stack.sql([&](soci::session& sql) {
    for (const char* table : {"payments", "otp_challenges", "processed_commands", "outbox_events",
                              "idempotency_keys", "refunds"}) {
      soci::rowset<soci::row> rows = (sql.prepare << "SELECT * FROM " << table);
      for (const auto& row : rows) {
        for (std::size_t i = 0; i < row.size(); ++i) {
          if (row.get_indicator(i) == soci::i_null) continue;
          const auto type = row.get_properties(i).get_data_type();
          if (type == soci::dt_string) all += row.get<std::string>(i) + "\n";
        }
      }
    }
  });
  for (const auto& m : stack.read_topic(stack.topics().commands_dlq, 0, 1s)) all += m.value + "\n";
  return all;
}

}  // namespace

TEST_CASE("a payment with an otp object waits for the code, is charged only after it, and never stores it") {
  Stack stack;
  const auto id = create_with_otp(stack);
  CHECK(stack.charges_for(id) == 0);
  CHECK(otp_field(stack, id, "state") == "active");
  CHECK(otp_field(stack, id, "destination") == "+1******0123");
  CHECK(otp_field(stack, id, "attempts_remaining") == "5");

  const auto codes = codes_for(stack, id, 1);
  REQUIRE(codes.size() == 1);
  REQUIRE(codes[0].size() == 6);

  auto accepted = verify(stack, id, codes[0]);
  CHECK(accepted.status == 202);
  CHECK(stack.wait_for_status(id) == "succeeded");
  CHECK(stack.charges_for(id) == 1);
  CHECK(otp_field(stack, id, "state") == "verified");

  const auto written = everything_written(stack);
  CHECK(written.find(codes[0]) == std::string::npos);
}

TEST_CASE("a wrong code costs an attempt, five lock the payment as failed") {
  Stack stack;
  const auto id = create_with_otp(stack);
  const auto code = codes_for(stack, id, 1).at(0);
  CHECK(verify(stack, id, wrong(code)).status == 202);
  CHECK(wait_result(stack, id, "wrong_code"));
  CHECK(otp_field(stack, id, "attempts_remaining") == "4");
  CHECK(stack.get("/api/v1/payments/" + id + "/status").body.find(code) == std::string::npos);

  for (int i = 0; i < 4; ++i) CHECK(verify(stack, id, wrong(code)).status == 202);
  CHECK(stack.wait_for_status(id) == "failed");
  auto status = stack.get("/api/v1/payments/" + id + "/status");
  CHECK(json_field(status.body, "failure.code") == "otp_attempts_exceeded");
  CHECK(otp_field(stack, id, "state") == "locked");
  // Too late for the right code: nothing is charged.
  CHECK(verify(stack, id, code).status == 409);
  CHECK(stack.charges_for(id) == 0);
  auto failed = stack.read_topic(stack.topics().failed, 1);
  REQUIRE(failed.size() == 1);
  CHECK(json_field(failed[0].value, "failure.code") == "otp_attempts_exceeded");
  CHECK(everything_written(stack).find(code) == std::string::npos);
}

TEST_CASE("a code nobody verifies expires and the payment fails without any further command") {
  Stack stack({.worker_env = {{"OTP_TTL_SECONDS", "2"}, {"OTP_RESEND_COOLDOWN_SECONDS", "1"}}});
  const auto id = create_with_otp(stack);
  CHECK(stack.wait_for_status(id, 20s) == "failed");
  CHECK(json_field(stack.get("/api/v1/payments/" + id + "/status").body, "failure.code") == "otp_expired");
  CHECK(otp_field(stack, id, "state") == "expired");
  auto failed = stack.read_topic(stack.topics().failed, 1);
  REQUIRE(failed.size() == 1);
  CHECK(json_field(failed[0].value, "failure.code") == "otp_expired");
  CHECK(stack.charges_for(id) == 0);
}

TEST_CASE("a resend replaces the code, the old one stops working, and resends are throttled") {
  Stack stack({.worker_env = {{"OTP_RESEND_COOLDOWN_SECONDS", "0"}, {"OTP_MAX_RESENDS", "1"}}});
  const auto id = create_with_otp(stack);
  const auto first = codes_for(stack, id, 1).at(0);
  CHECK(stack.post("/api/v1/payments/" + id + "/otp", "").status == 202);
  CHECK(wait_result(stack, id, "resent"));
  const auto codes = codes_for(stack, id, 2);
  REQUIRE(codes.size() == 2);
  const auto second = codes[1];
  CHECK(otp_field(stack, id, "resends_remaining") == "0");

  CHECK(stack.post("/api/v1/payments/" + id + "/otp", "").status == 202);
  CHECK(wait_result(stack, id, "otp_resend_limit"));

  if (first != second) {
    CHECK(verify(stack, id, first).status == 202);
    CHECK(wait_result(stack, id, "wrong_code"));
  }
  CHECK(verify(stack, id, second).status == 202);
  CHECK(stack.wait_for_status(id) == "succeeded");
  CHECK(stack.charges_for(id) == 1);
}

TEST_CASE("the default cooldown refuses an immediate resend, and bad verify requests are refused") {
  Stack stack;
  const auto id = create_with_otp(stack);
  CHECK(stack.post("/api/v1/payments/" + id + "/otp", "").status == 202);
  CHECK(wait_result(stack, id, "otp_resend_too_soon"));
  CHECK(verify(stack, id, "12345").status == 400);
  CHECK(verify(stack, id, "abcdef").status == 400);
  CHECK(stack.post("/api/v1/payments/" + id + "/otp/verify", R"({"code":"123456","extra":1})").status == 400);
  CHECK(stack.post("/api/v1/payments/pay_nosuchpayment/otp/verify", R"({"code":"123456"})").status == 404);

  // A payment that is not waiting for a code says so.
  auto plain = stack.post_payment(R"({"order_id":"o","amount":1000,"currency":"usd","payment_method":"pm_card_visa"})");
  const auto plain_id = json_field(plain.body, "payment_id");
  REQUIRE(stack.wait_for_status(plain_id) == "succeeded");
  auto refused = verify(stack, plain_id, "123456");
  CHECK(refused.status == 409);
  CHECK(json_field(refused.body, "error.code") == "invalid_state");
  CHECK(stack.post("/api/v1/payments/" + plain_id + "/otp", "").status == 409);
}

TEST_CASE("at most N codes an hour go to one destination: the next payment fails and a resend is refused") {
  // The limit is both services' setting: the worker decides, the API answers a resend early.
  StackOptions options;
  options.worker_env = {{"OTP_MAX_CODES_PER_DESTINATION_PER_HOUR", "2"}, {"OTP_RESEND_COOLDOWN_SECONDS", "0"}};
  options.api_env = {{"OTP_MAX_CODES_PER_DESTINATION_PER_HOUR", "2"}};
  Stack stack(options);
  const auto first = create_with_otp(stack);
  const auto second = create_with_otp(stack);
  CHECK(codes_for(stack, first, 2).size() == 1);
  CHECK(codes_for(stack, second, 2).size() == 1);

  // The third code to the same phone would be one too many within the hour: the payment fails, uncharged.
  auto third = stack.post_payment(R"({"order_id":"otp-order-3","amount":2500,"currency":"usd",)"
                                  R"("payment_method":"pm_card_visa","otp":{"channel":"sms","destination":")" +
                                  std::string(kPhone) + R"("}})");
  REQUIRE(third.status == 202);
  const auto third_id = json_field(third.body, "payment_id");
  CHECK(stack.wait_for_status(third_id, 30s, [](const std::string& s) { return s != "pending"; }) == "failed");
  CHECK(json_field(stack.get("/api/v1/payments/" + third_id + "/status").body, "failure.code") == "otp_rate_limited");
  auto failed = stack.read_topic(stack.topics().failed, 1);
  REQUIRE(failed.size() == 1);
  CHECK(json_field(failed[0].value, "payment_id") == third_id);
  CHECK(json_field(failed[0].value, "failure.code") == "otp_rate_limited");
  CHECK(stack.charges_for(third_id) == 0);

  // Another destination has a limit of its own.
  const std::string other_phone = "+14155550199";
  auto other = stack.post_payment(R"({"order_id":"otp-order-4","amount":2500,"currency":"usd",)"
                                  R"("payment_method":"pm_card_visa","otp":{"channel":"sms","destination":")" +
                                  other_phone + R"("}})");
  REQUIRE(other.status == 202);
  const auto other_id = json_field(other.body, "payment_id");
  CHECK(stack.wait_for_status(other_id, 30s, [](const std::string& s) { return s != "pending"; }) == "otp_required");
  int other_codes = 0;
  for (const auto& m : stack.read_topic(stack.topics().otp, 3)) {
    if (m.key != other_id) continue;
    CHECK(json_field(m.value, "destination") == other_phone);
    ++other_codes;
  }
  CHECK(other_codes == 1);

  // A resend for the first payment would be a third code to the phone: the API refuses it up front...
  auto resend = stack.post("/api/v1/payments/" + first + "/otp", "");
  CHECK(resend.status == 429);
  CHECK(json_field(resend.body, "error.code") == "rate_limited");
  CHECK(resend.header("Retry-After"));
  // ...and the worker, which decides for good, refuses one that reaches it straight from Kafka: nothing is
  // sent, the payment keeps waiting with its code.
  stack.produce_command(first, R"({"command_id":"resend-over-limit","type":"payment.otp.send","payment_id":")" + first +
                                   R"(","issued_at":"2026-12-01T10:00:00Z","data":{}})");
  CHECK(wait_result(stack, first, "rate_limited"));
  CHECK(json_field(stack.get("/api/v1/payments/" + first + "/status").body, "status") == "otp_required");
  CHECK(stack.read_topic(stack.topics().otp, 4, 3s).size() == 3);
  const auto codes = codes_for(stack, first, 3);
  REQUIRE(codes.size() == 1);
  CHECK(otp_field(stack, first, "state") == "active");
  // The code it has still works.
  CHECK(verify(stack, first, codes[0]).status == 202);
  CHECK(stack.wait_for_status(first) == "succeeded");
}

TEST_CASE("card validation answers brand and last4 and never keeps the number or the CVC") {
  Stack stack({.start_worker = false});
  auto r = stack.post("/api/v1/cards/validate",
                      R"({"number":"4242 4242 4242 4242","exp_month":12,"exp_year":2031,"cvc":"987"})");
  REQUIRE(r.status == 200);
  CHECK(json_field(r.body, "valid") == "true");
  CHECK(json_field(r.body, "brand") == "visa");
  CHECK(json_field(r.body, "last4") == "4242");
  auto bad = stack.post("/api/v1/cards/validate",
                        R"({"number":"4242424242424241","exp_month":1,"exp_year":2020,"cvc":"1"})");
  REQUIRE(bad.status == 200);
  CHECK(json_field(bad.body, "valid") == "false");
  CHECK(bad.body.find("incorrect_number") != std::string::npos);
  CHECK(bad.body.find("expired_card") != std::string::npos);
  CHECK(bad.body.find("invalid_cvc") != std::string::npos);
  CHECK(bad.body.find("4242424242424241") == std::string::npos);

  const auto written = everything_written(stack);
  for (const char* secret : {"4242 4242 4242 4242", "4242424242424242", "4242424242424241", "987"}) {
    CAPTURE(secret);
    CHECK(written.find(secret) == std::string::npos);
  }
  CHECK(stack.read_topic(stack.topics().commands, 0, 1s).empty());
}
