#pragma once
// Money is an integer count of a currency's minor units, end to end. There is no floating point here.

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

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

  // An amount with its currency as it arrives from outside (a stored row, Stripe's answer): Money::amount's
  // rules, and a currency code among the supported ones. The one way an amount enters from a boundary.
  static Result<Money> parse(std::int64_t minor, std::string_view currency_code, std::string field = "amount");

  // Nothing, in `currency`: where a running total starts.
  static Money zero(Currency currency) noexcept { return Money(0, currency); }

  [[nodiscard]] std::int64_t minor() const noexcept { return minor_; }
  [[nodiscard]] const Currency& currency() const noexcept { return currency_; }

  // "12.34 usd", "1000 jpy", "1.230 kwd": for people, never parsed back.
  [[nodiscard]] std::string to_display() const;

  // Sums and differences in one currency. A different currency, a negative difference or a sum over
  // eight digits is an error (invalid_state), never a wrapped or clamped value.
  [[nodiscard]] Result<Money> plus(const Money& other) const;
  [[nodiscard]] Result<Money> minus(const Money& other) const;

  friend bool operator==(const Money& a, const Money& b) noexcept {
    return a.minor_ == b.minor_ && a.currency_ == b.currency_;
  }
  // Amounts in one currency are ordered; amounts in two are not (every comparison of them is false).
  friend std::partial_ordering operator<=>(const Money& a, const Money& b) noexcept {
    if (!(a.currency_ == b.currency_)) return std::partial_ordering::unordered;
    return a.minor_ <=> b.minor_;
  }

 private:
  Money(std::int64_t minor, Currency currency) : minor_(minor), currency_(currency) {}

  std::int64_t minor_;
  Currency currency_;
};

}  // namespace payments
