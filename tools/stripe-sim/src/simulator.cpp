#include "simulator.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "form.hpp"
#include "payments/core/currency.hpp"
#include "payments/core/money.hpp"
#include "stripe_json.hpp"
#include "test_cards.hpp"

namespace payments::stripe_sim {
namespace {

constexpr std::size_t kMaxIdempotencyKeyLength = 255;
constexpr std::size_t kMaxMetadataKeys = 50;
constexpr std::size_t kMaxMetadataKeyLength = 40;
constexpr std::size_t kMaxMetadataValueLength = 500;

// ---- Parameter parsing ---------------------------------------------------------------------------

std::optional<std::int64_t> parse_integer(std::string_view text) {
  std::int64_t value = 0;
  const auto* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc{} || ptr != end || text.empty()) return std::nullopt;
  return value;
}

std::string_view base_name(std::string_view name) { return name.substr(0, name.find('[')); }

std::optional<ApiResponse> reject_unknown(const FormParams& params, std::initializer_list<std::string_view> allowed) {
  for (const auto& [name, value] : params.all()) {
    const auto base = base_name(name);
    if (std::find(allowed.begin(), allowed.end(), base) == allowed.end()) {
      return invalid_request("Received unknown parameter: " + name, name, "parameter_unknown");
    }
  }
  return std::nullopt;
}

std::optional<ApiResponse> check_metadata(const Metadata& metadata) {
  if (metadata.size() > kMaxMetadataKeys) {
    return invalid_request("Metadata can have at most 50 keys.", "metadata");
  }
  for (const auto& [k, v] : metadata) {
    if (k.empty() || k.size() > kMaxMetadataKeyLength) {
      return invalid_request("Metadata keys must be 1 to 40 characters long.", "metadata[" + k + "]");
    }
    if (v.size() > kMaxMetadataValueLength) {
      return invalid_request("Metadata values can have up to 500 characters.", "metadata[" + k + "]");
    }
  }
  return std::nullopt;
}

std::optional<ApiResponse> parse_amount(const std::optional<std::string>& text, std::string_view param,
                                        std::int64_t& out) {
  const auto value = parse_integer(*text);
  if (!value) return invalid_request("Invalid integer: " + *text, param, "parameter_invalid_integer");
  out = *value;
  return std::nullopt;
}

FormParams params_of(const ApiRequest& request) {
  auto params = FormParams::parse(request.query);
  params.append(FormParams::parse(request.body));
  return params;
}

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> parts;
  while (!path.empty()) {
    const auto slash = path.find('/');
    const auto part = path.substr(0, slash);
    if (!part.empty()) parts.push_back(part);
    if (slash == std::string_view::npos) break;
    path = path.substr(slash + 1);
  }
  return parts;
}

// `metadata['key']:'value'` (single or double quotes), the one search form the simulator understands.
std::optional<std::pair<std::string, std::string>> parse_metadata_query(std::string_view query) {
  auto quoted = [](std::string_view& text) -> std::optional<std::string> {
    if (text.empty() || (text.front() != '\'' && text.front() != '"')) return std::nullopt;
    const char quote = text.front();
    const auto end = text.find(quote, 1);
    if (end == std::string_view::npos) return std::nullopt;
    std::string value(text.substr(1, end - 1));
    text.remove_prefix(end + 1);
    return value;
  };
  while (!query.empty() && query.front() == ' ') query.remove_prefix(1);
  while (!query.empty() && query.back() == ' ') query.remove_suffix(1);
  constexpr std::string_view kPrefix = "metadata[";
  if (query.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
  query.remove_prefix(kPrefix.size());
  auto k = quoted(query);
  if (!k || query.substr(0, 2) != "]:") return std::nullopt;
  query.remove_prefix(2);
  auto v = quoted(query);
  if (!v || !query.empty()) return std::nullopt;
  return std::make_pair(std::move(*k), std::move(*v));
}

bool starts_with(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

std::optional<std::string> api_key_of(const std::optional<std::string>& authorization) {
  if (!authorization) return std::nullopt;
  std::string_view value(*authorization);
  constexpr std::string_view kBearer = "bearer ";
  if (value.size() <= kBearer.size()) return std::nullopt;
  std::string scheme(value.substr(0, kBearer.size()));
  std::transform(scheme.begin(), scheme.end(), scheme.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (scheme != kBearer) return std::nullopt;
  value.remove_prefix(kBearer.size());
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  return std::string(value);
}

std::string redact_key(std::string_view key) {
  if (key.size() <= 12) return std::string(key.substr(0, std::min<std::size_t>(key.size(), 3))) + "*****";
  return std::string(key.substr(0, 8)) + "*****" + std::string(key.substr(key.size() - 4));
}

// The reasons Stripe gives a dispute.
bool valid_dispute_reason(std::string_view reason) {
  static constexpr std::array<std::string_view, 14> kReasons = {
      "bank_cannot_process", "check_returned",       "credit_not_processed",
      "customer_initiated",  "debit_not_authorized", "duplicate",
      "fraudulent",          "general",              "incorrect_account_details",
      "insufficient_funds",  "product_not_received", "product_unacceptable",
      "subscription_canceled", "unrecognized"};
  return std::find(kReasons.begin(), kReasons.end(), reason) != kReasons.end();
}

bool cancelable(std::string_view status) {
  return status == "requires_payment_method" || status == "requires_capture" ||
         status == "requires_confirmation" || status == "requires_action" || status == "processing";
}

}  // namespace

// ---- StripeSimulator -----------------------------------------------------------------------------

StripeSimulator::StripeSimulator(SimulatorOptions options)
    : options_(std::move(options)), random_(options_.seed) {}

std::int64_t StripeSimulator::now() const {
  if (options_.clock) return options_.clock();
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string StripeSimulator::new_id(std::string_view prefix, std::size_t length) {
  static constexpr std::string_view kAlphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  std::uniform_int_distribution<std::size_t> pick(0, kAlphabet.size() - 1);
  std::string id(prefix);
  for (std::size_t i = 0; i < length; ++i) id.push_back(kAlphabet[pick(random_)]);
  return id;
}

void StripeSimulator::emit(std::string type, std::string object_json) {
  if (listener_) pending_events_.push_back({std::move(type), std::move(object_json), now()});
}

void StripeSimulator::flush_events(std::unique_lock<std::mutex>& lock) {
  auto events = std::move(pending_events_);
  pending_events_.clear();
  auto listener = listener_;
  lock.unlock();
  if (!listener) return;
  for (const auto& event : events) listener(event);
}

std::optional<ApiResponse> StripeSimulator::authenticate(const std::optional<std::string>& authorization) const {
  if (!authorization || authorization->empty()) {
    auto response = make_stripe_error(
        401, "invalid_request_error", {},
        "You did not provide an API key. You need to provide your API key in the Authorization header, using "
        "Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication "
        "for details, or we can help at https://support.stripe.com/.");
    response.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"Stripe\"");
    return response;
  }
  const auto api_key = api_key_of(authorization);
  if (!api_key || !(starts_with(*api_key, "sk_test_") || starts_with(*api_key, "rk_test_")) ||
      api_key->size() <= 8) {
    auto response = make_stripe_error(401, "invalid_request_error", {},
                                 "Invalid API Key provided: " + redact_key(api_key.value_or("")) +
                                     " (the simulator accepts 'Authorization: Bearer sk_test_...')");
    response.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"Stripe\"");
    return response;
  }
  return std::nullopt;
}

ApiResponse StripeSimulator::handle(const ApiRequest& request) { return complete(begin(request)); }

StripeSimulator::Pending StripeSimulator::begin(const ApiRequest& request) {
  if (auto denied = authenticate(request.authorization)) return {std::move(*denied), {}, false};
  const std::string api_key = *api_key_of(request.authorization);

  std::unique_lock lock(mutex_);
  const std::string request_id = new_id("req_", 14);
  auto with_request_id = [&](ApiResponse response) {
    response.headers.emplace_back("Request-Id", request_id);
    return response;
  };
  std::string scope;
  std::string idempotency_key;
  // GET is idempotent by definition: Stripe ignores the header there.
  if (request.method == "POST" && request.idempotency_key && !request.idempotency_key->empty()) {
    idempotency_key = *request.idempotency_key;
    if (idempotency_key.size() > kMaxIdempotencyKeyLength) {
      return {with_request_id(invalid_request(
                  "Idempotency-Key can be at most 255 characters long; the one sent has " +
                  std::to_string(idempotency_key.size()) + ".")),
              {},
              false};
    }
    scope = api_key + '\n' + idempotency_key;
    const std::string fingerprint = request.method + ' ' + request.path + '\n' + params_of(request).fingerprint();
    if (auto found = idempotency_.find(scope); found != idempotency_.end()) {
      const auto& entry = found->second;
      if (entry.in_flight) {
        return {with_request_id(make_stripe_error(
                    409, "idempotency_error", "idempotency_key_in_use",
                    "There is currently another in-progress request using this Idempotency-Key (that probably "
                    "means you submitted twice, and the other request is still going through): " +
                        idempotency_key + ". Please try again later.")),
                {},
                false};
      }
      if (entry.fingerprint != fingerprint) {
        return {with_request_id(make_stripe_error(
                    400, "idempotency_error", {},
                    "Keys for idempotent requests can only be used with the same parameters they were first used "
                    "with. Try using a key other than '" +
                        idempotency_key + "' if you meant to execute a different request.")),
                {},
                false};
      }
      auto replay = entry.response;
      replay.headers.emplace_back("Idempotent-Replayed", "true");
      replay.headers.emplace_back("Idempotency-Key", idempotency_key);
      return {with_request_id(std::move(replay)), {}, false};
    }
    idempotency_.emplace(scope, IdempotencyEntry{fingerprint, true, {}});
  }

  auto response = route(request, api_key, idempotency_key);
  // Like Stripe, keep the answer of a request that started executing (successes, card errors, 500s);
  // a request refused on its parameters saves nothing and may be retried with the same key.
  const bool store = !scope.empty() && (response.status < 400 || response.status == 402 || response.status >= 500);
  if (!scope.empty()) {
    response.headers.emplace_back("Original-Request", request_id);
    response.headers.emplace_back("Idempotency-Key", idempotency_key);
  }
  response.headers.emplace_back("Request-Id", request_id);
  flush_events(lock);
  return {std::move(response), std::move(scope), store, true};
}

ApiResponse StripeSimulator::complete(Pending pending) {
  if (pending.scope.empty()) return std::move(pending.response);
  std::lock_guard lock(mutex_);
  auto found = idempotency_.find(pending.scope);
  if (found != idempotency_.end()) {
    if (pending.store) {
      found->second.in_flight = false;
      found->second.response = pending.response;
      auto& headers = found->second.response.headers;
      std::erase_if(headers, [](const auto& h) { return h.first == "Request-Id" || h.first == "Idempotency-Key"; });
    } else {
      idempotency_.erase(found);
    }
  }
  return std::move(pending.response);
}

ApiResponse StripeSimulator::route(const ApiRequest& request, const std::string& /*api_key*/,
                                   const std::string& idempotency_key) {
  const auto parts = split_path(request.path);
  const bool get = request.method == "GET";
  const bool post = request.method == "POST";
  if (parts.size() >= 2 && parts[0] == "v1" && parts[1] == "payment_intents") {
    if (parts.size() == 2 && post) return create_payment_intent(request, idempotency_key);
    if (parts.size() == 3 && get && parts[2] == "search") return search_payment_intents(request);
    if (parts.size() == 3 && get) {
      const auto found = intents_.find(std::string(parts[2]));
      if (found == intents_.end()) return missing_object("payment_intent", parts[2], "intent", 404);
      return ok(payment_intent_json(found->second));
    }
    if (parts.size() == 4 && post && parts[3] == "cancel") return cancel_payment_intent(parts[2], request);
    if (parts.size() == 4 && post && parts[3] == "capture") {
      return capture_payment_intent(parts[2], request, idempotency_key);
    }
  }
  if (parts.size() >= 2 && parts[0] == "v1" && parts[1] == "refunds") {
    if (parts.size() == 2 && post) return create_refund(request, idempotency_key);
    if (parts.size() == 3 && get) {
      const auto found = refunds_.find(std::string(parts[2]));
      if (found == refunds_.end()) return missing_object("refund", parts[2], "id", 404);
      return ok(refund_json(found->second));
    }
  }
  return make_stripe_error(404, "invalid_request_error", {},
                      "Unrecognized request URL (" + request.method + ": " + request.path +
                          "). The simulator serves payment_intents and refunds only; see tools/stripe-sim/README.md.");
}

ApiResponse StripeSimulator::create_payment_intent(const ApiRequest& request, const std::string& idempotency_key) {
  const auto params = params_of(request);
  if (auto bad = reject_unknown(params, {"amount", "currency", "payment_method", "confirm", "customer", "description",
                                         "metadata", "capture_method", "return_url", "expand", "payment_method_types",
                                         "automatic_payment_methods", "off_session", "receipt_email",
                                         "statement_descriptor", "statement_descriptor_suffix",
                                         "confirmation_method", "error_on_requires_action", "setup_future_usage"})) {
    return *bad;
  }
  const auto amount_text = params.get("amount");
  if (!amount_text) return invalid_request("Missing required param: amount.", "amount", "parameter_missing");
  std::int64_t amount = 0;
  if (auto bad = parse_amount(amount_text, "amount", amount)) return *bad;
  const auto currency_text = params.get("currency");
  if (!currency_text) return invalid_request("Missing required param: currency.", "currency", "parameter_missing");
  const auto currency = Currency::from_code(*currency_text);
  if (!currency) {
    return invalid_request("Invalid currency: " + *currency_text +
                               ". The simulator supports these currencies: " + Currency::supported_codes() + ".",
                           "currency");
  }
  if (amount < 1) {
    return invalid_request("This value must be greater than or equal to 1.", "amount", "parameter_invalid_integer");
  }
  if (amount > kMaxAmountMinor) {
    return invalid_request("Amount must be no more than " +
                               Money::amount(kMaxAmountMinor, *currency).value().to_display() + ".",
                           "amount", "amount_too_large");
  }
  if (amount < currency->minimum_charge()) {
    return invalid_request("Amount must be at least " +
                               Money::amount(currency->minimum_charge(), *currency).value().to_display() + ".",
                           "amount", "amount_too_small");
  }
  if (currency->exponent() == 3 && amount % 10 != 0) {
    return invalid_request("Amounts in " + std::string(currency->code()) +
                               " must be a multiple of 10 (the last digit must be 0).",
                           "amount");
  }
  bool confirm = false;
  if (const auto text = params.get("confirm")) {
    if (*text != "true" && *text != "false") return invalid_request("Invalid boolean: " + *text, "confirm");
    confirm = *text == "true";
  }
  const auto capture_method = params.get("capture_method").value_or("automatic");
  if (capture_method != "automatic" && capture_method != "automatic_async" && capture_method != "manual") {
    return invalid_request("Invalid capture_method: must be one of automatic, automatic_async, or manual",
                           "capture_method");
  }
  const auto metadata = params.nested("metadata");
  if (auto bad = check_metadata(metadata)) return *bad;
  const auto payment_method = params.get("payment_method").value_or("");
  const TestCard* card = nullptr;
  if (!payment_method.empty()) {
    card = find_test_card(payment_method);
    if (!card) return missing_object("PaymentMethod", payment_method, "payment_method", 400);
  }
  if (confirm && !card) {
    return invalid_request("You cannot confirm this PaymentIntent because it's missing a payment method.",
                           "payment_method", "parameter_missing");
  }

  PaymentIntent pi;
  pi.id = new_id("pi_", 24);
  pi.client_secret = pi.id + "_secret_" + new_id("", 25);
  pi.amount = amount;
  pi.currency = std::string(currency->code());
  pi.payment_method = payment_method;
  pi.customer = params.get("customer").value_or("");
  pi.description = params.get("description").value_or("");
  pi.capture_method = capture_method;
  pi.metadata = metadata;
  pi.return_url = params.get("return_url").value_or("");
  pi.created = now();
  pi.idempotency_key = idempotency_key;
  pi.status = card ? "requires_confirmation" : "requires_payment_method";

  ApiResponse response;
  if (!confirm) {
    response = ok(payment_intent_json(pi));
    emit("payment_intent.created", response.body);
  } else if (card->outcome == CardOutcome::succeeds) {
    pi.latest_charge = new_id("ch_", 24);
    pi.refund_fails = card->refund_fails;
    if (capture_method == "manual") {
      pi.status = "requires_capture";
      pi.amount_capturable = amount;
    } else {
      pi.status = "succeeded";
      pi.amount_received = amount;
      charges_.push_back({pi.latest_charge, pi.id, amount, pi.currency, payment_method, metadata, idempotency_key,
                          pi.created});
    }
    response = ok(payment_intent_json(pi));
    emit(pi.status == "succeeded" ? "payment_intent.succeeded" : "payment_intent.amount_capturable_updated",
         response.body);
  } else if (card->outcome == CardOutcome::declines) {
    CardError error;
    error.code = std::string(card->code);
    error.decline_code = std::string(card->decline_code);
    error.message = std::string(card->message);
    error.param = std::string(card->param);
    error.charge = new_id("ch_", 24);
    error.payment_method = payment_method;
    pi.status = "requires_payment_method";
    pi.latest_charge = error.charge;
    pi.payment_method.clear();
    pi.last_payment_error = error;
    response = card_declined(error, pi);
    emit("payment_intent.payment_failed", payment_intent_json(pi));
  } else {
    pi.status = "requires_action";
    pi.redirect_url = options_.public_base_url + "/_sim/payment_intents/" + pi.id + "/authenticate";
    response = ok(payment_intent_json(pi));
    emit("payment_intent.requires_action", response.body);
  }
  intent_order_.push_back(pi.id);
  intents_.emplace(pi.id, std::move(pi));
  return response;
}

ApiResponse StripeSimulator::cancel_payment_intent(std::string_view id, const ApiRequest& request) {
  const auto params = params_of(request);
  if (auto bad = reject_unknown(params, {"cancellation_reason", "expand"})) return *bad;
  const auto found = intents_.find(std::string(id));
  if (found == intents_.end()) return missing_object("payment_intent", id, "intent", 404);
  auto& pi = found->second;
  const auto reason = params.get("cancellation_reason").value_or("");
  if (!reason.empty() && reason != "duplicate" && reason != "fraudulent" && reason != "requested_by_customer" &&
      reason != "abandoned") {
    return invalid_request("Invalid cancellation_reason: must be one of duplicate, fraudulent, "
                           "requested_by_customer, or abandoned",
                           "cancellation_reason");
  }
  if (!cancelable(pi.status)) {
    return invalid_request("You cannot cancel this PaymentIntent because it has a status of " + pi.status +
                               ". Only a PaymentIntent with one of the following statuses may be canceled: "
                               "requires_payment_method, requires_capture, requires_confirmation, requires_action, "
                               "processing.",
                           {}, "payment_intent_unexpected_state");
  }
  pi.status = "canceled";
  pi.canceled_at = now();
  pi.cancellation_reason = reason;
  pi.amount_capturable = 0;
  auto body = payment_intent_json(pi);
  emit("payment_intent.canceled", body);
  return ok(std::move(body));
}

ApiResponse StripeSimulator::capture_payment_intent(std::string_view id, const ApiRequest& request,
                                                    const std::string& /*idempotency_key*/) {
  const auto params = params_of(request);
  if (auto bad = reject_unknown(params, {"amount_to_capture", "metadata", "expand"})) return *bad;
  const auto found = intents_.find(std::string(id));
  if (found == intents_.end()) return missing_object("payment_intent", id, "intent", 404);
  auto& pi = found->second;
  if (pi.status != "requires_capture") {
    return invalid_request("This PaymentIntent could not be captured because it has a status of " + pi.status +
                               ". Only a PaymentIntent with one of the following statuses may be captured: "
                               "requires_capture.",
                           {}, "payment_intent_unexpected_state");
  }
  std::int64_t to_capture = pi.amount_capturable;
  if (const auto text = params.get("amount_to_capture")) {
    if (auto bad = parse_amount(text, "amount_to_capture", to_capture)) return *bad;
    if (to_capture < 1 || to_capture > pi.amount_capturable) {
      return invalid_request("The amount to capture must be between 1 and the amount capturable (" +
                                 std::to_string(pi.amount_capturable) + ").",
                             "amount_to_capture", "amount_too_large");
    }
  }
  pi.status = "succeeded";
  pi.amount_received = to_capture;
  pi.amount_capturable = 0;
  for (const auto& [k, v] : params.nested("metadata")) pi.metadata.emplace_back(k, v);
  charges_.push_back({pi.latest_charge, pi.id, to_capture, pi.currency, pi.payment_method, pi.metadata,
                      pi.idempotency_key, now()});
  auto body = payment_intent_json(pi);
  emit("payment_intent.succeeded", body);
  return ok(std::move(body));
}

ApiResponse StripeSimulator::search_payment_intents(const ApiRequest& request) {
  const auto params = FormParams::parse(request.query);
  const auto query = params.get("query");
  if (!query) return invalid_request("Missing required param: query.", "query", "parameter_missing");
  const auto term = parse_metadata_query(*query);
  if (!term) {
    return invalid_request("The simulator only understands queries of the form metadata['key']:'value'.", "query");
  }
  JsonOut out;
  out.w.StartObject();
  field(out.w, "object", "search_result");
  key(out.w, "data");
  out.w.StartArray();
  // Newest first, as Stripe orders search results.
  for (auto it = intent_order_.rbegin(); it != intent_order_.rend(); ++it) {
    const auto& pi = intents_.at(*it);
    const bool match = std::any_of(pi.metadata.begin(), pi.metadata.end(), [&](const auto& kv) {
      return kv.first == term->first && kv.second == term->second;
    });
    if (match) write_payment_intent(out.w, pi);
  }
  out.w.EndArray();
  key(out.w, "has_more");
  out.w.Bool(false);
  key(out.w, "next_page");
  out.w.Null();
  field(out.w, "url", "/v1/payment_intents/search");
  out.w.EndObject();
  return ok(out.str());
}

ApiResponse StripeSimulator::create_refund(const ApiRequest& request, const std::string& idempotency_key) {
  const auto params = params_of(request);
  if (auto bad = reject_unknown(params, {"payment_intent", "charge", "amount", "reason", "metadata", "expand",
                                         "instructions_email", "refund_application_fee", "reverse_transfer"})) {
    return *bad;
  }
  PaymentIntent* pi = nullptr;
  if (const auto id = params.get("payment_intent")) {
    const auto found = intents_.find(*id);
    if (found == intents_.end()) return missing_object("payment_intent", *id, "payment_intent", 400);
    pi = &found->second;
  } else if (const auto charge = params.get("charge")) {
    for (auto& entry : intents_) {
      if (entry.second.latest_charge == *charge && entry.second.status == "succeeded") pi = &entry.second;
    }
    if (!pi) return missing_object("charge", *charge, "charge", 400);
  } else {
    return invalid_request("One of the following params should be provided for this request: payment_intent or "
                           "charge.",
                           "payment_intent", "parameter_missing");
  }
  if (pi->status != "succeeded") {
    return invalid_request("This PaymentIntent (" + pi->id + ") does not have a successful charge to refund.",
                           "payment_intent", "payment_intent_unexpected_state");
  }
  const std::int64_t remaining = pi->amount_received - refunded_amount(pi->id);
  if (remaining <= 0) {
    return invalid_request("Charge " + pi->latest_charge + " has already been refunded.", {},
                           "charge_already_refunded");
  }
  std::int64_t amount = remaining;
  if (const auto text = params.get("amount")) {
    if (auto bad = parse_amount(text, "amount", amount)) return *bad;
    if (amount < 1) return invalid_request("Invalid positive integer", "amount", "parameter_invalid_integer");
    if (amount > remaining) {
      return invalid_request("Refund amount (" + std::to_string(amount) +
                                 ") is greater than unrefunded amount on charge (" + std::to_string(remaining) + ")",
                             "amount", "amount_too_large");
    }
  }
  const auto reason = params.get("reason").value_or("");
  if (!reason.empty() && reason != "duplicate" && reason != "fraudulent" && reason != "requested_by_customer") {
    return invalid_request("Invalid reason: must be one of duplicate, fraudulent, or requested_by_customer",
                           "reason");
  }
  const auto metadata = params.nested("metadata");
  if (auto bad = check_metadata(metadata)) return *bad;

  Refund refund;
  refund.id = new_id("re_", 24);
  refund.payment_intent = pi->id;
  refund.charge = pi->latest_charge;
  refund.amount = amount;
  refund.currency = pi->currency;
  // pm_card_refundFail too: Stripe shows such a refund as succeeded first and fails it later
  // (here: POST /_sim/refunds/{id}/fail).
  refund.status = "succeeded";
  refund.reason = reason;
  refund.metadata = metadata;
  refund.created = now();
  refund.idempotency_key = idempotency_key;
  auto body = refund_json(refund);
  refund_order_.push_back(refund.id);
  refunds_.emplace(refund.id, std::move(refund));
  emit("refund.created", body);
  // Like Stripe, charge.refunded carries the charge, whose amount_refunded now includes this refund.
  emit("charge.refunded", charge_json(charge_of(*pi), refunded_amount(pi->id)));
  return ok(std::move(body));
}

std::int64_t StripeSimulator::refunded_amount(const std::string& payment_intent_id) const {
  std::int64_t refunded = 0;
  for (const auto& [id, refund] : refunds_) {
    if (refund.payment_intent == payment_intent_id && (refund.status == "succeeded" || refund.status == "pending")) {
      refunded += refund.amount;
    }
  }
  return refunded;
}

const Charge& StripeSimulator::charge_of(const PaymentIntent& pi) const {
  const auto found = std::find_if(charges_.begin(), charges_.end(),
                                  [&](const Charge& charge) { return charge.id == pi.latest_charge; });
  if (found == charges_.end()) {
    // Every intent recorded its charge when it succeeded; a miss is a simulator bug, not bad input.
    std::fprintf(stderr, "stripe-sim: payment intent %s has no recorded charge %s\n", pi.id.c_str(),
                 pi.latest_charge.c_str());
    std::abort();
  }
  return *found;
}

// ---- Test control --------------------------------------------------------------------------------

void StripeSimulator::note_request(std::string_view method, std::string_view path) {
  std::lock_guard lock(mutex_);
  ++request_counts_[std::string(method) + " " + std::string(path)];
}

std::string StripeSimulator::charges_json() const {
  std::lock_guard lock(mutex_);
  JsonOut out;
  out.w.StartArray();
  for (const auto& charge : charges_) {
    out.w.StartObject();
    field(out.w, "id", charge.id);
    field(out.w, "payment_intent", charge.payment_intent);
    field(out.w, "amount", charge.amount);
    field(out.w, "currency", charge.currency);
    field(out.w, "payment_method", charge.payment_method);
    key(out.w, "metadata");
    write_metadata(out.w, charge.metadata);
    field_or_null(out.w, "idempotency_key", charge.idempotency_key);
    field(out.w, "created", charge.created);
    out.w.EndObject();
  }
  out.w.EndArray();
  return out.str();
}

std::string StripeSimulator::refunds_json() const {
  std::lock_guard lock(mutex_);
  JsonOut out;
  out.w.StartArray();
  for (const auto& id : refund_order_) write_refund(out.w, refunds_.at(id), true);
  out.w.EndArray();
  return out.str();
}

std::string StripeSimulator::disputes_json() const {
  std::lock_guard lock(mutex_);
  JsonOut out;
  out.w.StartArray();
  for (const auto& dispute : disputes_) write_dispute(out.w, dispute);
  out.w.EndArray();
  return out.str();
}

std::string StripeSimulator::requests_json() const {
  std::lock_guard lock(mutex_);
  JsonOut out;
  out.w.StartObject();
  for (const auto& [path, count] : request_counts_) field(out.w, path, count);
  out.w.EndObject();
  return out.str();
}

std::size_t StripeSimulator::charge_count() const {
  std::lock_guard lock(mutex_);
  return charges_.size();
}

void StripeSimulator::reset() {
  std::lock_guard lock(mutex_);
  intents_.clear();
  intent_order_.clear();
  refunds_.clear();
  refund_order_.clear();
  charges_.clear();
  disputes_.clear();
  idempotency_.clear();
  request_counts_.clear();
}

ApiResponse StripeSimulator::authenticate_payment_intent(std::string_view id, bool succeed) {
  std::unique_lock lock(mutex_);
  const auto found = intents_.find(std::string(id));
  if (found == intents_.end()) return missing_object("payment_intent", id, "intent", 404);
  auto& pi = found->second;
  if (pi.status != "requires_action") {
    return invalid_request("This PaymentIntent has a status of " + pi.status + "; only requires_action can be "
                           "authenticated.",
                           {}, "payment_intent_unexpected_state");
  }
  std::string event;
  if (succeed) {
    pi.latest_charge = new_id("ch_", 24);
    if (pi.capture_method == "manual") {
      pi.status = "requires_capture";
      pi.amount_capturable = pi.amount;
      event = "payment_intent.amount_capturable_updated";
    } else {
      pi.status = "succeeded";
      pi.amount_received = pi.amount;
      charges_.push_back({pi.latest_charge, pi.id, pi.amount, pi.currency, pi.payment_method, pi.metadata,
                          pi.idempotency_key, now()});
      event = "payment_intent.succeeded";
    }
  } else {
    CardError error;
    error.type = "invalid_request_error";
    error.code = "payment_intent_authentication_failure";
    error.message =
        "The provided PaymentMethod has failed authentication. You can provide payment_method_data or a new "
        "PaymentMethod to attempt to fulfill this PaymentIntent again.";
    error.payment_method = pi.payment_method;
    pi.last_payment_error = error;
    pi.payment_method.clear();
    pi.status = "requires_payment_method";
    event = "payment_intent.payment_failed";
  }
  pi.redirect_url.clear();
  auto body = payment_intent_json(pi);
  emit(event, body);
  flush_events(lock);
  return ok(std::move(body));
}

ApiResponse StripeSimulator::fail_refund(std::string_view id, std::string_view failure_reason) {
  std::unique_lock lock(mutex_);
  const auto found = refunds_.find(std::string(id));
  if (found == refunds_.end()) return missing_object("refund", id, "id", 404);
  auto& refund = found->second;
  if (refund.status != "succeeded" && refund.status != "pending") {
    return invalid_request("Only a succeeded or pending refund can fail; this one is " + refund.status + ".");
  }
  refund.status = "failed";
  refund.failure_reason = failure_reason.empty() ? "expired_or_canceled_card" : std::string(failure_reason);
  auto body = refund_json(refund);
  emit("refund.updated", body);
  emit("charge.refund.updated", body);
  emit("refund.failed", body);
  flush_events(lock);
  return ok(std::move(body));
}

ApiResponse StripeSimulator::dispute_payment_intent(std::string_view id, std::string_view reason,
                                                    const std::optional<std::string>& amount) {
  std::unique_lock lock(mutex_);
  const auto found = intents_.find(std::string(id));
  if (found == intents_.end()) return missing_object("payment_intent", id, "intent", 404);
  const auto& pi = found->second;
  if (pi.status != "succeeded") {
    return invalid_request("This PaymentIntent has a status of " + pi.status + "; only a succeeded one has a charge "
                           "to dispute.",
                           {}, "payment_intent_unexpected_state");
  }
  const auto earlier = std::find_if(disputes_.begin(), disputes_.end(),
                                    [&](const Dispute& d) { return d.charge == pi.latest_charge; });
  if (earlier != disputes_.end()) {
    return invalid_request("Charge " + pi.latest_charge + " already has a dispute (" + earlier->id +
                           "); Stripe allows one per charge.");
  }
  Dispute dispute;
  dispute.reason = reason.empty() ? "fraudulent" : std::string(reason);
  if (!valid_dispute_reason(dispute.reason)) return invalid_request("Invalid reason: " + dispute.reason, "reason");
  dispute.amount = pi.amount_received;
  if (amount) {
    if (auto bad = parse_amount(amount, "amount", dispute.amount)) return *bad;
    if (dispute.amount < 1 || dispute.amount > pi.amount_received) {
      return invalid_request("The disputed amount must be between 1 and the amount received (" +
                                 std::to_string(pi.amount_received) + ").",
                             "amount");
    }
  }
  dispute.id = new_id("dp_", 24);
  dispute.charge = pi.latest_charge;
  dispute.payment_intent = pi.id;
  dispute.currency = pi.currency;
  dispute.status = "needs_response";
  dispute.created = now();
  auto body = dispute_json(dispute);
  disputes_.push_back(std::move(dispute));
  emit("charge.dispute.created", body);
  flush_events(lock);
  return ok(std::move(body));
}

void StripeSimulator::set_public_base_url(std::string url) {
  std::lock_guard lock(mutex_);
  options_.public_base_url = std::move(url);
}

void StripeSimulator::set_event_listener(std::function<void(const SimEvent&)> listener) {
  std::lock_guard lock(mutex_);
  listener_ = std::move(listener);
}

}  // namespace payments::stripe_sim
