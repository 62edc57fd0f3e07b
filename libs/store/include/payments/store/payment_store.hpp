#pragma once
// What the worker needs from wherever payments are kept, and the records it speaks in. PaymentRepository
// (MySQL through SOCI) implements it; the unit tests use an in-memory fake (tests/unit/worker/fakes.hpp).
//
// The interface lives here, in the store library, rather than in core or the worker: its words are the
// store's (a row's version for compare-and-set, the outbox, processed commands), which the domain in core
// does not know, and the store's own header can then implement it without depending on its users. This
// header includes nothing of SOCI or the database.

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "payments/core/money.hpp"
#include "payments/core/payment.hpp"
#include "payments/core/payment_request.hpp"
#include "payments/core/result.hpp"

namespace payments::store {

// A dispute (chargeback) Stripe reported on the payment's charge.
struct PaymentDispute {
  std::string id;  // dp_...
  std::string status;
  std::string reason;
  Money amount;             // stored as minor units only: read back in the payment's currency
  std::string disputed_at;  // RFC 3339 UTC, when this service learnt of it
};

// Built with its amounts given (`PaymentRecord{.amount = ..., .amount_refunded = ...}`), as pending_payment and
// the repositories' row readers do: there is no amount without a currency.
struct PaymentRecord {
  std::string id;
  std::string merchant_id;  // who created it; nobody else may read or move it
  // The credential that created it through the API (an API key's id, or jwt:<sub>); empty for commands
  // produced straight to Kafka. Counts its declines (API_DECLINE_LIMIT).
  std::string credential_id;
  std::string order_id;
  Money amount;
  std::string payment_method;
  std::optional<std::string> customer_id;
  std::optional<std::string> description;
  std::string request_json;  // the canonical payment.create data
  PaymentStatus status = PaymentStatus::pending;
  int version = 0;
  std::string request_hash;
  std::string stripe_payment_intent_id;
  std::string stripe_idempotency_key;
  std::string failure_code;
  std::string failure_decline_code;
  std::string failure_message;
  std::string next_action_url;
  Money amount_refunded;  // what its succeeded refunds add up to, in `amount`'s currency
  std::string created_at;  // RFC 3339 UTC
  std::string updated_at;
  std::optional<PaymentDispute> dispute;
};

// A new payment's first row (status pending) from its validated request; `request_json` and `request_hash`
// are the request's canonical JSON and fingerprint.
PaymentRecord pending_payment(std::string payment_id, std::string merchant_id, const PaymentRequest& request,
                              std::string request_json, std::string request_hash);

struct IdempotencyRecord {
  std::string merchant_id;  // keys are per merchant: two merchants' equal keys never meet
  std::string scope;        // which endpoint the key belongs to, e.g. "payments.create"
  std::string key;
  std::string request_hash;
  std::string resource_id;
  int response_status = 0;
  std::string response_body;
};

// How creating something under an optional idempotency key ended.
enum class CreateOutcome {
  created,          // written, with its key
  replayed,         // the key was used before with the same request: `previous` holds the first answer
  conflict,         // the key was used before with another request: nothing written
  exists,           // the id is taken: nothing written
  payment_missing,  // (refunds) no such payment: nothing written
};
struct CreateResult {
  CreateOutcome outcome = CreateOutcome::created;
  std::optional<IdempotencyRecord> previous;
};

struct OutboxEvent {
  std::string event_id;
  std::string payment_id;
  std::string topic;
  std::string payload;
};

// A status change: from the version read, to a new status, with the fields that change alongside.
struct Transition {
  std::string payment_id;
  int expected_version = 0;
  PaymentStatus to = PaymentStatus::pending;
  std::optional<std::string> stripe_payment_intent_id;
  std::optional<std::string> stripe_idempotency_key;
  std::optional<std::string> failure_code;
  std::optional<std::string> failure_decline_code;
  std::optional<std::string> failure_message;
  std::optional<std::string> next_action_url;
  std::optional<OutboxEvent> event;
};

// The payment as `transition` leaves it: status, version and the fields it sets (timestamps unchanged).
PaymentRecord after(PaymentRecord from, const Transition& transition);

struct ProcessedCommand {
  std::string command_id;
  std::string payment_id;
  std::string type;
  std::string outcome;
};

// One compare-and-set of a batch (see PaymentRepository::apply_all): `transition` over `from` as read, with
// the command it completes.
struct TransitionWrite {
  PaymentRecord from;
  Transition transition;
  std::optional<ProcessedCommand> command;
};

// A payment to create, with the idempotency key it is created under, if any.
struct NewPayment {
  PaymentRecord payment;
  std::optional<IdempotencyRecord> key;
};

// A command's first read: whether it was applied already, and its payment as it stands.
struct CommandLookup {
  bool processed = false;
  std::optional<PaymentRecord> payment;
};

// The payment operations of command processing (see PaymentRepository for what each guarantees: every
// status write a compare-and-set on the version read, with its event and command in the same commit).
class PaymentStore {
 public:
  virtual ~PaymentStore() = default;

  virtual Result<std::optional<PaymentRecord>> find(const std::string& payment_id) = 0;
  virtual Result<std::vector<CommandLookup>> lookup_all(
      const std::vector<std::pair<std::string, std::string>>& commands) = 0;
  virtual std::vector<Result<CreateResult>> create_all(const std::vector<NewPayment>& payments) = 0;
  virtual std::vector<Result<bool>> apply_all(const std::vector<TransitionWrite>& writes) = 0;
  virtual Result<bool> record_dispute(const std::string& payment_id, const PaymentDispute& dispute) = 0;
  virtual Result<std::vector<PaymentRecord>> claim_for_check(PaymentStatus status, std::chrono::seconds min_age,
                                                             int limit, std::chrono::seconds first_retry,
                                                             std::chrono::seconds max_retry) = 0;
  virtual Result<bool> is_processed(const std::string& command_id) = 0;
  virtual Status record_processed(const ProcessedCommand& command) = 0;
  virtual Result<std::vector<OutboxEvent>> unpublished_events(const std::string& payment_id) = 0;
  virtual Result<std::vector<OutboxEvent>> stale_unpublished_events(std::chrono::seconds min_age, int limit) = 0;
  virtual Status mark_published(const std::string& event_id) = 0;
  virtual Status mark_published(const std::vector<std::string>& event_ids) = 0;

 protected:
  PaymentStore() = default;
  PaymentStore(const PaymentStore&) = default;
  PaymentStore& operator=(const PaymentStore&) = default;
};

}  // namespace payments::store
