#include "sealed_columns.hpp"

namespace payments::store::detail {

std::string payment_value_context(std::string_view column, std::string_view payment_id) {
  std::string context = "payments.";
  context += column;
  context += ':';
  context += payment_id;
  return context;
}

std::string seal_payment_value(const crypto::DataCipher& cipher, std::string_view column,
                               std::string_view payment_id, const std::string& plaintext) {
  return cipher.seal(plaintext, payment_value_context(column, payment_id));
}

std::optional<std::string> seal_payment_value(const crypto::DataCipher& cipher, std::string_view column,
                                              std::string_view payment_id,
                                              const std::optional<std::string>& plaintext) {
  if (!plaintext) return std::nullopt;
  return seal_payment_value(cipher, column, payment_id, *plaintext);
}

std::string open_payment_value(const crypto::DataCipher& cipher, std::string_view column,
                               std::string_view payment_id, const std::string& stored) {
  auto opened = cipher.open(stored, payment_value_context(column, payment_id));
  if (!opened) {
    throw SealedValueError("payment " + std::string(payment_id) + ", column " + std::string(column) + ": " +
                           opened.error().message);
  }
  return std::move(opened).value();
}

std::optional<std::string> open_payment_value(const crypto::DataCipher& cipher, std::string_view column,
                                              std::string_view payment_id, const std::optional<std::string>& stored) {
  if (!stored) return std::nullopt;
  return open_payment_value(cipher, column, payment_id, *stored);
}

}  // namespace payments::store::detail
