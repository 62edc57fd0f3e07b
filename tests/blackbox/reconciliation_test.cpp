// Reconciliation, end to end: outcomes nobody reports are found and resolved by asking Stripe, with the
// webhooks off so that nothing else can resolve them.
#include <doctest/doctest.h>

#include <thread>

#include "payments/core/stripe_keys.hpp"
#include "payments/events/commands.hpp"
#include "payments/store/payment_repository.hpp"
#include "payments/store/refund_repository.hpp"
#include "support/stack.hpp"
#include "support/test_keys.hpp"

using namespace payments::testing;
using namespace std::chrono_literals;

namespace {

// Reconciliation every second, for anything unsettled for two seconds; Stripe calls given up quickly.
StackOptions reconciling() {
  StackOptions options;
  options.sim_webhooks = false;
  options.worker_env = {{"RECONCILE_INTERVAL_SECONDS", "1"},
                        {"RECONCILE_UNSETTLED_AFTER_SECONDS", "2"},
                        {"STRIPE_TIMEOUT_SECONDS", "2"},
                        {"STRIPE_RETRY_DEADLINE_SECONDS", "1"}};
  return options;
}

void set_faults(Stack& stack, const std::string& faults) {
  auto r = stack.sim("POST", "/_sim/faults", faults);
  REQUIRE_MESSAGE(r.status == 200, r.body);
}

std::size_t success_events_for(Stack& stack, const std::string& payment_id) {
  std::size_t n = 0;
  for (const auto& m : stack.read_topic(stack.topics().success, 2, 3s)) if (m.key == payment_id) ++n;
  return n;
}

// The API's first write for a request, made here as the API makes it, standing for an API that crashed
// right after it: the command never reaches Kafka.
void record_without_publishing(Stack& stack, const std::string& payment_id, const std::string& body) {
  auto request = payments::events::parse_payment_request(body);
  REQUIRE(request);
  auto db = payments::store::Database::connect(
      {.mysql = mysql_admin(stack.database()), .pool_size = 1, .data_cipher = test_data_cipher()});
  REQUIRE(db);
  payments::store::PaymentRepository payments(*db.value());
  auto created = payments.create(
      payments::store::pending_payment(payment_id, stack.merchant(), request.value(),
                                       payments::events::payment_request_json(request.value()),
                                       payments::events::request_fingerprint(request.value())),
      std::nullopt);
  REQUIRE(created);
  REQUIRE(created->outcome == payments::store::CreateOutcome::created);
}

}  // namespace

TEST_CASE("a charge whose answer never came is resolved by reconciliation to succeeded, with one charge") {
  Stack stack(reconciling());
  // Stripe performs the charge, but the answer is lost...
  set_faults(stack, R"({"timeout_rate":1})");
  auto r = stack.post_payment(R"({"order_id":"lost-answer","amount":1800,"currency":"usd","payment_method":"pm_card_visa"})");
  REQUIRE(r.status == 202);
  const auto id = json_field(r.body, "payment_id");
  for (int i = 0; i < 100 && stack.charges_for(id) == 0; ++i) std::this_thread::sleep_for(100ms);
  REQUIRE(stack.charges_for(id) == 1);
  // ...and Stripe keeps failing until the worker gives up: the outcome is unknown.
  set_faults(stack, R"({"timeout_rate":0,"fail_rate":1})");
  std::this_thread::sleep_for(6s);
  CHECK(json_field(stack.get("/api/v1/payments/" + id + "/status").body, "status") == "processing");

  set_faults(stack, R"({"fail_rate":0})");
  CHECK(stack.wait_for_status(id, 60s) == "succeeded");
  CHECK(stack.charges_for(id) == 1);
  CHECK(success_events_for(stack, id) == 1);
}

TEST_CASE("a pending payment whose command never reached Kafka is published again and processed") {
  Stack stack(reconciling());
  const std::string id = "pay_never_queued_" + unique_name("p").substr(2);
  record_without_publishing(stack, id,
                            R"({"order_id":"never-queued","amount":990,"currency":"usd","payment_method":"pm_card_visa"})");
  CHECK(json_field(stack.get("/api/v1/payments/" + id + "/status").body, "status") == "pending");

  CHECK(stack.wait_for_status(id, 60s) == "succeeded");
  CHECK(stack.charges_for(id) == 1);
  CHECK(success_events_for(stack, id) == 1);
}

TEST_CASE("a refund whose command never reached Kafka is published again and refunded once") {
  Stack stack(reconciling());
  auto r = stack.post_payment(R"({"order_id":"refund-never-queued","amount":1200,"currency":"usd","payment_method":"pm_card_visa"})");
  REQUIRE(r.status == 202);
  const auto id = json_field(r.body, "payment_id");
  REQUIRE(stack.wait_for_status(id) == "succeeded");

  auto db = payments::store::Database::connect(
      {.mysql = mysql_admin(stack.database()), .pool_size = 1, .data_cipher = test_data_cipher()});
  REQUIRE(db);
  payments::store::RefundRepository refunds(*db.value());
  // As the API records POST /refunds {"amount":700} before publishing its command.
  const payments::RefundCommandData data{"ref_never_queued", 700, std::nullopt};
  payments::store::RefundRecord refund;
  refund.id = data.refund_id;
  refund.payment_id = id;
  refund.merchant_id = stack.merchant();
  refund.requested_amount = data.amount;
  refund.request_hash = payments::events::refund_fingerprint(id, data);
  refund.stripe_idempotency_key =
      payments::refund_idempotency_key({stack.topic_prefix(), stack.merchant()}, id, data.refund_id);
  auto created = refunds.create(refund, std::nullopt);
  REQUIRE(created);
  REQUIRE(created->outcome == payments::store::CreateOutcome::created);

  std::string status;
  for (int i = 0; i < 300; ++i) {
    status = json_field(stack.get("/api/v1/refunds/ref_never_queued").body, "status");
    if (status != "pending") break;
    std::this_thread::sleep_for(100ms);
  }
  CHECK(status == "succeeded");
  CHECK(json_field(stack.get("/api/v1/payments/" + id).body, "amount_refunded") == "700");
  CHECK(stack.refunds_for(id).count == 1);
}
