#include "payments/core/money.hpp"

#include <string>

namespace payments {

Result<Money> Money::amount(std::int64_t minor, Currency currency, std::string field) {
  if (minor < 0) return Error::validation(std::move(field), "must not be negative");
  if (minor > kMaxAmountMinor) {
    return Error::validation(std::move(field), "must be at most 99999999 minor units (eight digits)");
  }
  return Money(minor, currency);
}

Result<Money> Money::charge(std::int64_t minor, Currency currency, std::string field) {
  if (minor <= 0) return Error::validation(std::move(field), "must be a positive integer of minor units");
  if (minor > kMaxAmountMinor) {
    return Error::validation(std::move(field), "must be at most 99999999 minor units (eight digits)");
  }
  if (minor < currency.minimum_charge()) {
    return Error::validation(std::move(field), "must be at least " + std::to_string(currency.minimum_charge()) +
                                                   " minor units for " + std::string(currency.code()));
  }
  if (currency.exponent() == 3 && minor % 10 != 0) {
    return Error::validation(std::move(field), "must end in 0 for three-decimal currency " +
                                                   std::string(currency.code()));
  }
  return Money(minor, currency);
}

std::string Money::to_display() const {
  std::string digits = std::to_string(minor_);
  const auto exponent = static_cast<std::size_t>(currency_.exponent());
  if (exponent > 0) {
    if (digits.size() <= exponent) digits.insert(0, exponent + 1 - digits.size(), '0');
    digits.insert(digits.size() - exponent, ".");
  }
  return digits + " " + std::string(currency_.code());
}

}  // namespace payments
