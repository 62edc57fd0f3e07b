#pragma once
// Refunds in MySQL. Accepting a refund (reserving its amount) and settling it each run in one transaction
// that locks the payment row first, so concurrent refunds of one payment are decided one at a time and the
// refunds that are pending or succeeded never add up to more than was paid.

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "payments/core/refund.hpp"
#include "payments/store/database.hpp"
#include "payments/store/payment_repository.hpp"
#include "payments/store/refund_store.hpp"

namespace payments::store {

class RefundRepository final : public RefundStore {
 public:
  explicit RefundRepository(Database& database) : database_(database) {}

  using CreateOutcome = store::CreateOutcome;
  using CreateResult = store::CreateResult;
  // The API's first record of a refund (pending, not yet reserved), with its idempotency key. A payment of
  // another merchant than the refund's is `payment_missing`, exactly like no payment.
  Result<CreateResult> create(const RefundRecord& refund, const std::optional<IdempotencyRecord>& key);

  Result<std::optional<RefundRecord>> find(const std::string& refund_id) override;
  Result<std::optional<RefundRecord>> find_by_stripe_id(const std::string& stripe_refund_id) override;
  // The refunds of a payment that belong to its merchant (a refund another merchant attempted on it, and
  // that failed as payment_not_found, is that merchant's, not the payment's).
  Result<std::vector<RefundRecord>> for_payment(const std::string& payment_id) override;

  using Reservation = RefundStore::Reservation;
  // Accepts the refund against its payment or rejects it (status failed with the reason), once. When the
  // refund row does not exist yet (a command straight from Kafka) it is created from `proposed`. A payment of
  // another merchant than `proposed.merchant_id` counts as no payment (payment_not_found). A refund
  // already decided is returned as it is. `on_rejected` builds the event a rejection owes.
  Result<Reservation> reserve(const RefundRecord& proposed, const RefundEventFactory& on_rejected) override;

  // Records Stripe's refund id while the refund is still pending.
  Status note_stripe_refund(const std::string& refund_id, const std::string& stripe_refund_id) override;

  // Settles a pending, reserved refund as succeeded (adding to the payment's amount_refunded and moving its
  // status) or failed (its reservation lapses). A succeeded refund that Stripe fails later (refund.failed)
  // can still move to failed: its amount comes off the payment's amount_refunded and the payment's status
  // follows. Every other move (back to pending, succeeded again, out of failed) changes nothing and returns
  // false.
  Result<bool> settle(const std::string& refund_id, RefundStatus outcome, const std::string& stripe_refund_id,
                      const std::string& failure_code, const std::string& failure_message,
                      const RefundEventFactory& event) override;

  // Reconciliation: claims up to `limit` pending refunds unchanged for at least `min_age` and due for a check,
  // scheduling each one's next check as PaymentRepository::claim_for_check does.
  Result<std::vector<RefundRecord>> claim_for_check(std::chrono::seconds min_age, int limit,
                                                    std::chrono::seconds first_retry, std::chrono::seconds max_retry) override;

  // Releases a refund that never reached the queue (the API's undo).
  Status withdraw(const std::string& refund_id, const std::optional<IdempotencyRecord>& key);

 private:
  Database& database_;
};

}  // namespace payments::store
