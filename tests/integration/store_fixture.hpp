#pragma once
// Scratch MySQL databases for the store's integration tests: one database per test, every migration applied,
// dropped at the end; and the payment rows the tests start from.

#include <doctest/doctest.h>

#include <soci/soci.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "payments/store/database.hpp"
#include "payments/store/payment_repository.hpp"
#include "payments/store/refund_repository.hpp"
#include "support/test_env.hpp"
#include "support/test_keys.hpp"

namespace payments::testing {

using namespace payments::store;

// A database of its own for one test, dropped at the end.
class ScratchDatabase {
 public:
  ScratchDatabase() : name_(testing::unique_name("payments_it")) {
    auto admin = Database::connect({.mysql = testing::mysql_admin(""), .pool_size = 1});
    REQUIRE_MESSAGE(admin, (admin ? "" : admin.error().message));
    admin_ = std::move(admin).value();
    REQUIRE(admin_->with_session([&](soci::session& sql) { sql << "CREATE DATABASE `" + name_ + "`"; }));
    auto db = Database::connect(
        {.mysql = testing::mysql_admin(name_), .pool_size = 2, .data_cipher = testing::test_data_cipher()});
    REQUIRE(db);
    db_ = std::move(db).value();
  }
  ~ScratchDatabase() {
    db_.reset();
    (void)admin_->with_session([&](soci::session& sql) { sql << "DROP DATABASE IF EXISTS `" + name_ + "`"; });
  }
  Database& db() { return *db_; }

 private:
  std::string name_;
  std::unique_ptr<Database> admin_;
  std::unique_ptr<Database> db_;
};

inline std::filesystem::path schema_dir() { return std::filesystem::path(testing::source_dir()) / "schemas" / "mysql"; }

// A scratch database with every migration applied, and the repositories over it.
class Store {
 public:
  Store() {
    auto migrations = load_migrations(schema_dir());
    REQUIRE(migrations);
    auto applied = migrate(scratch_.db(), migrations.value());
    REQUIRE_MESSAGE(applied, (applied ? "" : applied.error().message));
  }
  Database& db() { return scratch_.db(); }

 private:
  ScratchDatabase scratch_;

 public:
  PaymentRepository payments{scratch_.db()};
  RefundRepository refunds{scratch_.db()};
};

// The merchant the store tests' rows belong to, unless a test says otherwise.
inline const std::string kMerchant = "m_store";

inline Money usd(std::int64_t minor) { return Money::parse(minor, "usd").value(); }

inline PaymentRecord payment_row(const std::string& id, std::int64_t amount = 1000) {
  PaymentRecord p{.amount = usd(amount), .amount_refunded = usd(0)};
  p.id = id;
  p.merchant_id = kMerchant;
  p.order_id = "order-" + id;
  p.payment_method = "pm_card_visa";
  p.request_json = R"({"order_id":"order-)" + id + R"(","amount":)" + std::to_string(amount) + "}";
  p.request_hash = std::string(64, 'a');
  p.status = PaymentStatus::pending;
  return p;
}

inline void create_payment(PaymentRepository& payments, const std::string& id, std::int64_t amount = 1000) {
  auto created = payments.create(payment_row(id, amount), std::nullopt);
  REQUIRE_MESSAGE(created, (created ? "" : created.error().message));
  REQUIRE(created->outcome == CreateOutcome::created);
}

inline PaymentRecord read_payment(PaymentRepository& payments, const std::string& id) {
  auto found = payments.find(id);
  REQUIRE_MESSAGE(found, (found ? "" : found.error().message));
  REQUIRE_MESSAGE(found->has_value(), "no payment " << id);
  return *found.value();
}

// Moves the payment from the version it is at, as the worker does.
inline void move_payment(PaymentRepository& payments, const std::string& id, PaymentStatus to,
                         std::optional<std::string> intent = std::nullopt) {
  Transition t;
  t.payment_id = id;
  t.expected_version = read_payment(payments, id).version;
  t.to = to;
  t.stripe_payment_intent_id = std::move(intent);
  auto applied = payments.apply(t);
  REQUIRE_MESSAGE(applied, (applied ? "" : applied.error().message));
  REQUIRE(applied.value());
}

}  // namespace payments::testing
