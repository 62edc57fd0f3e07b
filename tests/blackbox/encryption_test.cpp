// Sensitive columns at rest: unreadable in the database, correct through the API and towards Stripe, the
// migration step that encrypts rows written in clear, and key rotation with `payments-admin rotate-data-key`.
#include <doctest/doctest.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "support/stack.hpp"
#include "support/test_keys.hpp"

using namespace payments::testing;
using namespace std::chrono_literals;

namespace {

constexpr const char* kCustomer = "cus_Secret4821";
constexpr const char* kDescription = "Birthday cake for Alice Liddell";
constexpr const char* kPhone = "+14155550199";

std::string create(Stack& stack, bool with_otp) {
  std::string body = std::string(R"({"order_id":"enc-order","amount":2500,"currency":"usd",)") +
                     R"("payment_method":"pm_card_visa","customer_id":")" + kCustomer + R"(","description":")" +
                     kDescription + R"(")";
  if (with_otp) body += std::string(R"(,"otp":{"channel":"sms","destination":")") + kPhone + R"("})";
  auto r = stack.post_payment(body + "}");
  REQUIRE(r.status == 202);
  return json_field(r.body, "payment_id");
}

struct StoredValues {
  std::string customer_id;
  std::string description;
  std::string request_json;
};

StoredValues raw_select(Stack& stack, const std::string& id) {
  StoredValues v;
  stack.sql([&](soci::session& sql) {
    sql << "SELECT customer_id, description, request_json FROM payments WHERE id = :id", soci::use(id),
        soci::into(v.customer_id), soci::into(v.description), soci::into(v.request_json);
  });
  return v;
}

// Every value sealed under `key_id`, none holding a sensitive text in clear.
void check_sealed(const StoredValues& v, const std::string& key_id) {
  for (const auto* value : {&v.customer_id, &v.description, &v.request_json}) {
    CHECK_MESSAGE(value->rfind("enc:v1:" + key_id + ":", 0) == 0, *value);
    for (const char* secret : {kCustomer, kDescription, kPhone, "Alice", "destination", "customer"}) {
      CHECK_MESSAGE(value->find(secret) == std::string::npos, *value);
    }
  }
}

void check_api_shows(Stack& stack, const std::string& id) {
  auto payment = stack.get("/api/v1/payments/" + id);
  REQUIRE(payment.status == 200);
  CHECK(json_field(payment.body, "customer_id") == kCustomer);
  CHECK(json_field(payment.body, "description") == kDescription);
}

}  // namespace

TEST_CASE("the customer id, description and OTP destination are unreadable in a raw SELECT, yet correct through "
          "the API, on payment-otp and at Stripe") {
  Stack stack;
  const auto id = create(stack, true);
  REQUIRE(stack.wait_for_status(id, 30s, [](const std::string& s) { return s != "pending"; }) == "otp_required");

  check_sealed(raw_select(stack, id), "t1");
  check_api_shows(stack, id);
  // Masked where it was masked before; in clear only on payment-otp, for the notification service.
  CHECK(json_field(stack.get("/api/v1/payments/" + id + "/status").body, "otp.destination") == "+1******0199");
  bool sent = false;
  std::string code;
  for (const auto& m : stack.read_topic(stack.topics().otp, 1)) {
    if (m.key != id) continue;
    sent = json_field(m.value, "destination") == kPhone;
    code = json_field(m.value, "code");
  }
  CHECK(sent);

  // The worker opens the request to charge: Stripe gets the description and the customer in clear.
  REQUIRE(stack.post("/api/v1/payments/" + id + "/otp/verify", R"({"code":")" + code + R"("})").status == 202);
  CHECK(stack.wait_for_status(id) == "succeeded");
  const auto intent_id = json_field(stack.get("/api/v1/payments/" + id).body, "stripe_payment_intent_id");
  REQUIRE_FALSE(intent_id.empty());
  const auto intent = stack.sim("GET", "/v1/payment_intents/" + intent_id, {},
                                {{"Authorization", "Bearer sk_test_blackbox"}});
  REQUIRE(intent.status == 200);
  CHECK(json_field(intent.body, "description") == kDescription);
  CHECK(json_field(intent.body, "customer") == kCustomer);
  check_api_shows(stack, id);

  // A sealed value is bound to its row: copied onto another payment it does not open, and the API shows
  // neither the other payment's customer nor anything false.
  const auto other = create(stack, false);
  CHECK(stack.wait_for_status(other) == "succeeded");
  stack.sql([&](soci::session& sql) {
    sql << "UPDATE payments SET customer_id = (SELECT customer_id FROM (SELECT customer_id FROM payments WHERE id = :a) "
           "AS x) WHERE id = :b",
        soci::use(id), soci::use(other);
  });
  auto moved = stack.get("/api/v1/payments/" + other);
  CHECK(moved.status >= 500);
  CHECK(moved.body.find(kCustomer) == std::string::npos);
  check_api_shows(stack, id);
}

TEST_CASE("rotate-data-key re-encrypts every value under the new key id, and the API still answers") {
  // The services know both keys (t1 current); rotation makes t2 current for what is stored.
  StackOptions options;
  options.api_env = {{"DATA_ENCRYPTION_KEY", kTestDataKey1 + "," + kTestDataKey2},
                     {"OTP_RESEND_COOLDOWN_SECONDS", "0"}};
  options.worker_env = options.api_env;
  Stack stack(options);
  const auto first = create(stack, false);
  const auto second = create(stack, true);
  CHECK(stack.wait_for_status(first) == "succeeded");
  REQUIRE(stack.wait_for_status(second, 30s, [](const std::string& s) { return s != "pending"; }) == "otp_required");
  check_sealed(raw_select(stack, first), "t1");

  // Without the old key, nothing can be re-encrypted: one line naming the key id and the variable.
  auto refused = stack.run_admin({"rotate-data-key"}, {{"DATA_ENCRYPTION_KEY", kTestDataKey2}});
  CHECK(refused.exit_code != 0);
  CHECK(refused.output.find("key id t1, which DATA_ENCRYPTION_KEY does not hold") != std::string::npos);
  CHECK(refused.output.find(kTestDataKey1.substr(3, 12)) == std::string::npos);
  CHECK(refused.output.find(kTestDataKey2.substr(3, 12)) == std::string::npos);
  check_sealed(raw_select(stack, first), "t1");

  auto rotated = stack.run_admin({"rotate-data-key"}, {{"DATA_ENCRYPTION_KEY", kTestDataKey2 + "," + kTestDataKey1}});
  REQUIRE_MESSAGE(rotated.exit_code == 0, rotated.output);
  // Two payments, three encrypted columns each.
  CHECK_MESSAGE(rotated.output.find("6 values re-encrypted under key id t2") != std::string::npos, rotated.output);
  check_sealed(raw_select(stack, first), "t2");
  check_sealed(raw_select(stack, second), "t2");
  check_api_shows(stack, first);
  check_api_shows(stack, second);
  CHECK(json_field(stack.get("/api/v1/payments/" + second + "/status").body, "otp.destination") == "+1******0199");

  // Run again (as after an interruption): nothing is left to do.
  auto again = stack.run_admin({"rotate-data-key"}, {{"DATA_ENCRYPTION_KEY", kTestDataKey2 + "," + kTestDataKey1}});
  REQUIRE_MESSAGE(again.exit_code == 0, again.output);
  CHECK_MESSAGE(again.output.find("0 values re-encrypted under key id t2") != std::string::npos, again.output);

  // The worker still opens the request it needs: a resend goes to the destination stored under t2.
  REQUIRE(stack.post("/api/v1/payments/" + second + "/otp", "{}").status == 202);
  int sent_to_phone = 0;
  for (const auto& m : stack.read_topic(stack.topics().otp, 2)) {
    if (m.key == second && json_field(m.value, "destination") == kPhone) ++sent_to_phone;
  }
  CHECK(sent_to_phone == 2);
}

TEST_CASE("migrate encrypts values written in clear before V006, once, and refuses without DATA_ENCRYPTION_KEY") {
  Stack stack;
  // A payment as a version before V006 wrote it, and the step not yet recorded.
  const std::string id = "pay_written_in_clear";
  const std::string request = std::string(R"({"order_id":"old","amount":700,"currency":"usd",)") +
                              R"("payment_method":"pm_card_visa","customer_id":")" + kCustomer +
                              R"(","description":")" + kDescription + R"("})";
  const std::string merchant = stack.merchant();
  const std::string customer = kCustomer;
  const std::string description = kDescription;
  stack.sql([&](soci::session& sql) {
    sql << "INSERT INTO payments (id, merchant_id, order_id, amount, currency, payment_method, customer_id,"
           " description, request_json, status, request_hash, created_at, updated_at) VALUES (:id, :m, 'old', 700,"
           " 'usd', 'pm_card_visa', :c, :d, :r, 'failed', REPEAT('a', 64), UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))",
        soci::use(id), soci::use(merchant), soci::use(customer), soci::use(description), soci::use(request);
    sql << "DELETE FROM schema_data_steps";
  });
  CHECK(stack.get("/api/v1/payments/" + id).status >= 500);  // fail closed: a value in clear is not served

  const std::string dir = source_dir() + "/schemas/mysql";
  auto refused = stack.run_admin({"migrate", "--dir", dir}, {{"DATA_ENCRYPTION_KEY", ""},
                                                            {"MYSQL_ADMIN_USER", env_or("MYSQL_ADMIN_USER", "root")},
                                                            {"MYSQL_ADMIN_PASSWORD", env_or("MYSQL_ADMIN_PASSWORD", "")}});
  CHECK(refused.exit_code != 0);
  CHECK_MESSAGE(refused.output.find("DATA_ENCRYPTION_KEY is required: migration V006 encrypts") != std::string::npos,
                refused.output);
  CHECK(raw_select(stack, id).customer_id == kCustomer);

  const std::map<std::string, std::string> admin{{"MYSQL_ADMIN_USER", env_or("MYSQL_ADMIN_USER", "root")},
                                                 {"MYSQL_ADMIN_PASSWORD", env_or("MYSQL_ADMIN_PASSWORD", "")}};
  auto migrated = stack.run_admin({"migrate", "--dir", dir}, admin);
  REQUIRE_MESSAGE(migrated.exit_code == 0, migrated.output);
  CHECK_MESSAGE(migrated.output.find("V006 encrypt payment columns: 3 values encrypted") != std::string::npos,
                migrated.output);
  check_sealed(raw_select(stack, id), "t1");
  check_api_shows(stack, id);

  // Recorded: a second run does nothing more, even without the key.
  auto again = stack.run_admin({"migrate", "--dir", dir}, {{"DATA_ENCRYPTION_KEY", ""},
                                                          {"MYSQL_ADMIN_USER", env_or("MYSQL_ADMIN_USER", "root")},
                                                          {"MYSQL_ADMIN_PASSWORD", env_or("MYSQL_ADMIN_PASSWORD", "")}});
  REQUIRE_MESSAGE(again.exit_code == 0, again.output);
  CHECK(again.output.find("values encrypted") == std::string::npos);
}

TEST_CASE("the API and the worker refuse to start without a valid DATA_ENCRYPTION_KEY, in one line naming it") {
  StackOptions options;
  options.start_worker = false;
  Stack stack(options);
  const std::string key_material = kTestDataKey1.substr(3, 16);
  for (const std::string& bad : {std::string(), std::string("t1:c2hvcnQ="), kTestDataKey1.substr(3)}) {
    for (const char* binary_path : {"apps/api/payments-api", "apps/worker/payments-worker"}) {
      auto env = stack.service_env();
      env["DATA_ENCRYPTION_KEY"] = bad;
      const auto log = stack.log_path("refused.log");
      ChildProcess refused(binary(binary_path), {}, env, log);
      CHECK_MESSAGE(refused.wait_exit(30s) != 0, binary_path);
      const auto output = refused.output();
      CHECK_MESSAGE(output.find("DATA_ENCRYPTION_KEY") != std::string::npos, output);
      CHECK(output.find(key_material) == std::string::npos);
      std::filesystem::remove(log);
    }
  }
}
