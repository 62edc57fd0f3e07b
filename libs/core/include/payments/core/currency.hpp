#pragma once
// The currencies the service accepts and the rules Stripe applies to their amounts.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace payments {

class Currency {
 public:
  // Looks up a lower- or upper-case ISO 4217 code among the supported currencies.
  static std::optional<Currency> from_code(std::string_view code);

  [[nodiscard]] std::string_view code() const noexcept { return code_; }  // lower case, as Stripe writes it
  // Digits after the decimal point in the currency's minor unit: 0 (JPY), 2 (USD), 3 (KWD).
  [[nodiscard]] int exponent() const noexcept { return exponent_; }
  // Smallest amount Stripe lets a charge have, in minor units.
  [[nodiscard]] std::int64_t minimum_charge() const noexcept { return minimum_charge_; }

  friend bool operator==(const Currency& a, const Currency& b) noexcept { return a.code_ == b.code_; }

  // All supported codes, comma-separated, for error messages.
  static std::string supported_codes();

  // One row of the supported-currency table (src/currency.cpp).
  struct Rule {
    std::string_view code;
    int exponent;
    std::int64_t minimum_charge;
  };

 private:
  explicit Currency(const Rule& rule);

  std::string_view code_;
  int exponent_;
  std::int64_t minimum_charge_;
};

}  // namespace payments
