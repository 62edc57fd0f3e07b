#pragma once
// Expected outcomes (bad input, not found, conflicts, unavailable dependencies) are values, not exceptions.

#include <cassert>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace payments {

// Every domain error has one code; the HTTP status and the Kafka outcome are mapped from it in one place each.
enum class ErrorCode {
  validation_error,      // the input breaks a rule; `field` names which part
  raw_card_data,         // a card number was sent instead of a Stripe token
  not_found,             // no such payment, refund, ...
  idempotency_conflict,  // same Idempotency-Key, different request
  invalid_state,         // the object exists but cannot do that now
  unavailable,           // a dependency (Kafka, MySQL, Stripe) could not be reached; retry later
  internal,              // a bug or an unexpected answer; not retryable by the caller
  unauthenticated,       // no credential, or one that is malformed, unknown, revoked or expired
  forbidden,             // a valid credential without the scope the action needs
  rate_limited,          // the caller is over its limit; retry later
};

std::string_view to_string(ErrorCode code) noexcept;
bool is_retryable(ErrorCode code) noexcept;

struct Error {
  ErrorCode code = ErrorCode::internal;
  std::string message;  // tells the caller what to do; never contains secrets or card data
  std::string field;    // the offending input field, empty when not about one field

  static Error validation(std::string field, std::string message) {
    return {ErrorCode::validation_error, std::move(message), std::move(field)};
  }
  static Error unavailable(std::string message) { return {ErrorCode::unavailable, std::move(message), {}}; }
  static Error internal(std::string message) { return {ErrorCode::internal, std::move(message), {}}; }
};

// A value or an error (Error unless said otherwise). Deliberately small: has_value/value/error, and nothing
// that hides which one it is.
template <typename T, typename E = Error>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::move(value)) {}      // NOLINT(google-explicit-constructor)
  Result(E error) : state_(std::move(error)) {}      // NOLINT(google-explicit-constructor)

  [[nodiscard]] bool has_value() const noexcept { return state_.index() == 0; }
  explicit operator bool() const noexcept { return has_value(); }

  [[nodiscard]] const T& value() const& {
    assert(has_value());
    return std::get<0>(state_);
  }
  [[nodiscard]] T& value() & {
    assert(has_value());
    return std::get<0>(state_);
  }
  [[nodiscard]] T&& value() && {
    assert(has_value());
    return std::get<0>(std::move(state_));
  }
  [[nodiscard]] const E& error() const& {
    assert(!has_value());
    return std::get<1>(state_);
  }
  [[nodiscard]] E&& error() && {
    assert(!has_value());
    return std::get<1>(std::move(state_));
  }

  const T* operator->() const { return &value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, E> state_;
};

// For operations that succeed with nothing to return.
struct Ok {};
using Status = Result<Ok>;

}  // namespace payments
