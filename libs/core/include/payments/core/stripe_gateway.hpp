#pragma once
// What the payments domain needs from Stripe: create-and-confirm a PaymentIntent, look intents up, cancel
// them, refund them. Asynchronous and callback-based so the domain stays free of any I/O library; the real
// implementation is payments::stripe::StripeClient (libs/stripe), tests use fakes.

#include <cassert>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "payments/core/money.hpp"
#include "payments/core/result.hpp"

namespace payments {

// How a failed Stripe call should be treated. Every failure is classified exactly once, here.
enum class StripeFailureKind {
  declined,              // card_error: the bank or Stripe's fraud rules refused; final for this attempt
  invalid_request,       // our request is wrong (bad parameter, state does not allow it); do not retry as is
  not_found,             // the object does not exist (404 resource_missing)
  idempotency_conflict,  // the idempotency key was used before with different parameters
  authentication,        // bad or unauthorized API key (401/403); an operator must act
  rate_limited,          // 429: retry later with the same idempotency key
  transient,             // network failure before the request was sent, 5xx, 409 lock: retry with the same key
  unknown_outcome,       // the request was sent but no answer came: the charge may or may not exist
};

std::string_view to_string(StripeFailureKind kind) noexcept;

struct PaymentIntent;

// Stripe's error object plus what our client knows about the call.
struct StripeError {
  int http_status = 0;  // 0 = no response (network error or timeout)
  std::string type;     // api_error, card_error, idempotency_error, invalid_request_error, or ours:
                        // api_connection_error (no response), invalid_response (unparseable answer)
  std::string code;
  std::string decline_code;
  std::string message;  // never contains the API key
  std::string param;
  std::string request_id;  // Stripe's Request-Id header, for support tickets
  StripeFailureKind kind = StripeFailureKind::transient;
  bool retryable = true;  // retrying later with the same idempotency key is safe and may succeed
  // For a card decline Stripe returns the PaymentIntent inside the error (now requires_payment_method).
  std::shared_ptr<const PaymentIntent> payment_intent;
};

// Classifies a Stripe error response (http_status != 0) from its status and error object.
StripeFailureKind classify_stripe_error(int http_status, std::string_view type, std::string_view code) noexcept;
// Whether a failure of this kind is worth retrying later with the same idempotency key.
bool is_retryable(StripeFailureKind kind) noexcept;

// Fills `kind` and `retryable` from the other fields (http_status 0 becomes `transient`).
void classify(StripeError& error) noexcept;

struct PaymentIntentRequest {
  Money amount;
  std::string payment_method;  // pm_... or tok_...
  std::string payment_id;      // sent as metadata[payment_id]; what search_payment_intents_by_metadata finds
  std::string order_id;        // sent as metadata[order_id]
  std::optional<std::string> customer;
  std::optional<std::string> description;
  std::optional<std::string> return_url;  // where 3-D Secure redirects back to; without it only cards are offered
  std::vector<std::pair<std::string, std::string>> metadata;  // extra metadata; keys must not contain '[' or ']'
  std::string idempotency_key;  // empty: the client generates one (then reused on its own retries only)
};

struct PaymentIntent {
  std::string id;
  std::string status;  // Stripe's string: requires_payment_method, requires_action, processing, succeeded, ...
  Money amount;        // amount and currency, parsed where Stripe's answer is read
  std::optional<std::string> redirect_url;  // next_action.redirect_to_url.url
  std::optional<StripeError> last_payment_error;
  std::string latest_charge;  // empty when none
  std::string cancellation_reason;  // when canceled: abandoned, duplicate, fraudulent, requested_by_customer, ...
  bool livemode = false;
  std::string metadata_payment_id;   // metadata[payment_id] and metadata[merchant_id], which this service sets
  std::string metadata_merchant_id;
};

struct RefundRequest {
  std::string payment_intent;
  std::optional<Money> amount;         // none: everything not yet refunded
  std::optional<std::string> reason;   // duplicate, fraudulent, requested_by_customer
  std::vector<std::pair<std::string, std::string>> metadata;
  std::string idempotency_key;
};

struct Refund {
  std::string id;
  std::string status;  // pending, requires_action, succeeded, failed, canceled
  Money amount;
  std::string payment_intent;
  std::string failure_reason;  // empty when none
};

struct Dispute {
  std::string id;      // dp_...
  std::string status;  // warning_needs_response, needs_response, under_review, won, lost, ...
  std::string reason;  // fraudulent, product_not_received, ...
  Money amount;
  std::string payment_intent;
  std::string charge;
};

// A Stripe event as delivered to a webhook endpoint: its envelope, and what identifies the payment and refund
// its object concerns.
struct StripeEvent {
  std::string id;            // evt_...
  std::string type;          // payment_intent.succeeded, charge.refunded, ...
  std::int64_t created = 0;  // unix seconds
  std::string object_type;   // data.object.object: payment_intent, charge, refund, dispute
  std::string object_id;
  std::string payment_intent;       // the object itself when it is a payment_intent, else its payment_intent
  std::string metadata_payment_id;  // data.object.metadata.payment_id, which this service sets
  std::string metadata_refund_id;   // data.object.metadata.refund_id (refunds)
  std::string object_json;          // data.object, serialized
};

// What this service does with a Stripe event, by its type: the one place that decides which events the
// webhook endpoint takes in (everything but `unused`) and how the worker applies them.
enum class StripeEventUse {
  intent_update,    // payment_intent.succeeded / payment_failed / canceled / requires_action: settle the payment
  refund_update,    // refund.created / refund.updated / charge.refund.updated / refund.failed: settle the refund
  charge_refunded,  // charge.refunded: look up the payment's pending refunds
  dispute_created,  // charge.dispute.created: record the dispute
  unused,           // anything else: acknowledged and dropped
};
StripeEventUse stripe_event_use(std::string_view type) noexcept;

// Where a PaymentIntent stands, as the worker needs to know it.
enum class IntentProgress {
  succeeded,         // money captured
  requires_capture,  // authorized (capture_method=manual)
  processing,        // Stripe is still working; ask again later
  requires_action,   // customer must authenticate (3-D Secure): see redirect_url
  failed,            // requires_payment_method after a failed attempt (last_payment_error set)
  incomplete,        // requires_payment_method / requires_confirmation with no attempt made yet
  canceled,
  unknown,           // a status this code does not know
};
IntentProgress classify_payment_intent(const PaymentIntent& intent) noexcept;
std::string_view to_string(IntentProgress progress) noexcept;

enum class RefundProgress { pending, succeeded, failed };
// pending and requires_action are pending; failed and canceled are failed; anything unknown stays pending.
RefundProgress classify_refund(const Refund& refund) noexcept;

// A value or a StripeError: Result with Stripe's richer error.
template <typename T>
using StripeResult = Result<T, StripeError>;

template <typename T>
using StripeCallback = std::function<void(StripeResult<T>)>;

// Every call completes by invoking `done` exactly once, never inline from the call itself. Calls that
// create or change objects carry an idempotency key: retrying with the same key never charges twice.
class StripeGateway {
 public:
  virtual ~StripeGateway() = default;

  // POST /v1/payment_intents with confirm=true: creates and confirms in one request.
  virtual void create_payment_intent(PaymentIntentRequest request, StripeCallback<PaymentIntent> done) = 0;
  // GET /v1/payment_intents/{id}
  virtual void retrieve_payment_intent(std::string id, StripeCallback<PaymentIntent> done) = 0;
  // POST /v1/payment_intents/{id}/cancel; `reason` is Stripe's cancellation_reason (abandoned, duplicate,
  // fraudulent, requested_by_customer), empty for none.
  virtual void cancel_payment_intent(std::string id, std::string reason, std::string idempotency_key,
                                     StripeCallback<PaymentIntent> done) = 0;
  // GET /v1/payment_intents/search?query=metadata['key']:'value'. Stripe's search index lags writes by up
  // to about a minute, so an empty answer right after a timeout does not prove no intent exists.
  virtual void search_payment_intents_by_metadata(std::string key, std::string value,
                                                  StripeCallback<std::vector<PaymentIntent>> done) = 0;
  // POST /v1/refunds
  virtual void create_refund(RefundRequest request, StripeCallback<Refund> done) = 0;
  // GET /v1/refunds/{id}
  virtual void retrieve_refund(std::string id, StripeCallback<Refund> done) = 0;
};

}  // namespace payments
