#include <doctest/doctest.h>

#include <soci/soci.h>

#include <filesystem>
#include <fstream>

#include "payments/store/database.hpp"
#include "support/test_env.hpp"

using namespace payments;
using namespace payments::store;

namespace {

// A database of its own for one test, dropped at the end.
class ScratchDatabase {
 public:
  ScratchDatabase() : name_(testing::unique_name("payments_it")) {
    auto admin = Database::connect({.mysql = testing::mysql_admin(""), .pool_size = 1});
    REQUIRE_MESSAGE(admin, (admin ? "" : admin.error().message));
    admin_ = std::move(admin).value();
    REQUIRE(admin_->with_session([&](soci::session& sql) { sql << "CREATE DATABASE `" + name_ + "`"; }));
    auto db = Database::connect({.mysql = testing::mysql_admin(name_), .pool_size = 2});
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

std::filesystem::path schema_dir() { return std::filesystem::path(testing::source_dir()) / "schemas" / "mysql"; }

}  // namespace

TEST_CASE("the project's migrations apply once and a second run applies nothing") {
  ScratchDatabase scratch;
  auto migrations = load_migrations(schema_dir());
  REQUIRE(migrations);
  REQUIRE_FALSE(migrations->empty());

  auto first = migrate(scratch.db(), migrations.value());
  REQUIRE_MESSAGE(first, (first ? "" : first.error().message));
  CHECK(first->applied.size() == migrations->size());

  auto second = migrate(scratch.db(), migrations.value());
  REQUIRE(second);
  CHECK(second->applied.empty());
  CHECK(second->already_applied == migrations->size());
}

TEST_CASE("a migration edited after it was applied is refused by name") {
  ScratchDatabase scratch;
  auto migrations = load_migrations(schema_dir());
  REQUIRE(migrations);
  REQUIRE(migrate(scratch.db(), migrations.value()));

  auto edited = migrations.value();
  edited.front().checksum = std::string(64, '0');
  auto refused = migrate(scratch.db(), edited);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().message.find(edited.front().name) != std::string::npos);
  CHECK(refused.error().message.find("changed after it was applied") != std::string::npos);
}

TEST_CASE("a folder with a stray file is refused") {
  const auto dir = std::filesystem::temp_directory_path() / testing::unique_name("migrations");
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "V001__ok.sql") << "SELECT 1;\n";
  std::ofstream(dir / "notes.txt") << "hello\n";
  auto loaded = load_migrations(dir);
  REQUIRE_FALSE(loaded);
  CHECK(loaded.error().message.find("notes.txt") != std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST_CASE("a payment row written through SOCI reads back with its integer amount intact") {
  ScratchDatabase scratch;
  REQUIRE(migrate(scratch.db(), load_migrations(schema_dir()).value()));
  const long long amount = 99'999'999;
  REQUIRE(scratch.db().with_session([&](soci::session& sql) {
    soci::transaction tx(sql);
    sql << "INSERT INTO payments (id, order_id, amount, currency, payment_method, status, request_hash, request_json,"
           " created_at, updated_at) VALUES ('pay_1', 'order_1', :amount, 'jpy', 'pm_card_visa', 'pending',"
           " REPEAT('a', 64), '{}', NOW(6), NOW(6))",
        soci::use(amount);
    tx.commit();
  }));

  long long read_amount = 0;
  std::string currency;
  std::string status;
  REQUIRE(scratch.db().with_session([&](soci::session& sql) {
    sql << "SELECT amount, currency, status FROM payments WHERE id = 'pay_1'", soci::into(read_amount),
        soci::into(currency), soci::into(status);
  }));
  CHECK(read_amount == amount);
  CHECK(currency == "jpy");
  CHECK(status == "pending");

  // The primary key refuses a second payment with the same id: one payment id, one row.
  auto duplicate = scratch.db().with_session([&](soci::session& sql) {
    sql << "INSERT INTO payments (id, order_id, amount, currency, payment_method, status, request_hash, request_json,"
           " created_at, updated_at) VALUES ('pay_1', 'order_2', 100, 'usd', 'pm_card_visa', 'pending',"
           " REPEAT('b', 64), '{}', NOW(6), NOW(6))";
  });
  REQUIRE_FALSE(duplicate);
  CHECK(duplicate.error().message.find("Duplicate entry") != std::string::npos);
}

TEST_CASE("an unreachable database is reported in one line naming where, without the password") {
  auto settings = testing::mysql_admin("payments");
  settings.port = 1;
  settings.password = Secret("hunter2-secret");
  auto db = Database::connect({.mysql = settings, .pool_size = 1, .connect_timeout = std::chrono::seconds(2)});
  REQUIRE_FALSE(db);
  CHECK(db.error().code == ErrorCode::unavailable);
  CHECK(db.error().message.rfind("MySQL unreachable at " + settings.host + ":1/payments as ", 0) == 0);
  CHECK(db.error().message.find("hunter2") == std::string::npos);
  CHECK(db.error().message.find('\n') == std::string::npos);
}
