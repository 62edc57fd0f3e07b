#pragma once
// What the worker needs from wherever refunds are kept (RefundRepository, or the unit tests' fake), and the
// refund record. Beside the payment store for the reason given in payment_store.hpp.

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "payments/core/refund.hpp"
#include "payments/store/payment_store.hpp"

namespace payments::store {

struct RefundRecord {
  std::string id;
  std::string payment_id;
  std::string merchant_id;  // always the payment's
  // What the caller asked for, as asked: minor units of the payment's currency (a caller names no currency).
  // None: everything not yet refunded.
  std::optional<std::int64_t> requested_amount;
  // What is refunded, in the payment's currency: decided when the refund is reserved, zero until then. None only
  // for a refund refused because its payment was not found: there is no currency to count in (stored as '').
  std::optional<Money> amount;
  std::optional<std::string> reason;
  RefundStatus status = RefundStatus::pending;
  bool reserved = false;
  int version = 0;
  std::string request_hash;
  std::string stripe_refund_id;
  std::string stripe_idempotency_key;
  std::string failure_code;
  std::string failure_message;
  std::string created_at;
  std::string updated_at;
};

// Builds the event a settled refund owes, from the payment and refund as they are after the change.
using RefundEventFactory = std::function<std::optional<OutboxEvent>(const PaymentRecord&, const RefundRecord&)>;

// The refund operations of command processing; see RefundRepository for what each guarantees.
class RefundStore {
 public:
  struct Reservation {
    RefundRecord refund;      // as it stands after the call
    bool newly_decided = false;
  };

  virtual ~RefundStore() = default;

  virtual Result<std::optional<RefundRecord>> find(const std::string& refund_id) = 0;
  virtual Result<std::optional<RefundRecord>> find_by_stripe_id(const std::string& stripe_refund_id) = 0;
  virtual Result<std::vector<RefundRecord>> for_payment(const std::string& payment_id) = 0;
  // `proposed`'s amount is not read: a refund counts in its payment's currency, which the store takes from the
  // payment it locks.
  virtual Result<Reservation> reserve(const RefundRecord& proposed, const RefundEventFactory& on_rejected) = 0;
  virtual Status note_stripe_refund(const std::string& refund_id, const std::string& stripe_refund_id) = 0;
  virtual Result<bool> settle(const std::string& refund_id, RefundStatus outcome,
                              const std::string& stripe_refund_id, const std::string& failure_code,
                              const std::string& failure_message, const RefundEventFactory& event) = 0;
  virtual Result<std::vector<RefundRecord>> claim_for_check(std::chrono::seconds min_age, int limit,
                                                            std::chrono::seconds first_retry,
                                                            std::chrono::seconds max_retry) = 0;

 protected:
  RefundStore() = default;
  RefundStore(const RefundStore&) = default;
  RefundStore& operator=(const RefundStore&) = default;
};

}  // namespace payments::store
