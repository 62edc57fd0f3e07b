// PaymentRepository's batched work: many commands' first reads in two queries, many new payments (with their
// idempotency keys) in one transaction, many outcomes in one transaction, many events marked published in
// one statement. It exists so that MySQL commits and round trips do not bound throughput.

#include <soci/soci.h>

#include <algorithm>
#include <tuple>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include "payments/store/payment_repository.hpp"
#include "bound_rows.hpp"
#include "rows.hpp"

namespace payments::store {
namespace detail {
namespace {

// Locks the writes' payments, in id order (so two batches cannot deadlock each other), and returns the
// version each is at now. The index is forced so that a young table's statistics cannot turn this into a
// scan that locks every row.
std::unordered_map<std::string, long long> lock_versions(soci::session& sql,
                                                         const std::vector<TransitionWrite>& writes) {
  std::unordered_map<std::string, long long> versions;
  if (writes.empty()) return versions;
  BoundValues ids;
  for (const auto& w : writes) ids.add(w.transition.payment_id);
  ids.query(sql,
            "SELECT id, version FROM payments FORCE INDEX (PRIMARY) WHERE id IN (" + placeholders(writes.size(), "?") +
                ") ORDER BY id FOR UPDATE",
            [&](const soci::row& row) { versions.emplace(row.get<std::string>(0), integer(row, 1)); });
  return versions;
}

using KeyId = std::tuple<std::string, std::string, std::string>;  // (merchant, scope, key)
struct KeyIdHash {
  std::size_t operator()(const KeyId& k) const noexcept {
    const std::hash<std::string> h;
    return (h(std::get<0>(k)) * 31 + h(std::get<1>(k))) * 31 + h(std::get<2>(k));
  }
};

// The idempotency records already stored for the payments' keys. A plain read, as select_key's.
std::unordered_map<KeyId, IdempotencyRecord, KeyIdHash> used_keys(soci::session& sql,
                                                                   const std::vector<NewPayment>& payments) {
  std::unordered_map<KeyId, IdempotencyRecord, KeyIdHash> found;
  BoundValues values;
  std::size_t n = 0;
  for (const auto& p : payments) {
    if (!p.key) continue;
    values.add(p.key->merchant_id);
    values.add(p.key->scope);
    values.add(p.key->key);
    ++n;
  }
  if (n == 0) return found;
  values.query(sql,
               "SELECT merchant_id, scope, idempotency_key, request_hash, resource_id, response_status,"
               " response_body FROM idempotency_keys FORCE INDEX (PRIMARY)"
               " WHERE (merchant_id, scope, idempotency_key) IN (" + placeholders(n, "(?, ?, ?)") + ")",
               [&](const soci::row& row) {
                 IdempotencyRecord r{row.get<std::string>(0), row.get<std::string>(1), row.get<std::string>(2),
                                     row.get<std::string>(3), row.get<std::string>(4),
                                     static_cast<int>(integer(row, 5)), row.get<std::string>(6)};
                 KeyId id{r.merchant_id, r.scope, r.key};
                 found.emplace(std::move(id), std::move(r));
               });
  return found;
}

bool allowed(const TransitionWrite& w) {
  return w.from.id == w.transition.payment_id && w.from.version == w.transition.expected_version &&
         can_transition(w.from.status, w.transition.to);
}

}  // namespace
}  // namespace detail

using namespace detail;

std::vector<Result<bool>> PaymentRepository::apply_all(const std::vector<TransitionWrite>& writes) {
  std::vector<char> applied(writes.size(), 0);
  bool consistent = true;
  auto status = database_.with_session([&](soci::session& sql) {
    std::fill(applied.begin(), applied.end(), 0);  // a deadlock re-runs this from the start
    consistent = true;
    soci::transaction tx(sql);
    const auto versions = lock_versions(sql, writes);
    std::vector<StatusWrite> holding;
    std::vector<const OutboxEvent*> events;
    std::vector<const ProcessedCommand*> commands;
    std::unordered_set<std::string_view> written;  // a second write to one payment in a batch has raced
    for (std::size_t i = 0; i < writes.size(); ++i) {
      const TransitionWrite& w = writes[i];
      const auto at = versions.find(w.transition.payment_id);
      if (!allowed(w) || at == versions.end() || at->second != w.from.version) continue;
      if (!written.insert(w.transition.payment_id).second) continue;
      applied[i] = 1;
      holding.emplace_back(&w.from, &w.transition);
      if (w.transition.event) events.push_back(&*w.transition.event);
      if (w.command) commands.push_back(&*w.command);
    }
    if (update_statuses(sql, holding) != static_cast<long long>(holding.size())) {
      consistent = false;  // cannot happen with the rows locked; rolled back and written one by one below
      return;
    }
    insert_events(sql, events);
    insert_commands(sql, commands);
    tx.commit();
  });

  std::vector<Result<bool>> results;
  results.reserve(writes.size());
  if (status && consistent) {
    for (const char a : applied) results.emplace_back(a != 0);
    return results;
  }
  // One by one instead when a statement failed (one bad write must not hold back the rest of its batch) or
  // the batch did not add up; the same error for all when MySQL itself is unavailable.
  const bool one_by_one = status ? true : status.error().code == ErrorCode::internal && writes.size() > 1;
  for (const auto& w : writes) {
    results.push_back(one_by_one ? apply_from(w.from, w.transition, w.command) : Result<bool>(status.error()));
  }
  return results;
}

Status PaymentRepository::mark_published(const std::vector<std::string>& event_ids) {
  if (event_ids.empty()) return Ok{};
  return database_.with_session([&](soci::session& sql) {
    BoundValues values;
    for (const auto& id : event_ids) values.add(id);
    values.execute(sql, "UPDATE outbox_events SET published_at = UTC_TIMESTAMP(6) WHERE published_at IS NULL"
                        " AND event_id IN (" + placeholders(event_ids.size(), "?") + ")");
  });
}

Result<std::vector<CommandLookup>> PaymentRepository::lookup_all(
    const std::vector<std::pair<std::string, std::string>>& commands) {
  std::vector<CommandLookup> out;
  auto status = database_.with_session([&](soci::session& sql) {
    out.assign(commands.size(), CommandLookup{});
    std::unordered_set<std::string> processed;
    std::unordered_map<std::string, PaymentRecord> payments;
    BoundValues command_ids;
    BoundValues payment_ids;
    for (const auto& [command_id, payment_id] : commands) {
      command_ids.add(command_id);
      payment_ids.add(payment_id);
    }
    command_ids.query(sql, "SELECT command_id FROM processed_commands WHERE command_id IN (" +
                               placeholders(commands.size(), "?") + ")",
                      [&](const soci::row& row) { processed.insert(row.get<std::string>(0)); });
    payment_ids.query(sql, std::string("SELECT ") + kPaymentColumns + " FROM payments WHERE id IN (" +
                               placeholders(commands.size(), "?") + ")",
                      [&](const soci::row& row) {
                        PaymentRecord p = to_record(row, database_.data_cipher());
                        std::string id = p.id;
                        payments.emplace(std::move(id), std::move(p));
                      });
    for (std::size_t i = 0; i < commands.size(); ++i) {
      out[i].processed = processed.contains(commands[i].first);
      if (auto it = payments.find(commands[i].second); it != payments.end()) out[i].payment = it->second;
    }
  });
  if (!status) return std::move(status).error();
  return out;
}

std::vector<Result<CreateResult>> PaymentRepository::create_all(const std::vector<NewPayment>& payments) {
  if (payments.size() == 1) return {create(payments.front().payment, payments.front().key)};
  std::vector<std::optional<CreateResult>> answered(payments.size());  // keys used before
  bool all_written = true;
  bool undecided = false;  // some id was taken while keys were to be recorded
  auto status = database_.with_session([&](soci::session& sql) {
    std::fill(answered.begin(), answered.end(), std::nullopt);
    undecided = false;
    soci::transaction tx(sql);
    const auto previous = used_keys(sql, payments);
    std::vector<const PaymentRecord*> rows;
    std::vector<const IdempotencyRecord*> keys;
    for (std::size_t i = 0; i < payments.size(); ++i) {
      const auto& [payment, key] = payments[i];
      if (key) {
        if (auto it = previous.find({key->merchant_id, key->scope, key->key}); it != previous.end()) {
          const bool same = it->second.request_hash == key->request_hash;
          answered[i] = CreateResult{same ? CreateOutcome::replayed : CreateOutcome::conflict, it->second};
          continue;
        }
        keys.push_back(&*key);
      }
      rows.push_back(&payment);
    }
    const long long written = rows.empty() ? 0 : insert_payments(sql, database_.data_cipher(), rows, true);
    all_written = written == static_cast<long long>(rows.size());
    if (!all_written && !keys.empty()) {
      undecided = true;  // which row was skipped is unknown, so no key can be recorded: rolled back
      return;
    }
    insert_keys(sql, keys);
    tx.commit();
  });

  std::vector<Result<CreateResult>> results;
  results.reserve(payments.size());
  // One by one instead when a statement failed (one bad row must not hold back the rest of its batch, and a
  // key raced for by another request is resolved by create()) or the batch was undecided; the same error
  // for all when MySQL is down.
  const bool one_by_one = status ? undecided : status.error().code == ErrorCode::internal;
  for (std::size_t i = 0; i < payments.size(); ++i) {
    if (one_by_one) {
      results.push_back(create(payments[i].payment, payments[i].key));
    } else if (!status) {
      results.emplace_back(status.error());
    } else if (answered[i]) {
      results.emplace_back(std::move(*answered[i]));
    } else {
      results.emplace_back(CreateResult{all_written ? CreateOutcome::created : CreateOutcome::exists, std::nullopt});
    }
  }
  return results;
}

}  // namespace payments::store
