#include "payments/store/payment_repository.hpp"

#include <soci/mysql/soci-mysql.h>
#include <soci/soci.h>

#include <cstdlib>
#include <string_view>

#include "bound_rows.hpp"
#include "payments/store/mysql_errors.hpp"
#include "rows.hpp"
#include "sealed_columns.hpp"

namespace payments::store {
namespace detail {

const char* const kPaymentColumns =
    "id, merchant_id, COALESCE(api_key_id, ''), order_id, amount, currency, payment_method, customer_id, description, request_json, status, version,"
    " request_hash, stripe_payment_intent_id, stripe_idempotency_key, failure_code, failure_decline_code,"
    " failure_message, next_action_url, amount_refunded,"
    " DATE_FORMAT(created_at, '%Y-%m-%dT%H:%i:%s.%fZ'), DATE_FORMAT(updated_at, '%Y-%m-%dT%H:%i:%s.%fZ'),"
    " dispute_id, dispute_status, dispute_reason, dispute_amount,"
    " DATE_FORMAT(disputed_at, '%Y-%m-%dT%H:%i:%s.%fZ')";

long long integer(const soci::row& row, std::size_t i) {
  switch (row.get_properties(i).get_data_type()) {
    case soci::dt_integer: return row.get<int>(i);
    case soci::dt_unsigned_long_long: return static_cast<long long>(row.get<unsigned long long>(i));
    case soci::dt_long_long: return row.get<long long>(i);
    default: return std::stoll(row.get<std::string>(i));
  }
}

Money stored_money(long long minor, std::string_view currency_code, std::string_view column) {
  auto money = Money::parse(minor, currency_code);
  if (!money) {
    throw soci::soci_error("stored " + std::string(column) + " " + std::to_string(minor) + " '" +
                           std::string(currency_code.substr(0, 8)) + "' is not an amount this version can read");
  }
  return std::move(money).value();
}

PaymentRecord to_record(const soci::row& row, const crypto::DataCipher& cipher, std::size_t first) {
  auto at = [first](std::size_t i) { return first + i; };
  const Money amount = stored_money(row.get<long long>(at(4)), row.get<std::string>(at(5)), "payments.amount");
  const Currency currency = amount.currency();
  PaymentRecord p{.amount = amount, .amount_refunded = stored_money(row.get<long long>(at(19)), currency.code(),
                                                                     "payments.amount_refunded")};
  p.id = row.get<std::string>(at(0));
  p.merchant_id = row.get<std::string>(at(1));
  p.credential_id = row.get<std::string>(at(2));
  p.order_id = row.get<std::string>(at(3));
  p.payment_method = row.get<std::string>(at(6));
  p.customer_id = open_payment_value(cipher, kCustomerIdColumn, p.id, optional_text(row, at(7)));
  p.description = open_payment_value(cipher, kDescriptionColumn, p.id, optional_text(row, at(8)));
  p.request_json = open_payment_value(cipher, kRequestJsonColumn, p.id, text_or_empty(row, at(9)));
  p.status = known_value(row.get<std::string>(at(10)), parse_payment_status, "payments.status");
  p.version = row.get<int>(at(11));
  p.request_hash = row.get<std::string>(at(12));
  p.stripe_payment_intent_id = text_or_empty(row, at(13));
  p.stripe_idempotency_key = text_or_empty(row, at(14));
  p.failure_code = text_or_empty(row, at(15));
  p.failure_decline_code = text_or_empty(row, at(16));
  p.failure_message = text_or_empty(row, at(17));
  p.next_action_url = text_or_empty(row, at(18));
  p.created_at = timestamp(row, at(20));
  p.updated_at = timestamp(row, at(21));
  if (row.get_indicator(at(22)) != soci::i_null) {
    const long long disputed = row.get_indicator(at(25)) == soci::i_null ? 0 : row.get<long long>(at(25));
    p.dispute = PaymentDispute{row.get<std::string>(at(22)), text_or_empty(row, at(23)), text_or_empty(row, at(24)),
                               stored_money(disputed, currency.code(), "payments.dispute_amount"),
                               timestamp(row, at(26))};
  }
  return p;
}


std::string text_or_empty(const soci::row& row, std::size_t i) {
  return row.get_indicator(i) == soci::i_null ? std::string{} : row.get<std::string>(i);
}

std::optional<std::string> optional_text(const soci::row& row, std::size_t i) {
  if (row.get_indicator(i) == soci::i_null) return std::nullopt;
  return row.get<std::string>(i);
}

std::string timestamp(const soci::row& row, std::size_t i) {
  std::string ts = text_or_empty(row, i);
  // DATE_FORMAT's %f gives microseconds; keep milliseconds like every other timestamp the service writes.
  if (ts.size() == 27) ts = ts.substr(0, 23) + "Z";
  return ts;
}

std::optional<PaymentRecord> select_payment(soci::session& sql, const crypto::DataCipher& cipher,
                                            const std::string& id, bool for_update) {
  soci::rowset<soci::row> rows = (sql.prepare << "SELECT " << kPaymentColumns << " FROM payments WHERE id = :id"
                                              << (for_update ? " FOR UPDATE" : ""),
                                  soci::use(id));
  for (const auto& row : rows) return to_record(row, cipher);
  return std::nullopt;
}

std::optional<IdempotencyRecord> select_key(soci::session& sql, const IdempotencyRecord& wanted) {
  IdempotencyRecord r;
  soci::indicator found = soci::i_null;
  sql << "SELECT request_hash, resource_id, response_status, response_body FROM idempotency_keys"
         " WHERE merchant_id = :m AND scope = :scope AND idempotency_key = :k",
      soci::use(wanted.merchant_id), soci::use(wanted.scope), soci::use(wanted.key), soci::into(r.request_hash, found),
      soci::into(r.resource_id), soci::into(r.response_status), soci::into(r.response_body);
  if (!sql.got_data() || found == soci::i_null) return std::nullopt;
  r.merchant_id = wanted.merchant_id;
  r.scope = wanted.scope;
  r.key = wanted.key;
  return r;
}

void insert_keys(soci::session& sql, const std::vector<const IdempotencyRecord*>& keys) {
  if (keys.empty()) return;
  BoundValues values;
  for (const auto* k : keys) {
    values.add(k->merchant_id);
    values.add(k->scope);
    values.add(k->key);
    values.add(k->request_hash);
    values.add(k->resource_id);
    values.add(static_cast<long long>(k->response_status));
    values.add(k->response_body);
  }
  values.execute(sql, "INSERT INTO idempotency_keys (merchant_id, scope, idempotency_key, request_hash,"
                      " resource_id, response_status, response_body, created_at) VALUES " +
                          placeholders(keys.size(), "(?, ?, ?, ?, ?, ?, ?, UTC_TIMESTAMP(6))"));
}

void insert_idempotency_key(soci::session& sql, const IdempotencyRecord& key) { insert_keys(sql, {&key}); }

void insert_events(soci::session& sql, const std::vector<const OutboxEvent*>& events) {
  if (events.empty()) return;
  BoundValues values;
  for (const auto* e : events) {
    for (const auto* v : {&e->event_id, &e->payment_id, &e->topic, &e->payload}) values.add(*v);
  }
  // An event id is written once: a write made again owes the same event. (Not INSERT IGNORE, which would
  // also turn a too-long value into a silently truncated one.)
  values.execute(sql, "INSERT INTO outbox_events (event_id, payment_id, topic, payload, created_at) VALUES " +
                          placeholders(events.size(), "(?, ?, ?, ?, UTC_TIMESTAMP(6))") +
                          " ON DUPLICATE KEY UPDATE event_id = event_id");
}

void insert_commands(soci::session& sql, const std::vector<const ProcessedCommand*>& commands) {
  if (commands.empty()) return;
  BoundValues values;
  for (const auto* c : commands) {
    for (const auto* v : {&c->command_id, &c->payment_id, &c->type, &c->outcome}) values.add(*v);
  }
  values.execute(sql, "INSERT INTO processed_commands (command_id, payment_id, command_type, outcome, processed_at)"
                      " VALUES " + placeholders(commands.size(), "(?, ?, ?, ?, UTC_TIMESTAMP(6))") +
                      " ON DUPLICATE KEY UPDATE command_id = command_id");
}

void insert_processed(soci::session& sql, const ProcessedCommand& command) { insert_commands(sql, {&command}); }

void insert_event(soci::session& sql, const OutboxEvent& event) { insert_events(sql, {&event}); }

long long update_statuses(soci::session& sql, const std::vector<StatusWrite>& writes) {
  if (writes.empty()) return 0;
  BoundValues values;
  for (const auto& [from, t] : writes) {
    const PaymentRecord next = after(*from, *t);
    values.add(t->payment_id);
    values.add(static_cast<long long>(t->expected_version));
    values.add(std::string(to_string(next.status)));
    values.add(static_cast<long long>(next.version));
    for (const auto* field : {&next.stripe_payment_intent_id, &next.stripe_idempotency_key, &next.failure_code,
                              &next.failure_decline_code, &next.failure_message, &next.next_action_url}) {
      values.add(*field);
    }
  }
  constexpr std::size_t kColumns = 10;
  const std::string rows =
      placeholders(1, "SELECT ? AS id, ? AS expected, ? AS status, ? AS next_version, ? AS pi, ? AS ik, ? AS fc,"
                      " ? AS fd, ? AS fm, ? AS na") +
      placeholders(writes.size() - 1, " UNION ALL SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?", kColumns, "");
  // Each payment joined to its own new values, and written only at the version its writer read. The join
  // order and index are forced: on a young table the optimizer would rather scan payments, which locks every
  // row and gap of it and stalls all concurrent INSERTs until this transaction commits.
  return values.execute(
      sql, "UPDATE (" + rows +
               ") AS v STRAIGHT_JOIN payments AS p FORCE INDEX (PRIMARY) ON p.id = v.id AND p.version = v.expected"
               " SET p.status = v.status, p.version = v.next_version,"
               " p.stripe_payment_intent_id = NULLIF(v.pi, ''), p.stripe_idempotency_key = NULLIF(v.ik, ''),"
               " p.failure_code = NULLIF(v.fc, ''), p.failure_decline_code = NULLIF(v.fd, ''),"
               " p.failure_message = NULLIF(v.fm, ''), p.next_action_url = NULLIF(v.na, ''),"
               " p.updated_at = UTC_TIMESTAMP(6), p.next_check_at = NULL, p.check_count = 0");
}

bool update_status(soci::session& sql, const PaymentRecord& from, const Transition& t) {
  return update_statuses(sql, {{&from, &t}}) == 1;
}

std::vector<std::string> claim_due(soci::session& sql, const std::string& table, const std::string& status,
                                   std::chrono::seconds min_age, int limit, std::chrono::seconds first_retry,
                                   std::chrono::seconds max_retry) {
  const int age = static_cast<int>(min_age.count());
  const int first = static_cast<int>(first_retry.count());
  const int max = static_cast<int>(max_retry.count());
  constexpr const char* kDue = " AND (next_check_at IS NULL OR next_check_at <= UTC_TIMESTAMP(6))";
  std::vector<std::string> due(static_cast<std::size_t>(limit));
  sql << "SELECT id FROM " << table << " WHERE status = :s AND updated_at < UTC_TIMESTAMP(6) - INTERVAL :age SECOND"
      << kDue << " ORDER BY updated_at LIMIT :lim",
      soci::use(status), soci::use(age), soci::use(limit), soci::into(due);
  std::vector<std::string> claimed;
  for (const auto& id : due) {
    soci::statement claim =
        (sql.prepare << "UPDATE " << table
                     << " SET next_check_at = UTC_TIMESTAMP(6) + INTERVAL LEAST(:first * POW(2, LEAST(check_count, 20)),"
                        " :max) SECOND, check_count = check_count + 1 WHERE id = :id AND status = :s"
                     << kDue,
         soci::use(first), soci::use(max), soci::use(id), soci::use(status));
    claim.execute(true);
    if (claim.get_affected_rows() == 1) claimed.push_back(id);  // else another worker got there first
  }
  return claimed;
}

bool apply_transition(soci::session& sql, const crypto::DataCipher& cipher, const Transition& t) {
  auto current = select_payment(sql, cipher, t.payment_id, true);
  if (!current || current->version != t.expected_version || !can_transition(current->status, t.to)) return false;
  if (!update_status(sql, *current, t)) return false;
  if (t.event) insert_event(sql, *t.event);
  return true;
}

long long insert_payments(soci::session& sql, const crypto::DataCipher& cipher,
                          const std::vector<const PaymentRecord*>& payments, bool skip_taken) {
  BoundValues values;
  for (const PaymentRecord* p : payments) {
    values.add(p->id);
    values.add(p->merchant_id);
    values.add(p->credential_id.empty() ? std::nullopt : std::optional(p->credential_id));
    values.add(p->order_id);
    values.add(static_cast<long long>(p->amount.minor()));
    values.add(std::string(p->amount.currency().code()));
    values.add(p->payment_method);
    values.add(seal_payment_value(cipher, kCustomerIdColumn, p->id, p->customer_id));
    values.add(seal_payment_value(cipher, kDescriptionColumn, p->id, p->description));
    values.add(seal_payment_value(cipher, kRequestJsonColumn, p->id, p->request_json));
    values.add(std::string(to_string(p->status)));
    values.add(static_cast<long long>(p->version));
    values.add(p->request_hash);
    values.add(p->stripe_idempotency_key.empty() ? std::nullopt : std::optional(p->stripe_idempotency_key));
  }
  const long long affected = values.execute(
      sql, "INSERT INTO payments (id, merchant_id, api_key_id, order_id, amount, currency, payment_method,"
           " customer_id, description, request_json, status, version, request_hash, stripe_idempotency_key,"
           " created_at, updated_at) VALUES " +
               placeholders(payments.size(),
                            "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))") +
               (skip_taken ? " ON DUPLICATE KEY UPDATE id = id" : ""));
  if (!skip_taken) return affected;
  // The affected-row count cannot tell a skipped row from a written one (the connection counts found rows);
  // the server's summary of a multi-row INSERT can: "Records: 3  Duplicates: 1  Warnings: 0".
  const char* info = mysql_info(static_cast<soci::mysql_session_backend*>(sql.get_backend())->conn_);
  const std::string_view summary = info ? info : "";
  const auto at = summary.find("Duplicates: ");
  if (payments.size() < 2 || at == std::string_view::npos) return -1;
  return static_cast<long long>(payments.size()) - std::atoll(summary.data() + at + 12);
}

Result<CreateResult> create_with_key(Database& database, const std::optional<IdempotencyRecord>& key,
                                     const std::function<CreateOutcome(soci::session&)>& insert) {
  for (int attempt = 0;; ++attempt) {
    CreateResult result;
    bool lost_race = false;
    auto status = database.with_session([&](soci::session& sql) {
      result = {};
      lost_race = false;
      try {
        soci::transaction tx(sql);
        if (key) {
          if (auto previous = select_key(sql, *key)) {
            result.outcome = previous->request_hash == key->request_hash ? CreateOutcome::replayed
                                                                         : CreateOutcome::conflict;
            result.previous = std::move(previous);
            return;  // the transaction rolls back; nothing was written
          }
        }
        result.outcome = insert(sql);
        if (result.outcome != CreateOutcome::created) return;
        if (key) insert_idempotency_key(sql, *key);
        tx.commit();
      } catch (const soci::mysql_soci_error& e) {
        // Another request with the same new key (or id) committed first: the transaction rolled back, and the
        // next attempt answers from the winner's record. A second collision is not a race any more.
        if (!key || attempt > 0 || !is_duplicate_key(e.err_num_)) throw;
        lost_race = true;
      }
    });
    if (!status) return std::move(status).error();
    if (!lost_race) return result;
  }
}

}  // namespace detail

using namespace detail;

PaymentRecord after(PaymentRecord from, const Transition& t) {
  from.status = t.to;
  from.version = t.expected_version + 1;
  auto take = [](const std::optional<std::string>& change, std::string& field) {
    if (change) field = *change;
  };
  take(t.stripe_payment_intent_id, from.stripe_payment_intent_id);
  take(t.stripe_idempotency_key, from.stripe_idempotency_key);
  take(t.failure_code, from.failure_code);
  take(t.failure_decline_code, from.failure_decline_code);
  take(t.failure_message, from.failure_message);
  take(t.next_action_url, from.next_action_url);
  return from;
}

PaymentRecord pending_payment(std::string payment_id, std::string merchant_id, const PaymentRequest& request,
                              std::string request_json, std::string request_hash) {
  PaymentRecord r{.amount = request.amount, .amount_refunded = Money::zero(request.amount.currency())};
  r.id = std::move(payment_id);
  r.merchant_id = std::move(merchant_id);
  r.order_id = request.order_id;
  r.payment_method = request.payment_method;
  r.customer_id = request.customer_id;
  r.description = request.description;
  r.request_json = std::move(request_json);
  r.request_hash = std::move(request_hash);
  r.status = PaymentStatus::pending;
  return r;
}

Result<CreateResult> PaymentRepository::create(const PaymentRecord& p, const std::optional<IdempotencyRecord>& key) {
  if (!key) {
    // One statement, its own transaction: the primary key decides whether the id is taken.
    CreateResult result;
    auto status = database_.with_session([&](soci::session& sql) {
      try {
        insert_payments(sql, database_.data_cipher(), {&p}, false);
        result.outcome = CreateOutcome::created;
      } catch (const soci::mysql_soci_error& e) {
        if (!is_duplicate_key(e.err_num_)) throw;
        result.outcome = CreateOutcome::exists;
      }
    });
    if (!status) return std::move(status).error();
    return result;
  }
  return create_with_key(database_, key, [&](soci::session& sql) {
    if (select_payment(sql, database_.data_cipher(), p.id, false)) return CreateOutcome::exists;
    insert_payments(sql, database_.data_cipher(), {&p}, false);
    return CreateOutcome::created;
  });
}

Result<std::optional<PaymentRecord>> PaymentRepository::find(const std::string& payment_id) {
  std::optional<PaymentRecord> out;
  auto status = database_.with_session(
      [&](soci::session& sql) { out = select_payment(sql, database_.data_cipher(), payment_id, false); });
  if (!status) return std::move(status).error();
  return out;
}

Result<std::optional<std::string>> PaymentRepository::find_by_intent(const std::string& payment_intent_id) {
  std::optional<std::string> out;
  auto status = database_.with_session([&](soci::session& sql) {
    out.reset();
    std::string id;
    sql << "SELECT id FROM payments WHERE stripe_payment_intent_id = :pi LIMIT 1", soci::use(payment_intent_id),
        soci::into(id);
    if (sql.got_data()) out = id;
  });
  if (!status) return std::move(status).error();
  return out;
}

Result<bool> PaymentRepository::record_dispute(const std::string& payment_id, const PaymentDispute& dispute) {
  bool recorded = false;
  auto status = database_.with_session([&](soci::session& sql) {
    const long long amount = dispute.amount.minor();
    soci::statement update = (sql.prepare << "UPDATE payments SET dispute_id = :d, dispute_status = :s,"
                                             " dispute_reason = :r, dispute_amount = :a,"
                                             " disputed_at = UTC_TIMESTAMP(6), updated_at = UTC_TIMESTAMP(6)"
                                             " WHERE id = :id AND dispute_id IS NULL",
                              soci::use(dispute.id), soci::use(dispute.status), soci::use(dispute.reason),
                              soci::use(amount), soci::use(payment_id));
    update.execute(true);
    if (update.get_affected_rows() > 0) {
      recorded = true;
      return;
    }
    // Already disputed: true when it is this dispute, reported again (it changes nothing).
    std::string current;
    soci::indicator ind = soci::i_null;
    sql << "SELECT dispute_id FROM payments WHERE id = :id", soci::use(payment_id), soci::into(current, ind);
    recorded = sql.got_data() && ind == soci::i_ok && current == dispute.id;
  });
  if (!status) return std::move(status).error();
  return recorded;
}

Result<std::vector<PaymentRecord>> PaymentRepository::claim_for_check(PaymentStatus status,
                                                                      std::chrono::seconds min_age, int limit,
                                                                      std::chrono::seconds first_retry,
                                                                      std::chrono::seconds max_retry) {
  std::vector<PaymentRecord> out;
  auto result = database_.with_session([&](soci::session& sql) {
    out.clear();
    for (const auto& id : claim_due(sql, "payments", std::string(to_string(status)), min_age, limit, first_retry,
                                    max_retry)) {
      if (auto payment = select_payment(sql, database_.data_cipher(), id, false)) out.push_back(std::move(*payment));
    }
  });
  if (!result) return std::move(result).error();
  return out;
}

Result<bool> PaymentRepository::apply(const Transition& t, const std::optional<ProcessedCommand>& command) {
  bool applied = false;
  auto status = database_.with_session([&](soci::session& sql) {
    soci::transaction tx(sql);
    applied = apply_transition(sql, database_.data_cipher(), t);
    if (!applied) return;
    if (command) insert_processed(sql, *command);
    tx.commit();
  });
  if (!status) return std::move(status).error();
  return applied;
}

Result<bool> PaymentRepository::apply_from(const PaymentRecord& from, const Transition& t,
                                           const std::optional<ProcessedCommand>& command) {
  if (from.id != t.payment_id || from.version != t.expected_version || !can_transition(from.status, t.to)) {
    return false;
  }
  bool applied = false;
  auto status = database_.with_session([&](soci::session& sql) {
    if (!t.event && !command) {
      applied = update_status(sql, from, t);  // one statement: its own transaction
      return;
    }
    soci::transaction tx(sql);
    applied = update_status(sql, from, t);
    if (!applied) return;
    if (t.event) insert_event(sql, *t.event);
    if (command) insert_processed(sql, *command);
    tx.commit();
  });
  if (!status) return std::move(status).error();
  return applied;
}

Result<bool> PaymentRepository::is_processed(const std::string& command_id) {
  int count = 0;
  auto status = database_.with_session([&](soci::session& sql) {
    sql << "SELECT COUNT(*) FROM processed_commands WHERE command_id = :c", soci::use(command_id), soci::into(count);
  });
  if (!status) return std::move(status).error();
  return count > 0;
}

Status PaymentRepository::record_processed(const ProcessedCommand& command) {
  return database_.with_session([&](soci::session& sql) { insert_processed(sql, command); });
}

Status PaymentRepository::withdraw(const std::string& payment_id, const std::optional<IdempotencyRecord>& key) {
  return database_.with_session([&](soci::session& sql) {
    soci::transaction tx(sql);
    sql << "UPDATE payments SET status = 'canceled', version = version + 1, failure_code = 'not_accepted',"
           " failure_message = 'the command could not be queued; nothing was charged', updated_at = UTC_TIMESTAMP(6)"
           " WHERE id = :id AND status = 'pending'",
        soci::use(payment_id);
    if (key) {
      sql << "DELETE FROM idempotency_keys WHERE merchant_id = :m AND scope = :s AND idempotency_key = :k",
          soci::use(key->merchant_id), soci::use(key->scope),
          soci::use(key->key);
    }
    tx.commit();
  });
}

Result<std::vector<OutboxEvent>> PaymentRepository::unpublished_events(const std::string& payment_id) {
  std::vector<OutboxEvent> out;
  auto status = database_.with_session([&](soci::session& sql) {
    out.clear();
    soci::rowset<soci::row> rows =
        (sql.prepare << "SELECT event_id, payment_id, topic, payload FROM outbox_events"
                        " WHERE payment_id = :p AND published_at IS NULL ORDER BY created_at",
         soci::use(payment_id));
    for (const auto& row : rows) {
      out.push_back({row.get<std::string>(0), row.get<std::string>(1), row.get<std::string>(2),
                     row.get<std::string>(3)});
    }
  });
  if (!status) return std::move(status).error();
  return out;
}

Result<std::vector<OutboxEvent>> PaymentRepository::stale_unpublished_events(std::chrono::seconds min_age,
                                                                             int limit) {
  std::vector<OutboxEvent> out;
  const int age = static_cast<int>(min_age.count());
  auto status = database_.with_session([&](soci::session& sql) {
    out.clear();
    soci::rowset<soci::row> rows =
        (sql.prepare << "SELECT event_id, payment_id, topic, payload FROM outbox_events WHERE published_at IS NULL"
                        " AND created_at < UTC_TIMESTAMP(6) - INTERVAL :age SECOND ORDER BY created_at LIMIT :lim",
         soci::use(age), soci::use(limit));
    for (const auto& row : rows) {
      out.push_back({row.get<std::string>(0), row.get<std::string>(1), row.get<std::string>(2),
                     row.get<std::string>(3)});
    }
  });
  if (!status) return std::move(status).error();
  return out;
}

Status PaymentRepository::mark_published(const std::string& event_id) {
  return database_.with_session([&](soci::session& sql) {
    sql << "UPDATE outbox_events SET published_at = UTC_TIMESTAMP(6) WHERE event_id = :e AND published_at IS NULL",
        soci::use(event_id);
  });
}

}  // namespace payments::store
