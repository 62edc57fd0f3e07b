// The encrypted payment columns against the real schema: what a raw read sees, a value moved between rows,
// and rotate_data_key walking the payments in batches.

#include <doctest/doctest.h>

#include <memory>
#include <string>

#include "store_fixture.hpp"

using namespace payments;
using namespace payments::store;
using namespace payments::testing;

namespace {

std::string raw_column(Database& db, const std::string& column, const std::string& id) {
  std::string value;
  REQUIRE(db.with_session([&](soci::session& sql) {
    sql << "SELECT " + column + " FROM payments WHERE id = :id", soci::use(id), soci::into(value);
  }));
  return value;
}

// Another pool on the same database, with another key ring.
std::unique_ptr<Database> with_keys(Database& db, const std::string& setting) {
  auto other =
      Database::connect({.mysql = db.options().mysql, .pool_size = 1, .data_cipher = test_data_cipher(setting)});
  REQUIRE(other);
  return std::move(other).value();
}

}  // namespace

TEST_CASE("a payment's sensitive columns are sealed in the row, bound to it, and open only through the store") {
  Store store;
  PaymentRecord p = payment_row("pay_sealed_1");
  p.customer_id = "cus_sealed";
  p.description = "for the store test";
  REQUIRE(store.payments.create(p, std::nullopt));
  create_payment(store.payments, "pay_sealed_2");

  for (const char* column : {"customer_id", "description", "request_json"}) {
    const auto stored = raw_column(store.db(), column, "pay_sealed_1");
    CHECK(stored.rfind("enc:v1:t1:", 0) == 0);
    CHECK(stored.find("sealed") == std::string::npos);
    CHECK(stored.find("order") == std::string::npos);
  }
  const auto read = read_payment(store.payments, "pay_sealed_1");
  CHECK(read.customer_id == "cus_sealed");
  CHECK(read.description == "for the store test");
  CHECK(read.request_json == p.request_json);

  // pay_1's request copied onto pay_2 does not open there: the read fails, naming the row and the column.
  REQUIRE(store.db().with_session([&](soci::session& sql) {
    const std::string moved = raw_column(store.db(), "request_json", "pay_sealed_1");
    sql << "UPDATE payments SET request_json = :r WHERE id = 'pay_sealed_2'", soci::use(moved);
  }));
  auto refused = store.payments.find("pay_sealed_2");
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == ErrorCode::internal);
  CHECK(refused.error().message.find("payment pay_sealed_2, column request_json") != std::string::npos);
  CHECK(refused.error().message.find("integrity check") != std::string::npos);

  // Without a key ring nothing is read or written.
  auto keyless = Database::connect({.mysql = store.db().options().mysql, .pool_size = 1});
  REQUIRE(keyless);
  PaymentRepository without(*keyless.value());
  auto unread = without.find("pay_sealed_1");
  REQUIRE_FALSE(unread);
  CHECK(unread.error().message.find("DATA_ENCRYPTION_KEY is not configured") != std::string::npos);
  CHECK_FALSE(without.create(payment_row("pay_sealed_3"), std::nullopt));
}

TEST_CASE("rotate_data_key re-encrypts every payment in batches, once, and the old key can then go") {
  Store store;
  for (int i = 0; i < 5; ++i) create_payment(store.payments, "pay_rot_" + std::to_string(i));
  PaymentRecord with_customer = payment_row("pay_rot_c");
  with_customer.customer_id = "cus_rot";
  REQUIRE(store.payments.create(with_customer, std::nullopt));

  auto rotating = with_keys(store.db(), kTestDataKey2 + "," + kTestDataKey1);
  // Five payments with a request only, one with a customer id too; two payments per batch.
  auto rotated = rotate_data_key(*rotating, *test_data_cipher(kTestDataKey2 + "," + kTestDataKey1), 2);
  REQUIRE_MESSAGE(rotated, (rotated ? "" : rotated.error().message));
  CHECK(rotated.value() == 7);
  CHECK(raw_column(store.db(), "request_json", "pay_rot_4").rfind("enc:v1:t2:", 0) == 0);
  CHECK(raw_column(store.db(), "customer_id", "pay_rot_c").rfind("enc:v1:t2:", 0) == 0);
  auto again = rotate_data_key(*rotating, *test_data_cipher(kTestDataKey2 + "," + kTestDataKey1), 2);
  REQUIRE(again);
  CHECK(again.value() == 0);

  auto only_new = with_keys(store.db(), kTestDataKey2);
  PaymentRepository payments(*only_new);
  CHECK(read_payment(payments, "pay_rot_c").customer_id == "cus_rot");
  CHECK(read_payment(payments, "pay_rot_3").request_json == payment_row("pay_rot_3").request_json);
  // The old ring alone no longer opens them.
  CHECK_FALSE(store.payments.find("pay_rot_3"));
}
