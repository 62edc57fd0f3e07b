#include "payments/core/money.hpp"

#include <string>

namespace payments {
namespace {

Error different_currencies(const Money& a, const Money& b) {
  return {ErrorCode::invalid_state,
          "cannot combine " + std::string(a.currency().code()) + " with " + std::string(b.currency().code()), {}};
}

}  // namespace

Result<Money> Money::amount(std::int64_t minor, Currency currency, std::string field) {
  if (minor < 0) return Error::validation(std::move(field), "must not be negative");
  if (minor > kMaxAmountMinor) {
    return Error::validation(std::move(field), "must be at most 99999999 minor units (eight digits)");
  }
  return Money(minor, currency);
}

Result<Money> Money::parse(std::int64_t minor, std::string_view currency_code, std::string field) {
  const auto currency = Currency::from_code(currency_code);
  if (!currency) {
    return Error::validation(std::move(field), "has currency '" + std::string(currency_code.substr(0, 8)) +
                                                   "', which is not one of " + Currency::supported_codes());
  }
  return amount(minor, *currency, std::move(field));
}

Result<Money> Money::plus(const Money& other) const {
  if (!(currency_ == other.currency_)) return different_currencies(*this, other);
  // Both are at most kMaxAmountMinor, so the sum cannot overflow before it is checked.
  if (minor_ + other.minor_ > kMaxAmountMinor) {
    return Error{ErrorCode::invalid_state, "sum of " + to_display() + " and " + other.to_display() +
                                               " exceeds eight digits", {}};
  }
  return Money(minor_ + other.minor_, currency_);
}

Result<Money> Money::minus(const Money& other) const {
  if (!(currency_ == other.currency_)) return different_currencies(*this, other);
  if (other.minor_ > minor_) {
    return Error{ErrorCode::invalid_state, other.to_display() + " is more than " + to_display(), {}};
  }
  return Money(minor_ - other.minor_, currency_);
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
