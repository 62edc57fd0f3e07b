// Commands produced straight to Kafka, as order services do.
#include <doctest/doctest.h>

#include "support/stack.hpp"

using namespace payments::testing;
using namespace std::chrono_literals;

namespace {

std::string command(const std::string& command_id, const std::string& payment_id, const std::string& data) {
  return R"({"command_id":")" + command_id + R"(","type":"payment.create","payment_id":")" + payment_id +
         R"(","issued_at":"2026-11-22T10:00:00Z","data":)" + data + "}";
}

std::string data(const std::string& method, long amount = 4200, const std::string& currency = "usd") {
  return R"({"order_id":"order-k","amount":)" + std::to_string(amount) + R"(,"currency":")" + currency +
         R"(","payment_method":")" + method + R"("})";
}

}  // namespace

TEST_CASE("a payment.create produced straight to Kafka is processed like an API one") {
  Stack stack;
  stack.produce_command("order-svc-1", command("5b0a3c1e-0000-4000-8000-000000000001", "order-svc-1", data("pm_card_visa")));
  CHECK(stack.wait_for_status("order-svc-1") == "succeeded");
  auto events = stack.read_topic(stack.topics().success, 1);
  REQUIRE(events.size() == 1);
  CHECK(json_field(events[0].value, "payment_id") == "order-svc-1");
  CHECK(json_field(events[0].value, "order_id") == "order-k");
  CHECK(stack.charges_for("order-svc-1") == 1);
}

TEST_CASE("the same command_id twice, and a redelivered payment, charge once") {
  Stack stack;
  const auto cmd = command("5b0a3c1e-0000-4000-8000-000000000002", "order-dup", data("pm_card_visa"));
  stack.produce_command("order-dup", cmd);
  stack.produce_command("order-dup", cmd);
  // A second command for the same payment with a new command_id and the same data: still one charge.
  stack.produce_command("order-dup", command("5b0a3c1e-0000-4000-8000-000000000003", "order-dup", data("pm_card_visa")));
  CHECK(stack.wait_for_status("order-dup") == "succeeded");
  std::this_thread::sleep_for(2s);
  CHECK(stack.charges_for("order-dup") == 1);
  CHECK(stack.read_topic(stack.topics().success, 1).size() == 1);
}

TEST_CASE("commands that cannot be understood go to the DLQ unchanged and later commands still process") {
  Stack stack;
  const std::vector<std::pair<std::string, std::string>> bad{
      {"k1", "this is not json"},
      {"k2", R"({"command_id":"c2","type":"payment.teleport","payment_id":"p2","data":{}})"},
      {"k3", R"({"command_id":"c3","type":"payment.create","data":{}})"},
      {"k4", R"({"command_id":"c4","type":"payment.create","payment_id":"has spaces","data":{}})"},
  };
  for (const auto& [key, value] : bad) stack.produce_command(key, value);
  stack.produce_command("after-bad", command("5b0a3c1e-0000-4000-8000-000000000004", "after-bad", data("pm_card_visa")));

  CHECK(stack.wait_for_status("after-bad") == "succeeded");
  auto dlq = stack.read_topic(stack.topics().commands_dlq, bad.size());
  REQUIRE(dlq.size() == bad.size());
  std::map<std::string, std::string> by_key;
  for (const auto& m : dlq) {
    by_key[m.key] = m.value;
    CHECK_FALSE(header_of(m, "dlq-reason").empty());
    CHECK(header_of(m, "dlq-original-topic") == stack.topics().commands);
  }
  for (const auto& [key, value] : bad) CHECK(by_key[key] == value);  // unchanged
  // The reason names the problem in the project's own words, never quoting the input.
  for (const auto& m : dlq) {
    CHECK(header_of(m, "dlq-original-bytes") == std::to_string(by_key[m.key].size()));
    if (m.key == "k1") CHECK(header_of(m, "dlq-reason").find("not a JSON object") != std::string::npos);
    if (m.key == "k2") CHECK(header_of(m, "dlq-reason") == "command envelope invalid (type)");
    if (m.key == "k3") CHECK(header_of(m, "dlq-reason").find("payment_id") != std::string::npos);
    if (m.key == "k4") CHECK(header_of(m, "dlq-reason").find("has spaces") == std::string::npos);
  }
}

TEST_CASE("what goes to the DLQ holds no card number and no one-time code, in JSON or not") {
  Stack stack;
  const std::string json_command =
      R"({"command_id":"c5","type":"payment.teleport","payment_id":"p5","data":{"code":"123456",)"
      R"("note":"card 4242 4242 4242 4242","4000056655665556":"x"}})";
  const std::string text_command = R"(garbage "code": "654321" and 5555.5555.5555.4444)";
  stack.produce_command("k5", json_command);
  stack.produce_command("4242424242424242", text_command);
  auto dlq = stack.read_topic(stack.topics().commands_dlq, 2);
  REQUIRE(dlq.size() == 2);
  for (const auto& m : dlq) {
    CAPTURE(m.value);
    for (const char* secret : {"123456", "654321", "4242 4242 4242 4242", "4242424242424242", "4000056655665556",
                               "5555.5555.5555.4444"}) {
      CHECK(m.value.find(secret) == std::string::npos);
      CHECK(m.key.find(secret) == std::string::npos);
      CHECK(header_of(m, "dlq-reason").find(secret) == std::string::npos);
    }
    CHECK(header_of(m, "dlq-reason").find("teleport") == std::string::npos);
    CHECK(m.value.find("[redacted]") != std::string::npos);
    CHECK(header_of(m, "dlq-redacted") == "true");
  }
  std::map<std::string, std::string> by_reason_key;
  for (const auto& m : dlq) by_reason_key[header_of(m, "dlq-original-bytes")] = m.value;
  CHECK(by_reason_key.count(std::to_string(json_command.size())) == 1);
  CHECK(by_reason_key.count(std::to_string(text_command.size())) == 1);
  // Still JSON where it was: the rest of the command stays readable for whoever fixes its producer.
  CHECK(json_field(by_reason_key[std::to_string(json_command.size())], "command_id") == "c5");
  CHECK(stack.logs().find("4242424242424242") == std::string::npos);
  CHECK(stack.logs().find("654321") == std::string::npos);
}

TEST_CASE("a command that parses but is invalid yields payment-failed with validation_error") {
  Stack stack;
  stack.produce_command("bad-amount", command("5b0a3c1e-0000-4000-8000-000000000005", "bad-amount", data("pm_card_visa", -100)));
  stack.produce_command("bad-currency", command("5b0a3c1e-0000-4000-8000-000000000006", "bad-currency", data("pm_card_visa", 1000, "zzz")));
  stack.produce_command("with-card", command("5b0a3c1e-0000-4000-8000-000000000007", "with-card", data("4000000000000002")));
  auto events = stack.read_topic(stack.topics().failed, 3);
  REQUIRE(events.size() == 3);
  std::map<std::string, std::string> by_key;
  for (const auto& e : events) by_key[e.key] = e.value;
  CHECK(json_field(by_key["bad-amount"], "failure.code") == "validation_error");
  CHECK(json_field(by_key["bad-amount"], "failure.message").find("amount") != std::string::npos);
  CHECK(json_field(by_key["bad-amount"], "order_id") == "order-k");
  CHECK(json_field(by_key["bad-currency"], "failure.code") == "validation_error");
  CHECK(json_field(by_key["with-card"], "failure.code") == "raw_card_data");
  CHECK(by_key["with-card"].find("4000000000000002") == std::string::npos);
  CHECK(stack.logs().find("4000000000000002") == std::string::npos);
  CHECK(stack.read_topic(stack.topics().commands_dlq, 0, 1s).empty());
}
