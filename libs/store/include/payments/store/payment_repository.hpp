#pragma once
// Payments in MySQL. Every status write is a compare-and-set on (id, version) inside one transaction with
// whatever must change with it (the outbox event it owes, the command it completes), so a crash leaves
// either all of it or none of it, and a stale writer changes nothing.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "payments/core/payment.hpp"
#include "payments/core/payment_request.hpp"
#include "payments/core/result.hpp"
#include "payments/store/database.hpp"
#include "payments/store/payment_store.hpp"

namespace payments::store {

class PaymentRepository final : public PaymentStore {
 public:
  explicit PaymentRepository(Database& database) : database_(database) {}

  using CreateOutcome = store::CreateOutcome;
  using CreateResult = store::CreateResult;

  // Inserts the payment, and the idempotency record when given, in one transaction. When the key exists:
  // `replayed` (same request hash) or `conflict`, and nothing is written. When the payment id exists:
  // `exists`, and nothing is written. The row is written as `payment` holds it: a worker that records the
  // Stripe idempotency key up front writes `processing` with the key in the same single INSERT.
  Result<CreateResult> create(const PaymentRecord& payment, const std::optional<IdempotencyRecord>& key);

  Result<std::optional<PaymentRecord>> find(const std::string& payment_id) override;
  // find() and is_processed() for many (command id, payment id) pairs in two queries; one result per pair,
  // in order.
  Result<std::vector<CommandLookup>> lookup_all(const std::vector<std::pair<std::string, std::string>>& commands) override;
  // create() for many payments in one transaction: their keys looked up in one query, the new payments and
  // keys written in one multi-row INSERT each. A key used before answers `replayed` or `conflict` as in
  // create(). The other payments are `created` when all were written; when any id was taken, they are all
  // reported `exists` (the caller reads them back), since the statement does not tell which. A statement
  // error (a bad row, or two requests racing for one new key) falls back to one create() each.
  std::vector<Result<CreateResult>> create_all(const std::vector<NewPayment>& payments) override;
  // The payment a Stripe PaymentIntent belongs to, when this service made it.
  Result<std::optional<std::string>> find_by_intent(const std::string& payment_intent_id);

  // Records the dispute on the payment (the first one reported; the same dispute again changes nothing).
  // Returns false when there is no such payment or it already carries another dispute.
  Result<bool> record_dispute(const std::string& payment_id, const PaymentDispute& dispute) override;

  // Reconciliation: claims up to `limit` payments in `status` unchanged for at least `min_age` and due for a
  // check, and schedules each one's next check (backing off: `first_retry` doubled per check, at most
  // `max_retry`). A payment claimed by one worker is not claimed by another until then. The status
  // changing clears the schedule.
  Result<std::vector<PaymentRecord>> claim_for_check(PaymentStatus status, std::chrono::seconds min_age, int limit,
                                                     std::chrono::seconds first_retry, std::chrono::seconds max_retry) override;

  // Applies the transition if the payment is still at `expected_version` and the move is allowed. Returns
  // false (and writes nothing) when another writer got there first. Also records `command` as processed.
  Result<bool> apply(const Transition& transition, const std::optional<ProcessedCommand>& command = std::nullopt);
  // The same for a writer that holds the payment as it was at transition.expected_version: the move is checked
  // on `from`, and the write is a compare-and-set on the version without reading the row again (one UPDATE,
  // in a transaction only when an event or command goes with it).
  Result<bool> apply_from(const PaymentRecord& from, const Transition& transition,
                          const std::optional<ProcessedCommand>& command = std::nullopt);

  // Many apply_from writes in one transaction (one commit for all): each is its own compare-and-set, and its
  // event and command are written only when it applied; their rows go in one multi-row INSERT each. Returns
  // one result per write, in order. When the batch fails on a statement (not on the connection), each write
  // is tried again on its own, so one bad write cannot hold the others back.
  std::vector<Result<bool>> apply_all(const std::vector<TransitionWrite>& writes) override;

  // Whether a command id was already applied.
  Result<bool> is_processed(const std::string& command_id) override;
  Status record_processed(const ProcessedCommand& command) override;

  // The API's undo when a command it recorded never reached Kafka: the payment is canceled (it can never
  // be charged) and the idempotency key freed, so the caller's retry starts cleanly.
  Status withdraw(const std::string& payment_id, const std::optional<IdempotencyRecord>& key);

  Result<std::vector<OutboxEvent>> unpublished_events(const std::string& payment_id) override;
  // Events of any payment still unpublished `min_age` after they were written: what a crashed worker owed.
  Result<std::vector<OutboxEvent>> stale_unpublished_events(std::chrono::seconds min_age, int limit) override;
  Status mark_published(const std::string& event_id) override;
  // The same for many events, in one statement.
  Status mark_published(const std::vector<std::string>& event_ids) override;

 private:
  Database& database_;
};

}  // namespace payments::store
