// Bringing the encrypted payment columns to the current key: the V006 step that encrypts values written in
// clear before it, and `payments-admin rotate-data-key`. Both walk the payments in id order, a batch per
// transaction: find the ids with a value not yet of the wanted form (a plain read), lock those rows, seal
// each value again, commit. A row sealed meanwhile by someone else is seen under its lock and left alone, so
// the walk can be interrupted and run again at any point, beside running services.
#include <soci/soci.h>

#include <optional>
#include <string>
#include <vector>

#include "payments/core/log.hpp"
#include "payments/store/database.hpp"

#include "bound_rows.hpp"
#include "migration_lock.hpp"
#include "sealed_columns.hpp"

namespace payments::store {
namespace {

using crypto::DataCipher;

constexpr std::string_view kSealStep = "V006 encrypt payment columns";
constexpr int kStepBatch = 200;

enum class Plaintext { encrypt, refuse };

// A stored value brought under the current key; nullopt when it already is (or is NULL). `plaintext` says
// what to do with a value not of the sealed form: encrypt it (the V006 step, whose job is exactly those; a
// value already of the sealed form is left to rotation), or refuse it (rotation: after V006, a value in
// clear is a fault).
std::optional<std::string> resealed(const DataCipher& cipher, Plaintext plaintext, std::string_view column,
                                    const std::string& payment_id, const std::optional<std::string>& stored) {
  if (!stored || cipher.sealed_under_current(*stored)) return std::nullopt;
  const auto context = detail::payment_value_context(column, payment_id);
  const bool sealed = crypto::looks_sealed(*stored);
  if (plaintext == Plaintext::encrypt) {
    if (sealed) return std::nullopt;
    return cipher.seal(*stored, context);
  }
  if (!sealed) {
    throw detail::SealedValueError("payment " + payment_id + ", column " + std::string(column) +
                                   " is not encrypted: run payments-admin migrate first");
  }
  return cipher.seal(detail::open_payment_value(cipher, column, payment_id, *stored), context);
}

// "a value of the row does not start with `prefix`" (compared byte for byte, whatever the collation).
std::string not_all_start_with(const std::string& prefix) {
  const std::string n = std::to_string(prefix.size());
  std::string out = "(";
  const char* columns[] = {"request_json", "customer_id", "description"};
  for (std::size_t i = 0; i < 3; ++i) {
    if (i > 0) out += " OR ";
    out += "CAST(LEFT(" + std::string(columns[i]) + ", " + n + ") AS BINARY) <> :p" + std::to_string(i);
  }
  return out + ")";
}

// One batch after `after` (moved past it); returns how many values were sealed again, or nullopt when no
// payment is left to look at.
std::optional<long long> reseal_batch(soci::session& sql, const DataCipher& cipher, Plaintext plaintext,
                                      const std::string& prefix, int batch, std::string& after) {
  std::vector<std::string> ids;
  {
    soci::rowset<std::string> rows = (sql.prepare << "SELECT id FROM payments WHERE id > :after AND " +
                                                         not_all_start_with(prefix) + " ORDER BY id LIMIT " +
                                                         std::to_string(batch),
                                      soci::use(after), soci::use(prefix), soci::use(prefix), soci::use(prefix));
    for (const auto& id : rows) ids.push_back(id);
  }
  if (ids.empty()) return std::nullopt;
  after = ids.back();

  long long changed = 0;
  soci::transaction tx(sql);
  detail::BoundValues locked;
  for (const auto& id : ids) locked.add(id);
  struct Row {
    std::string id;
    std::optional<std::string> values[3];
  };
  std::vector<Row> rows;
  locked.query(sql,
               "SELECT id, customer_id, description, request_json FROM payments WHERE id IN (" +
                   detail::placeholders(ids.size(), "?") + ") FOR UPDATE",
               [&](const soci::row& row) {
                 Row r{row.get<std::string>(0), {}};
                 for (std::size_t i = 0; i < 3; ++i) {
                   if (row.get_indicator(i + 1) != soci::i_null) r.values[i] = row.get<std::string>(i + 1);
                 }
                 rows.push_back(std::move(r));
               });
  static constexpr std::string_view kColumns[] = {detail::kCustomerIdColumn, detail::kDescriptionColumn,
                                                  detail::kRequestJsonColumn};
  for (const auto& r : rows) {
    std::optional<std::string> next[3];
    bool any = false;
    for (std::size_t i = 0; i < 3; ++i) {
      next[i] = resealed(cipher, plaintext, kColumns[i], r.id, r.values[i]);
      if (next[i]) {
        ++changed;
        any = true;
      } else {
        next[i] = r.values[i];
      }
    }
    if (!any) continue;
    detail::BoundValues update;
    for (auto& value : next) update.add(std::move(value));
    update.add(r.id);
    update.execute(sql, "UPDATE payments SET customer_id = :v0, description = :v1, request_json = :v2 WHERE id = :v3");
  }
  tx.commit();
  return changed;
}

long long reseal_all(soci::session& sql, const DataCipher& cipher, Plaintext plaintext, const std::string& prefix,
                     int batch) {
  long long changed = 0;
  std::string after;
  while (auto done = reseal_batch(sql, cipher, plaintext, prefix, batch, after)) changed += *done;
  return changed;
}

}  // namespace

Result<DataStepReport> run_data_steps(Database& database, const DataCipher* cipher) {
  DataStepReport report;  // values_encrypted adds up over a retried session: its batches were committed
  std::optional<Error> refusal;
  auto status = database.with_session([&](soci::session& sql) {
    report.applied.clear();
    refusal.reset();
    const detail::MigrationLock lock(sql);
    if (!lock.held()) {
      refusal = detail::MigrationLock::busy();
      return;
    }

    const std::string name(kSealStep);
    int recorded = 0;
    sql << "SELECT COUNT(*) FROM schema_data_steps WHERE name = :n", soci::use(name), soci::into(recorded);
    if (recorded > 0) return;
    const std::string prefix(crypto::kSealedPrefix);
    long long in_clear = 0;
    sql << "SELECT COUNT(*) FROM payments WHERE " + not_all_start_with(prefix), soci::use(prefix), soci::use(prefix),
        soci::use(prefix), soci::into(in_clear);
    if (in_clear > 0 && cipher == nullptr) {
      refusal = Error::validation("DATA_ENCRYPTION_KEY",
                                  "DATA_ENCRYPTION_KEY is required: migration V006 encrypts the customer ids, "
                                  "descriptions and requests of " + std::to_string(in_clear) +
                                      " existing payments");
      return;
    }
    if (in_clear > 0) report.values_encrypted += reseal_all(sql, *cipher, Plaintext::encrypt, prefix, kStepBatch);
    sql << "INSERT INTO schema_data_steps (name, applied_at, values_changed) VALUES (:n, UTC_TIMESTAMP(6), :c)",
        soci::use(name), soci::use(report.values_encrypted);
    report.applied.push_back(name);
    log::info("migration step applied", {{"name", name}, {"values", std::to_string(report.values_encrypted)}});
  });
  if (!status) return std::move(status).error();
  if (refusal) return std::move(*refusal);
  return report;
}

Result<long long> rotate_data_key(Database& database, const DataCipher& cipher, int batch) {
  long long changed = 0;  // adds up over a retried session: its batches were committed
  const std::string prefix = std::string(crypto::kSealedPrefix) + cipher.current_key_id() + ":";
  auto status = database.with_session([&](soci::session& sql) {
    changed += reseal_all(sql, cipher, Plaintext::refuse, prefix, batch);
  });
  if (!status) return std::move(status).error();
  return changed;
}

}  // namespace payments::store
