#pragma once
// SQL shared by the repositories of this library: reading a payment row, locking it, writing outbox and
// processed-command rows inside a caller's transaction.

#include <soci/soci.h>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "payments/core/money.hpp"
#include "payments/crypto/data_cipher.hpp"
#include "payments/store/payment_repository.hpp"

namespace payments::store::detail {

// A stored value this version cannot read (an unknown status, say) makes the row an error, never a default: a
// status read as `pending` would be charged again.
template <typename Parse>
auto known_value(const std::string& stored, Parse parse, std::string_view column) {
  auto parsed = parse(stored);
  if (!parsed) {
    throw soci::soci_error("stored " + std::string(column) + " '" + stored.substr(0, 32) +
                           "' is not one this version knows");
  }
  return *parsed;
}

// A stored amount and currency, as Money (Money::parse's rules); one that does not parse makes the row an error,
// like an unknown status.
Money stored_money(long long minor, std::string_view currency_code, std::string_view column);

std::string text_or_empty(const soci::row& row, std::size_t i);
std::optional<std::string> optional_text(const soci::row& row, std::size_t i);
// Timestamps as RFC 3339 UTC with milliseconds, from a DATE_FORMAT(..., '%Y-%m-%dT%H:%i:%s.%fZ') column.
std::string timestamp(const soci::row& row, std::size_t i);

// Reconciliation's claim on rows of `table` (payments, refunds) in `status`, unchanged for `min_age` and due for
// a check: up to `limit` of them get their next check scheduled (`first_retry` doubled per check, at most
// `max_retry`), and their ids are returned. A row is claimed by whoever moves its next_check_at first.
std::vector<std::string> claim_due(soci::session& sql, const std::string& table, const std::string& status,
                                   std::chrono::seconds min_age, int limit, std::chrono::seconds first_retry,
                                   std::chrono::seconds max_retry);

// The payment columns every read selects, in the order to_record() reads them.
extern const char* const kPaymentColumns;
// The payment in `row`, whose columns (kPaymentColumns) start at `first`, its encrypted columns opened with
// `cipher` (SealedValueError when one does not open).
PaymentRecord to_record(const soci::row& row, const crypto::DataCipher& cipher, std::size_t first = 0);
// An integer expression's value, whichever integer type the server reports for it.
long long integer(const soci::row& row, std::size_t i);
// The payments' INSERT, one row each, in one statement, their sensitive columns sealed with `cipher`; returns the
// rows written. With `skip_taken`, an id already taken is left alone (and -1 returned when the server does not say
// how many were written: a single row); without it, the statement fails (MysqlErrc::duplicate_key).
long long insert_payments(soci::session& sql, const crypto::DataCipher& cipher,
                          const std::vector<const PaymentRecord*>& payments, bool skip_taken);

std::optional<PaymentRecord> select_payment(soci::session& sql, const crypto::DataCipher& cipher,
                                            const std::string& id, bool for_update);
// A plain read, deliberately without FOR UPDATE: locking a key that does not exist yet takes a gap lock, and
// concurrent first requests then deadlock on their INSERTs. The unique key decides races instead: the loser's
// INSERT fails with a duplicate entry and it reads the winner's record.
// The record stored under `wanted`'s merchant, scope and key, if any.
std::optional<IdempotencyRecord> select_key(soci::session& sql, const IdempotencyRecord& wanted);
void insert_idempotency_key(soci::session& sql, const IdempotencyRecord& key);
// Many idempotency records in one INSERT; a key already there fails it (MysqlErrc::duplicate_key).
void insert_keys(soci::session& sql, const std::vector<const IdempotencyRecord*>& keys);
// Outbox events and processed commands, many in one INSERT; one already there is left as it is.
void insert_events(soci::session& sql, const std::vector<const OutboxEvent*>& events);
void insert_commands(soci::session& sql, const std::vector<const ProcessedCommand*>& commands);
void insert_processed(soci::session& sql, const ProcessedCommand& command);
void insert_event(soci::session& sql, const OutboxEvent& event);
// Creates something under an optional idempotency key, in one transaction: a key already used answers
// replayed or conflict and writes nothing; otherwise `insert` writes the rows (or says why not) and the key
// is recorded with them. First requests with the same new key race: the loser's INSERT of the key fails as a
// duplicate entry, and it answers (once) from the winner's record.
Result<CreateResult> create_with_key(Database& database, const std::optional<IdempotencyRecord>& key,
                                     const std::function<CreateOutcome(soci::session&)>& insert);

// A status write: `transition` over the payment as read at its expected version.
using StatusWrite = std::pair<const PaymentRecord*, const Transition*>;
// Status writes, one UPDATE for all: each payment still at its expected version gets its transition's
// values. Returns how many were written.
long long update_statuses(soci::session& sql, const std::vector<StatusWrite>& writes);
// The compare-and-set of a status write: `transition` over `from` (the row as read at its expected version).
// False when the version moved meanwhile.
bool update_status(soci::session& sql, const PaymentRecord& from, const Transition& transition);

// PaymentRepository::apply's compare-and-set, inside the caller's transaction. False when nothing changed.
bool apply_transition(soci::session& sql, const crypto::DataCipher& cipher, const Transition& transition);

}  // namespace payments::store::detail
