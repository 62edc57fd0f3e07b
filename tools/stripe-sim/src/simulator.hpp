#pragma once
// The Stripe API subset the worker uses, as pure request -> response logic with no sockets:
// payment intents, refunds, idempotency keys, the test payment methods and Stripe's error objects.
// Thread-safe: one mutex guards all state.

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace payments::stripe_sim {

struct ApiRequest {
  std::string method;  // "GET", "POST"
  std::string path;    // "/v1/payment_intents/pi_123/cancel"
  std::string query;   // raw query string, without '?'
  std::string body;    // form-encoded
  std::optional<std::string> authorization;    // the Authorization header
  std::optional<std::string> idempotency_key;  // the Idempotency-Key header
};

struct ApiResponse {
  int status = 200;
  std::string body;  // JSON
  std::vector<std::pair<std::string, std::string>> headers;
};

// What changed, for the webhook sender: Stripe's event type, the object as the API returns it, and when.
struct SimEvent {
  std::string type;  // "payment_intent.succeeded", "refund.failed", ...
  std::string object_json;
  std::int64_t created = 0;  // unix seconds, from the simulator's clock
};

using Metadata = std::vector<std::pair<std::string, std::string>>;

// The error Stripe reports for a card: inside a 402 answer and as an intent's last_payment_error.
struct CardError {
  std::string type = "card_error";
  std::string code;
  std::string decline_code;
  std::string message;
  std::string param;
  std::string charge;
  std::string payment_method;
};

struct PaymentIntent {
  std::string id;
  std::int64_t amount = 0;
  std::int64_t amount_received = 0;
  std::int64_t amount_capturable = 0;
  std::string currency;
  std::string status;
  std::string payment_method;  // empty: null
  std::string latest_charge;   // empty: null
  std::string customer;
  std::string description;
  std::string capture_method = "automatic";
  std::string client_secret;
  Metadata metadata;
  std::string redirect_url;  // set while requires_action
  std::string return_url;
  std::optional<CardError> last_payment_error;
  std::int64_t created = 0;
  std::optional<std::int64_t> canceled_at;
  std::string cancellation_reason;
  std::string idempotency_key;  // of the request that created it
  bool refund_fails = false;    // paid with pm_card_refundFail
};

// A charge that moved money, as /_sim/charges reports it.
struct Charge {
  std::string id;
  std::string payment_intent;
  std::int64_t amount = 0;
  std::string currency;
  std::string payment_method;
  Metadata metadata;
  std::string idempotency_key;
  std::int64_t created = 0;
};

struct Refund {
  std::string id;
  std::string payment_intent;
  std::string charge;
  std::int64_t amount = 0;
  std::string currency;
  std::string status;  // pending, succeeded, failed, canceled
  std::string reason;  // empty: null
  std::string failure_reason;
  Metadata metadata;
  std::int64_t created = 0;
  std::string idempotency_key;
};

// A chargeback opened on a charge, as /_sim/payment_intents/{id}/dispute records it. Stripe allows one per charge.
struct Dispute {
  std::string id;  // dp_...
  std::string charge;
  std::string payment_intent;
  std::int64_t amount = 0;
  std::string currency;
  std::string reason;  // fraudulent, product_not_received, ...
  std::string status;  // needs_response
  std::int64_t created = 0;
};

// `{"error": {"type", "code", "message", "param"}}` with the given HTTP status, as Stripe writes errors.
ApiResponse make_stripe_error(int status, std::string_view type, std::string_view code, std::string_view message,
                              std::string_view param = {});

struct SimulatorOptions {
  std::uint64_t seed = 0;                  // for generated ids
  std::function<std::int64_t()> clock;     // unix seconds; the system clock when empty
  std::string public_base_url = "http://127.0.0.1:12111";  // where 3-D Secure redirects point
};

class StripeSimulator {
 public:
  explicit StripeSimulator(SimulatorOptions options = {});

  // One whole API call: authentication, idempotency, the operation.
  ApiResponse handle(const ApiRequest& request);

  // The same in two steps, so a caller can keep the idempotency key "in flight" (a concurrent
  // duplicate gets 409) while it delays the answer; complete() stores the answer for the key.
  struct Pending {
    ApiResponse response;
    std::string scope;  // api key + idempotency key; empty when no key was claimed
    bool store = false;
    // The operation ran. False when the idempotency layer answered alone (a replay, 409, idempotency_error):
    // such an answer recorded nothing, so the frontend never withholds it as a "timeout".
    bool executed = false;
  };
  Pending begin(const ApiRequest& request);
  ApiResponse complete(Pending pending);

  // 401 with Stripe's error object unless `authorization` is "Bearer sk_test_..." (or rk_test_).
  [[nodiscard]] std::optional<ApiResponse> authenticate(const std::optional<std::string>& authorization) const;

  // Test control (the /_sim/ endpoints).
  void note_request(std::string_view method, std::string_view path);
  [[nodiscard]] std::string charges_json() const;
  [[nodiscard]] std::string refunds_json() const;
  [[nodiscard]] std::string disputes_json() const;
  [[nodiscard]] std::string requests_json() const;
  [[nodiscard]] std::size_t charge_count() const;
  void reset();
  // Finishes 3-D Secure for a payment intent in requires_action: succeeds, or fails authentication.
  ApiResponse authenticate_payment_intent(std::string_view id, bool succeed);
  // Turns a succeeded (or pending) refund into a failed one, as Stripe does for pm_card_refundFail.
  ApiResponse fail_refund(std::string_view id, std::string_view failure_reason);
  // Opens a dispute (chargeback) on a succeeded payment intent's charge and emits charge.dispute.created.
  // `reason` empty: fraudulent; `amount` absent: the whole amount received.
  ApiResponse dispute_payment_intent(std::string_view id, std::string_view reason,
                                     const std::optional<std::string>& amount);
  void set_public_base_url(std::string url);
  void set_event_listener(std::function<void(const SimEvent&)> listener);

 private:
  struct IdempotencyEntry {
    std::string fingerprint;
    bool in_flight = true;
    ApiResponse response;
  };

  ApiResponse route(const ApiRequest& request, const std::string& api_key, const std::string& idempotency_key);
  ApiResponse create_payment_intent(const ApiRequest& request, const std::string& idempotency_key);
  ApiResponse cancel_payment_intent(std::string_view id, const ApiRequest& request);
  ApiResponse capture_payment_intent(std::string_view id, const ApiRequest& request,
                                     const std::string& idempotency_key);
  ApiResponse search_payment_intents(const ApiRequest& request);
  ApiResponse create_refund(const ApiRequest& request, const std::string& idempotency_key);
  // What the refunds of this payment intent that did not fail add up to (pending ones included).
  [[nodiscard]] std::int64_t refunded_amount(const std::string& payment_intent_id) const;
  [[nodiscard]] const Charge& charge_of(const PaymentIntent& pi) const;
  std::string new_id(std::string_view prefix, std::size_t length);
  std::int64_t now() const;
  void emit(std::string type, std::string object_json);
  void flush_events(std::unique_lock<std::mutex>& lock);

  SimulatorOptions options_;
  mutable std::mutex mutex_;
  std::mt19937_64 random_;
  std::map<std::string, PaymentIntent> intents_;
  std::vector<std::string> intent_order_;  // ids in creation order
  std::map<std::string, Refund> refunds_;
  std::vector<std::string> refund_order_;
  std::vector<Charge> charges_;
  std::vector<Dispute> disputes_;
  std::map<std::string, IdempotencyEntry> idempotency_;
  std::map<std::string, std::int64_t> request_counts_;
  std::vector<SimEvent> pending_events_;
  std::function<void(const SimEvent&)> listener_;
};

}  // namespace payments::stripe_sim
