#include "payments/store/refund_repository.hpp"

#include <soci/soci.h>

#include "rows.hpp"

namespace payments::store {
namespace {

using namespace detail;

constexpr const char* kRefundColumns =
    "id, payment_id, merchant_id, requested_amount, amount, currency, reason, status, reserved, version, request_hash,"
    " stripe_refund_id, stripe_idempotency_key, failure_code, failure_message,"
    " DATE_FORMAT(created_at, '%Y-%m-%dT%H:%i:%s.%fZ'), DATE_FORMAT(updated_at, '%Y-%m-%dT%H:%i:%s.%fZ')";

RefundRecord to_refund(const soci::row& row) {
  RefundRecord r;
  r.id = row.get<std::string>(0);
  r.payment_id = row.get<std::string>(1);
  r.merchant_id = row.get<std::string>(2);
  if (row.get_indicator(3) != soci::i_null) r.requested_amount = row.get<long long>(3);
  r.reason = optional_text(row, 6);
  r.status = known_value(row.get<std::string>(7), parse_refund_status, "refunds.status");
  r.reserved = row.get<int>(8) != 0;
  const long long amount = row.get<long long>(4);
  const std::string currency = row.get<std::string>(5);
  // Only a refund that never met its payment (refused, nothing reserved) has no currency; on any other, '' is a
  // row this version cannot read.
  const bool never_priced = currency.empty() && amount == 0 && !r.reserved && r.status == RefundStatus::failed;
  if (!never_priced) r.amount = stored_money(amount, currency, "refunds.amount");
  r.version = row.get<int>(9);
  r.request_hash = row.get<std::string>(10);
  r.stripe_refund_id = text_or_empty(row, 11);
  r.stripe_idempotency_key = row.get<std::string>(12);
  r.failure_code = text_or_empty(row, 13);
  r.failure_message = text_or_empty(row, 14);
  r.created_at = timestamp(row, 15);
  r.updated_at = timestamp(row, 16);
  return r;
}

std::optional<RefundRecord> select_refund(soci::session& sql, const std::string& id, bool for_update) {
  soci::rowset<soci::row> rows = (sql.prepare << "SELECT " << kRefundColumns << " FROM refunds WHERE id = :id"
                                              << (for_update ? " FOR UPDATE" : ""),
                                  soci::use(id));
  for (const auto& row : rows) return to_refund(row);
  return std::nullopt;
}

void insert_refund(soci::session& sql, const RefundRecord& r) {
  long long requested = r.requested_amount.value_or(0);
  soci::indicator requested_ind = r.requested_amount ? soci::i_ok : soci::i_null;
  std::string reason = r.reason.value_or("");
  soci::indicator reason_ind = r.reason ? soci::i_ok : soci::i_null;
  const std::string status(to_string(r.status));
  const long long amount = r.amount ? r.amount->minor() : 0;
  const std::string currency = r.amount ? std::string(r.amount->currency().code()) : std::string();
  sql << "INSERT INTO refunds (id, payment_id, merchant_id, requested_amount, amount, currency, reason, status,"
         " reserved, version, request_hash, stripe_idempotency_key, failure_code, failure_message, created_at,"
         " updated_at) VALUES (:id, :p, :m, :ra, :a, :c, :r, :s, 0, 0, :h, :k, NULLIF(:fc, ''), NULLIF(:fm, ''),"
         " UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))",
      soci::use(r.id), soci::use(r.payment_id), soci::use(r.merchant_id), soci::use(requested, requested_ind), soci::use(amount),
      soci::use(currency), soci::use(reason, reason_ind), soci::use(status), soci::use(r.request_hash),
      soci::use(r.stripe_idempotency_key), soci::use(r.failure_code), soci::use(r.failure_message);
}

// What the payment's accepted refunds (pending or succeeded) add up to, in its currency.
Money reserved_total(soci::session& sql, const PaymentRecord& payment) {
  long long total = 0;
  soci::indicator ind = soci::i_null;
  sql << "SELECT COALESCE(SUM(amount), 0) FROM refunds WHERE payment_id = :p AND reserved = 1"
         " AND status IN ('pending', 'succeeded')",
      soci::use(payment.id), soci::into(total, ind);
  return stored_money(total, payment.amount.currency().code(), "refunds.amount (reserved total)");
}

// A reserved refund's amount: it has one (its payment was found), else the row is broken.
const Money& refund_amount(const RefundRecord& refund) {
  if (!refund.amount) throw soci::soci_error("reserved refund " + refund.id + " has no amount");
  return *refund.amount;
}

Money checked(Result<Money> sum) {
  if (!sum) throw soci::soci_error("refunded total does not add up: " + sum.error().message);
  return std::move(sum).value();
}

}  // namespace

Result<CreateResult> RefundRepository::create(const RefundRecord& refund,
                                              const std::optional<IdempotencyRecord>& key) {
  return create_with_key(database_, key, [&](soci::session& sql) {
    auto payment = select_payment(sql, database_.data_cipher(), refund.payment_id, true);
    if (!payment || payment->merchant_id != refund.merchant_id) return CreateOutcome::payment_missing;
    if (select_refund(sql, refund.id, false)) return CreateOutcome::exists;
    RefundRecord row = refund;
    row.amount = Money::zero(payment->amount.currency());  // decided when the worker reserves it
    insert_refund(sql, row);
    return CreateOutcome::created;
  });
}

Result<std::optional<RefundRecord>> RefundRepository::find(const std::string& refund_id) {
  std::optional<RefundRecord> out;
  auto status = database_.with_session([&](soci::session& sql) { out = select_refund(sql, refund_id, false); });
  if (!status) return std::move(status).error();
  return out;
}

Result<std::optional<RefundRecord>> RefundRepository::find_by_stripe_id(const std::string& stripe_refund_id) {
  std::optional<RefundRecord> out;
  auto status = database_.with_session([&](soci::session& sql) {
    out.reset();
    soci::rowset<soci::row> rows = (sql.prepare << "SELECT " << kRefundColumns
                                                << " FROM refunds WHERE stripe_refund_id = :s LIMIT 1",
                                    soci::use(stripe_refund_id));
    for (const auto& row : rows) out = to_refund(row);
  });
  if (!status) return std::move(status).error();
  return out;
}

Result<std::vector<RefundRecord>> RefundRepository::claim_for_check(std::chrono::seconds min_age, int limit,
                                                                   std::chrono::seconds first_retry,
                                                                   std::chrono::seconds max_retry) {
  std::vector<RefundRecord> out;
  auto result = database_.with_session([&](soci::session& sql) {
    out.clear();
    for (const auto& id : claim_due(sql, "refunds", "pending", min_age, limit, first_retry, max_retry)) {
      if (auto refund = select_refund(sql, id, false)) out.push_back(std::move(*refund));
    }
  });
  if (!result) return std::move(result).error();
  return out;
}

Result<std::vector<RefundRecord>> RefundRepository::for_payment(const std::string& payment_id) {
  std::vector<RefundRecord> out;
  auto status = database_.with_session([&](soci::session& sql) {
    out.clear();
    soci::rowset<soci::row> rows = (sql.prepare << "SELECT " << kRefundColumns
                                                << " FROM refunds WHERE payment_id = :p AND merchant_id ="
                                                   " (SELECT merchant_id FROM payments WHERE id = :p2)"
                                                   " ORDER BY created_at, id",
                                    soci::use(payment_id), soci::use(payment_id));
    for (const auto& row : rows) out.push_back(to_refund(row));
  });
  if (!status) return std::move(status).error();
  return out;
}

Result<RefundRepository::Reservation> RefundRepository::reserve(const RefundRecord& proposed,
                                                                const RefundEventFactory& on_rejected) {
  Reservation out;
  auto status = database_.with_session([&](soci::session& sql) {
    soci::transaction tx(sql);
    // Lock order everywhere: payment, then refund.
    auto payment = select_payment(sql, database_.data_cipher(), proposed.payment_id, true);
    if (payment && payment->merchant_id != proposed.merchant_id) payment.reset();  // not this merchant's
    auto refund = select_refund(sql, proposed.id, true);
    if (!refund) {
      RefundRecord fresh = proposed;
      fresh.amount.reset();
      if (payment) fresh.amount = Money::zero(payment->amount.currency());  // decided below
      if (!payment) {
        fresh.status = RefundStatus::failed;
        fresh.failure_code = "payment_not_found";
        fresh.failure_message = "no payment " + proposed.payment_id;
      }
      insert_refund(sql, fresh);
      refund = select_refund(sql, proposed.id, true);
      if (!payment) {
        out.refund = *refund;
        out.newly_decided = true;
        tx.commit();
        return;
      }
    }
    if (refund->reserved || refund->status != RefundStatus::pending || !payment) {
      out.refund = *refund;
      return;
    }
    const auto decision = decide_refund(payment->status, payment->amount, reserved_total(sql, *payment),
                                        refund->requested_amount);
    const int next = refund->version + 1;
    if (decision.accepted()) {
      const long long amount = decision.amount.minor();
      sql << "UPDATE refunds SET amount = :a, reserved = 1, version = :v, updated_at = UTC_TIMESTAMP(6)"
             " WHERE id = :id",
          soci::use(amount), soci::use(next), soci::use(refund->id);
    } else {
      sql << "UPDATE refunds SET status = 'failed', failure_code = :c, failure_message = :m, version = :v,"
             " updated_at = UTC_TIMESTAMP(6) WHERE id = :id",
          soci::use(decision.failure_code), soci::use(decision.failure_message), soci::use(next),
          soci::use(refund->id);
    }
    out.refund = *select_refund(sql, refund->id, false);
    out.newly_decided = true;
    if (!decision.accepted() && on_rejected) {
      if (auto event = on_rejected(*payment, out.refund)) insert_event(sql, *event);
    }
    tx.commit();
  });
  if (!status) return std::move(status).error();
  return out;
}

Status RefundRepository::note_stripe_refund(const std::string& refund_id, const std::string& stripe_refund_id) {
  return database_.with_session([&](soci::session& sql) {
    sql << "UPDATE refunds SET stripe_refund_id = :s, updated_at = UTC_TIMESTAMP(6) WHERE id = :id"
           " AND status = 'pending'",
        soci::use(stripe_refund_id), soci::use(refund_id);
  });
}

Result<bool> RefundRepository::settle(const std::string& refund_id, RefundStatus outcome,
                                      const std::string& stripe_refund_id, const std::string& failure_code,
                                      const std::string& failure_message, const RefundEventFactory& event) {
  bool settled = false;
  auto status = database_.with_session([&](soci::session& sql) {
    settled = false;
    soci::transaction tx(sql);
    auto peek = select_refund(sql, refund_id, false);
    if (!peek) return;
    auto payment = select_payment(sql, database_.data_cipher(), peek->payment_id, true);
    auto refund = select_refund(sql, refund_id, true);
    if (!payment || !refund || !refund->reserved) return;
    const bool settling = refund->status == RefundStatus::pending && outcome != RefundStatus::pending;
    const bool reversing = refund->status == RefundStatus::succeeded && outcome == RefundStatus::failed;
    if (!settling && !reversing) return;

    const std::string to(to_string(outcome));
    const int next = refund->version + 1;
    sql << "UPDATE refunds SET status = :s, stripe_refund_id = NULLIF(:sr, ''), failure_code = NULLIF(:fc, ''),"
           " failure_message = NULLIF(:fm, ''), version = :v, updated_at = UTC_TIMESTAMP(6), next_check_at = NULL"
           " WHERE id = :id",
        soci::use(to), soci::use(stripe_refund_id.empty() ? refund->stripe_refund_id : stripe_refund_id),
        soci::use(failure_code), soci::use(failure_message), soci::use(next), soci::use(refund_id);
    // What the payment has had refunded changes when a refund succeeds, or when a succeeded one is reversed. A
    // reserved refund always has an amount in the payment's currency; a sum that does not add up (another
    // currency, below zero, past eight digits) is a broken row, and the whole settlement an error.
    std::optional<Money> refunded;
    if (outcome == RefundStatus::succeeded) refunded = checked(payment->amount_refunded.plus(refund_amount(*refund)));
    if (reversing) refunded = checked(payment->amount_refunded.minus(refund_amount(*refund)));
    if (refunded) {
      const long long refunded_minor = refunded->minor();
      const std::string payment_status(to_string(status_after_refunds(payment->amount, *refunded)));
      const int payment_version = payment->version + 1;
      sql << "UPDATE payments SET amount_refunded = :r, status = :s, version = :v, updated_at = UTC_TIMESTAMP(6)"
             " WHERE id = :id",
          soci::use(refunded_minor), soci::use(payment_status), soci::use(payment_version), soci::use(payment->id);
    }
    if (event) {
      if (auto e = event(*select_payment(sql, database_.data_cipher(), payment->id, false),
                         *select_refund(sql, refund_id, false))) {
        insert_event(sql, *e);
      }
    }
    tx.commit();
    settled = true;
  });
  if (!status) return std::move(status).error();
  return settled;
}

Status RefundRepository::withdraw(const std::string& refund_id, const std::optional<IdempotencyRecord>& key) {
  return database_.with_session([&](soci::session& sql) {
    soci::transaction tx(sql);
    sql << "UPDATE refunds SET status = 'failed', failure_code = 'not_accepted', failure_message ="
           " 'the refund could not be queued; nothing was refunded', version = version + 1,"
           " updated_at = UTC_TIMESTAMP(6) WHERE id = :id AND status = 'pending' AND reserved = 0",
        soci::use(refund_id);
    if (key) {
      sql << "DELETE FROM idempotency_keys WHERE merchant_id = :m AND scope = :s AND idempotency_key = :k",
          soci::use(key->merchant_id), soci::use(key->scope),
          soci::use(key->key);
    }
    tx.commit();
  });
}

}  // namespace payments::store
