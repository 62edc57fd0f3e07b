// Refunds, end to end.
#include <doctest/doctest.h>

#include <thread>

#include "support/stack.hpp"

using namespace payments::testing;
using namespace std::chrono_literals;

namespace {

std::string paid_payment(Stack& stack, long amount = 1000, const std::string& method = "pm_card_visa") {
  auto r = stack.post_payment(R"({"order_id":"refund-order","amount":)" + std::to_string(amount) +
                              R"(,"currency":"usd","payment_method":")" + method + R"("})");
  REQUIRE(r.status == 202);
  const auto id = json_field(r.body, "payment_id");
  REQUIRE(stack.wait_for_status(id) == (method == "pm_card_visa" ? "succeeded" : "failed"));
  return id;
}

std::string refund(Stack& stack, const std::string& payment_id, const std::string& body) {
  auto r = stack.post("/api/v1/payments/" + payment_id + "/refunds", body);
  REQUIRE(r.status == 202);
  CHECK(json_field(r.body, "status") == "pending");
  const auto id = json_field(r.body, "refund_id");
  CHECK(stack.get("/api/v1/refunds/" + id).status == 200);  // readable at once
  return id;
}

std::string wait_refund(Stack& stack, const std::string& refund_id) {
  std::string status;
  for (int i = 0; i < 300; ++i) {
    status = json_field(stack.get("/api/v1/refunds/" + refund_id).body, "status");
    if (status != "pending") break;
    std::this_thread::sleep_for(100ms);
  }
  return status;
}

std::string refund_command(const std::string& payment_id, const std::string& refund_id, long amount) {
  return R"({"command_id":")" + refund_id + R"(-cmd","type":"refund.create","payment_id":")" + payment_id +
         R"(","issued_at":"2026-11-22T10:00:00Z","data":{"refund_id":")" + refund_id + R"(","amount":)" +
         std::to_string(amount) + "}}";
}

}  // namespace

TEST_CASE("partial, partial, then an over-refund: the payment is never refunded beyond what was paid") {
  Stack stack;
  const auto pay = paid_payment(stack, 1000);

  const auto first = refund(stack, pay, R"({"amount":300,"reason":"requested_by_customer"})");
  CHECK(wait_refund(stack, first) == "succeeded");
  auto payment = stack.get("/api/v1/payments/" + pay);
  CHECK(json_field(payment.body, "status") == "partially_refunded");
  CHECK(json_field(payment.body, "amount_refunded") == "300");

  const auto second = refund(stack, pay, R"({"amount":500})");
  CHECK(wait_refund(stack, second) == "succeeded");
  const auto over = refund(stack, pay, R"({"amount":300})");
  CHECK(wait_refund(stack, over) == "failed");
  auto rejected = stack.get("/api/v1/refunds/" + over);
  CHECK(json_field(rejected.body, "failure.code") == "amount_exceeds_refundable");
  CHECK(json_field(rejected.body, "failure.message").find("200") != std::string::npos);

  const auto rest = refund(stack, pay, "{}");  // no amount: the rest
  CHECK(wait_refund(stack, rest) == "succeeded");
  CHECK(json_field(stack.get("/api/v1/refunds/" + rest).body, "amount") == "200");
  payment = stack.get("/api/v1/payments/" + pay);
  CHECK(json_field(payment.body, "status") == "refunded");
  CHECK(json_field(payment.body, "amount_refunded") == "1000");

  auto list = stack.get("/api/v1/payments/" + pay + "/refunds");
  CHECK(list.status == 200);
  CHECK(list.body.find(first) != std::string::npos);
  CHECK(list.body.find(over) != std::string::npos);

  const auto sim = stack.refunds_for(pay);
  CHECK(sim.count == 3);
  CHECK(sim.total == 1000);
  CHECK(sim.by_refund_id.count(over) == 0);

  auto events = stack.read_topic(stack.topics().refunded, 4);
  REQUIRE(events.size() == 4);
  int refunded = 0;
  int failed = 0;
  for (const auto& e : events) {
    if (json_field(e.value, "type") == "payment.refunded") ++refunded;
    if (json_field(e.value, "type") == "payment.refund_failed") {
      ++failed;
      CHECK(json_field(e.value, "refund_id") == over);
      CHECK(json_field(e.value, "failure.code") == "amount_exceeds_refundable");
    }
  }
  CHECK(refunded == 3);
  CHECK(failed == 1);
  CHECK(json_field(events.back().value, "amount_refunded") == "1000");
}

TEST_CASE("twenty refund commands for one payment at once never exceed the amount paid") {
  Stack stack;
  const auto pay = paid_payment(stack, 1000);
  for (int i = 0; i < 20; ++i) {
    stack.produce_command(pay, refund_command(pay, "burst-" + std::to_string(i), 100));
  }
  // Redeliveries of a few of them change nothing.
  for (int i = 0; i < 5; ++i) stack.produce_command(pay, refund_command(pay, "burst-" + std::to_string(i), 100));

  auto events = stack.read_topic(stack.topics().refunded, 20, 60s);
  CHECK(events.size() == 20);
  int succeeded = 0;
  for (int i = 0; i < 20; ++i) {
    const auto status = wait_refund(stack, "burst-" + std::to_string(i));
    CHECK((status == "succeeded" || status == "failed"));
    if (status == "succeeded") ++succeeded;
  }
  CHECK(succeeded == 10);
  const auto sim = stack.refunds_for(pay);
  CHECK(sim.total == 1000);
  CHECK(sim.count == 10);
  CHECK(json_field(stack.get("/api/v1/payments/" + pay).body, "amount_refunded") == "1000");
}

TEST_CASE("refunds of a payment that did not succeed, or does not exist, are refused with a reason") {
  Stack stack;
  const auto declined = paid_payment(stack, 1000, "pm_card_visa_chargeDeclined");
  const auto r = refund(stack, declined, R"({"amount":100})");
  CHECK(wait_refund(stack, r) == "failed");
  CHECK(json_field(stack.get("/api/v1/refunds/" + r).body, "failure.code") == "payment_not_refundable");

  CHECK(stack.post("/api/v1/payments/pay_nosuchpayment/refunds", "{}").status == 404);
  CHECK(stack.get("/api/v1/refunds/ref_nosuchrefund").status == 404);
  auto bad = stack.post("/api/v1/payments/" + declined + "/refunds", R"({"amount":-5})");
  CHECK(bad.status == 400);
  CHECK(json_field(bad.body, "error.field") == "amount");
  bad = stack.post("/api/v1/payments/" + declined + "/refunds", R"({"reason":"because"})");
  CHECK(json_field(bad.body, "error.field") == "reason");
}

TEST_CASE("a refund Idempotency-Key returns the same refund and refunds once") {
  Stack stack;
  const auto pay = paid_payment(stack, 1000);
  auto a = stack.post("/api/v1/payments/" + pay + "/refunds", R"({"amount":400})", "refund-key-1");
  auto b = stack.post("/api/v1/payments/" + pay + "/refunds", R"({"amount":400})", "refund-key-1");
  REQUIRE(a.status == 202);
  REQUIRE(b.status == 202);
  CHECK(json_field(a.body, "refund_id") == json_field(b.body, "refund_id"));
  CHECK(stack.post("/api/v1/payments/" + pay + "/refunds", R"({"amount":401})", "refund-key-1").status == 409);
  CHECK(wait_refund(stack, json_field(a.body, "refund_id")) == "succeeded");
  CHECK(stack.refunds_for(pay).count == 1);
}

TEST_CASE("a worker killed during refunds refunds each refund exactly once") {
  Stack stack({.sim_latency_ms = 400});
  std::vector<std::string> payments;
  for (int i = 0; i < 8; ++i) payments.push_back(paid_payment(stack, 1000));
  std::vector<std::string> refunds;
  for (const auto& pay : payments) {
    refunds.push_back(refund(stack, pay, R"({"amount":250})"));
    refunds.push_back(refund(stack, pay, R"({"amount":250})"));
  }
  std::this_thread::sleep_for(500ms);
  stack.kill_worker();
  stack.start_worker();
  for (const auto& r : refunds) CHECK(wait_refund(stack, r) == "succeeded");
  for (const auto& pay : payments) {
    const auto sim = stack.refunds_for(pay);
    CHECK(sim.count == 2);
    CHECK(sim.total == 500);
    CHECK(json_field(stack.get("/api/v1/payments/" + pay).body, "amount_refunded") == "500");
  }
}
