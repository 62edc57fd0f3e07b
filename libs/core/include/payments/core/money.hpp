#pragma once
// Money is an integer count of a currency's minor units, end to end. There is no floating point here.

#include <cstdint>
#include <string>

#include "payments/core/currency.hpp"
#include "payments/core/result.hpp"

namespace payments {

// Stripe accepts at most eight digits of minor units.
inline constexpr std::int64_t kMaxAmountMinor = 99'999'999;

class Money {
 public:
  // Checks the amount against Stripe's rules for a charge in this currency: positive, at least the
  // currency's minimum, at most eight digits, and for three-decimal currencies a multiple of 10.
  // `field` names the input field in the error.
  static Result<Money> charge(std::int64_t minor, Currency currency, std::string field = "amount");

  // A non-negative amount with no charge rules (refund totals, balances).
  static Result<Money> amount(std::int64_t minor, Currency currency, std::string field = "amount");

  [[nodiscard]] std::int64_t minor() const noexcept { return minor_; }
  [[nodiscard]] const Currency& currency() const noexcept { return currency_; }

  // "12.34 usd", "1000 jpy", "1.230 kwd": for people, never parsed back.
  [[nodiscard]] std::string to_display() const;

  friend bool operator==(const Money& a, const Money& b) noexcept {
    return a.minor_ == b.minor_ && a.currency_ == b.currency_;
  }

 private:
  Money(std::int64_t minor, Currency currency) : minor_(minor), currency_(currency) {}

  std::int64_t minor_;
  Currency currency_;
};

}  // namespace payments
