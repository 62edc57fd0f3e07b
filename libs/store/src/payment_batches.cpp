// PaymentRepository's batched writes: many commands' outcomes in one transaction, many events marked
// published in one statement. They exist so that MySQL commits and round trips do not bound throughput.

#include <soci/soci.h>

#include <algorithm>
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
std::unordered_map<std::string, long long> lock_versions(soci::session& sql, const std::vector<TransitionWrite>& writes) {
  std::unordered_map<std::string, long long> versions;
  if (writes.empty()) return versions;
  BoundValues ids;
  for (const auto& w : writes) ids.add(w.transition.payment_id);
  ids.query(sql, "SELECT id, version FROM payments FORCE INDEX (PRIMARY) WHERE id IN (" + placeholders(writes.size(), "?") +
                     ") ORDER BY id FOR UPDATE",
            [&](const soci::row& row) { versions.emplace(row.get<std::string>(0), integer(row, 1)); });
  return versions;
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
                        PaymentRecord p = to_record(row);
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

std::vector<Result<CreateResult>> PaymentRepository::create_all(const std::vector<PaymentRecord>& payments) {
  if (payments.size() == 1) return {create(payments.front(), std::nullopt)};
  long long written = 0;
  auto status = database_.with_session([&](soci::session& sql) {
    std::vector<const PaymentRecord*> rows;
    for (const auto& p : payments) rows.push_back(&p);
    written = insert_payments(sql, rows, true);
  });
  std::vector<Result<CreateResult>> results;
  results.reserve(payments.size());
  for (const auto& p : payments) {
    if (!status && status.error().code == ErrorCode::internal && payments.size() > 1) {
      results.push_back(create(p, std::nullopt));
    } else if (!status) {
      results.emplace_back(status.error());
    } else {
      const bool all = written == static_cast<long long>(payments.size());
      results.emplace_back(CreateResult{all ? CreateOutcome::created : CreateOutcome::exists, std::nullopt});
    }
  }
  return results;
}

}  // namespace payments::store
