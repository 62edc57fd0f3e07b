#pragma once
// The payment columns kept encrypted at rest (customer_id, description, request_json, which holds the
// OTP destination and copies of the other two), sealed on every INSERT and opened on every read, each value
// bound to its column and its payment's id.

#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "payments/crypto/data_cipher.hpp"

namespace payments::store::detail {

// A sensitive value that cannot be sealed or opened (no key configured, unknown key id, altered value).
// Thrown inside Database::with_session's work, which answers it as an internal error with this message
// (never the value).
class SealedValueError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The encrypted payment columns, by name.
inline constexpr std::string_view kCustomerIdColumn = "customer_id";
inline constexpr std::string_view kDescriptionColumn = "description";
inline constexpr std::string_view kRequestJsonColumn = "request_json";

// What a value of `column` of payment `payment_id` is bound to: "payments.<column>:<payment_id>".
std::string payment_value_context(std::string_view column, std::string_view payment_id);

std::string seal_payment_value(const crypto::DataCipher& cipher, std::string_view column,
                               std::string_view payment_id, const std::string& plaintext);
std::optional<std::string> seal_payment_value(const crypto::DataCipher& cipher, std::string_view column,
                                              std::string_view payment_id,
                                              const std::optional<std::string>& plaintext);
// Throws SealedValueError naming the payment and column when the value does not open.
std::string open_payment_value(const crypto::DataCipher& cipher, std::string_view column,
                               std::string_view payment_id, const std::string& stored);
std::optional<std::string> open_payment_value(const crypto::DataCipher& cipher, std::string_view column,
                                              std::string_view payment_id, const std::optional<std::string>& stored);

}  // namespace payments::store::detail
