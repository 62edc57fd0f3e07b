// PaymentRepository's batched writes: many commands' outcomes in one transaction, many events marked
// published in one statement. They exist so that MySQL commits and round trips do not bound throughput.

#include <soci/soci.h>

#include <algorithm>
#include <numeric>
#include <unordered_map>
#include <unordered_set>

#include "payments/store/payment_repository.hpp"
#include "bound_rows.hpp"
#include "rows.hpp"

namespace payments::store {
namespace detail {
namespace {

bool allowed(const TransitionWrite& w) {
  return w.from.id == w.transition.payment_id && w.from.version == w.transition.expected_version &&
         can_transition(w.from.status, w.transition.to);
}

}  // namespace
}  // namespace detail

using namespace detail;

std::vector<Result<bool>> PaymentRepository::apply_all(const std::vector<TransitionWrite>& writes) {
  // Rows are locked in id order, so two batches touching the same payments cannot deadlock each other.
  std::vector<std::size_t> order(writes.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::sort(order.begin(), order.end(),
            [&](std::size_t a, std::size_t b) { return writes[a].transition.payment_id < writes[b].transition.payment_id; });

  std::vector<char> applied(writes.size(), 0);
  auto status = database_.with_session([&](soci::session& sql) {
    std::fill(applied.begin(), applied.end(), 0);  // a deadlock re-runs this from the start
    std::vector<const OutboxEvent*> events;
    std::vector<const ProcessedCommand*> commands;
    soci::transaction tx(sql);
    for (const std::size_t i : order) {
      const TransitionWrite& w = writes[i];
      if (!allowed(w) || !update_status(sql, w.from, w.transition)) continue;
      applied[i] = 1;
      if (w.transition.event) events.push_back(&*w.transition.event);
      if (w.command) commands.push_back(&*w.command);
    }
    insert_events(sql, events);
    insert_commands(sql, commands);
    tx.commit();
  });

  std::vector<Result<bool>> results;
  results.reserve(writes.size());
  if (status) {
    for (const char a : applied) results.emplace_back(a != 0);
    return results;
  }
  const bool statement_failed = status.error().code == ErrorCode::internal;
  for (const auto& w : writes) {
    if (statement_failed && writes.size() > 1) {
      results.push_back(apply_from(w.from, w.transition, w.command));
    } else {
      results.emplace_back(status.error());
    }
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
