#include "payments/core/card_validation.hpp"

#include <chrono>
#include <optional>

#include "payments/core/card_number.hpp"

namespace payments {
namespace {

// How far ahead an expiry year may be before it is a typo rather than a card; issuers use 3-10 years.
constexpr int kMaxYearsAhead = 20;
// A shorter string is a fragment, not a card: its last four digits would give away most of it.
constexpr std::size_t kMinDigitsForLast4 = 12;

bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

bool all_digits(std::string_view text) noexcept {
  for (const char c : text) {
    if (!is_digit(c)) return false;
  }
  return true;
}

// The first `n` digits as a number, or -1 when `digits` is shorter.
int prefix(std::string_view digits, std::size_t n) noexcept {
  if (digits.size() < n) return -1;
  int value = 0;
  for (std::size_t i = 0; i < n; ++i) value = value * 10 + (digits[i] - '0');
  return value;
}

bool in(int value, int low, int high) noexcept { return value >= low && value <= high; }

std::string_view display_name(CardBrand brand) noexcept {
  switch (brand) {
    case CardBrand::visa: return "Visa";
    case CardBrand::mastercard: return "Mastercard";
    case CardBrand::amex: return "American Express";
    case CardBrand::discover: return "Discover";
    case CardBrand::diners: return "Diners Club";
    case CardBrand::jcb: return "JCB";
    case CardBrand::unionpay: return "UnionPay";
    case CardBrand::unknown: break;
  }
  return "unknown";
}

struct LengthRule {
  bool (*accepts)(std::size_t length);
  std::string_view description;
};

LengthRule length_rule(CardBrand brand) noexcept {
  switch (brand) {
    case CardBrand::visa:
      return {[](std::size_t n) { return n == 13 || n == 16 || n == 19; }, "13, 16 or 19"};
    case CardBrand::mastercard: return {[](std::size_t n) { return n == 16; }, "16"};
    case CardBrand::amex: return {[](std::size_t n) { return n == 15; }, "15"};
    case CardBrand::diners: return {[](std::size_t n) { return n >= 14 && n <= 19; }, "14 to 19"};
    case CardBrand::discover:
    case CardBrand::jcb:
    case CardBrand::unionpay: return {[](std::size_t n) { return n >= 16 && n <= 19; }, "16 to 19"};
    case CardBrand::unknown: break;
  }
  return {[](std::size_t) { return false; }, "no"};
}

// The number with spaces and dashes removed; nullopt when anything else but digits appears.
std::optional<std::string> strip_separators(std::string_view typed) {
  std::string digits;
  digits.reserve(typed.size());
  for (const char c : typed) {
    if (is_digit(c)) {
      digits.push_back(c);
    } else if (c != ' ' && c != '-') {
      return std::nullopt;
    }
  }
  return digits;
}

std::optional<FieldError> check_number(const std::optional<std::string>& digits, CardBrand brand) {
  const auto error = [](std::string code, std::string message) {
    return FieldError{"number", std::move(code), std::move(message)};
  };
  if (!digits) return error("invalid_number", "the card number may contain only digits, spaces and dashes");
  if (digits->empty()) return error("invalid_number", "enter the card number");
  if (brand == CardBrand::unknown) {
    return error("invalid_number",
                 "the card number does not start like a Visa, Mastercard, American Express, Discover, Diners Club, "
                 "JCB or UnionPay card");
  }
  const LengthRule rule = length_rule(brand);
  if (!rule.accepts(digits->size())) {
    return error("invalid_number", "the card number has " + std::to_string(digits->size()) + " digits; " +
                                       std::string(display_name(brand)) + " card numbers have " +
                                       std::string(rule.description));
  }
  if (!luhn_valid(*digits)) {
    return error("incorrect_number", "the card number is incorrect (its check digit does not match); look for "
                                     "a mistyped digit");
  }
  return std::nullopt;
}

std::optional<FieldError> check_cvc(std::string_view cvc, CardBrand brand) {
  const auto error = [](std::string message) { return FieldError{"cvc", "invalid_cvc", std::move(message)}; };
  if (cvc.empty()) return error("enter the card's security code (CVC)");
  const bool digits = all_digits(cvc);
  if (brand == CardBrand::amex) {
    if (!digits || cvc.size() != 4) return error("the security code of an American Express card is 4 digits");
  } else if (brand == CardBrand::unknown) {
    if (!digits || (cvc.size() != 3 && cvc.size() != 4)) return error("the security code is 3 or 4 digits");
  } else if (!digits || cvc.size() != 3) {
    return error("the security code of a " + std::string(display_name(brand)) + " card is 3 digits");
  }
  return std::nullopt;
}

std::string two_digits(int month) { return (month < 10 ? "0" : "") + std::to_string(month); }

// Adds at most one error for exp_month and one for exp_year.
void check_expiry(int month, int typed_year, YearMonth today, std::vector<FieldError>& errors) {
  const bool month_ok = in(month, 1, 12);
  if (!month_ok) errors.push_back({"exp_month", "invalid_expiry_month", "the expiry month must be 1 to 12"});

  const int year = in(typed_year, 0, 99) ? 2000 + typed_year : typed_year;
  if (typed_year < 0 || in(typed_year, 100, 999)) {
    errors.push_back({"exp_year", "invalid_expiry_year", "the expiry year must have 4 digits (or 2, meaning 20YY)"});
    return;
  }
  if (year > today.year + kMaxYearsAhead) {
    errors.push_back({"exp_year", "invalid_expiry_year",
                      "the expiry year is more than " + std::to_string(kMaxYearsAhead) + " years away"});
    return;
  }
  if (year < today.year) {
    errors.push_back({"exp_year", "expired_card", "the card expired in " + std::to_string(year)});
  } else if (year == today.year && month_ok && month < today.month) {
    errors.push_back({"exp_month", "expired_card",
                      "the card expired at the end of " + two_digits(month) + "/" + std::to_string(year)});
  }
}

}  // namespace

YearMonth current_year_month() {
  const auto today = std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now());
  const std::chrono::year_month_day date{today};
  return {static_cast<int>(date.year()), static_cast<int>(static_cast<unsigned>(date.month()))};
}

std::string_view to_string(CardBrand brand) noexcept {
  switch (brand) {
    case CardBrand::visa: return "visa";
    case CardBrand::mastercard: return "mastercard";
    case CardBrand::amex: return "amex";
    case CardBrand::discover: return "discover";
    case CardBrand::diners: return "diners";
    case CardBrand::jcb: return "jcb";
    case CardBrand::unionpay: return "unionpay";
    case CardBrand::unknown: break;
  }
  return "unknown";
}

CardBrand card_brand(std::string_view digits) noexcept {
  if (digits.empty() || !all_digits(digits)) return CardBrand::unknown;
  const int p1 = prefix(digits, 1);
  const int p2 = prefix(digits, 2);
  const int p3 = prefix(digits, 3);
  const int p4 = prefix(digits, 4);
  if (p1 == 4) return CardBrand::visa;
  if (in(p2, 51, 55) || in(p4, 2221, 2720)) return CardBrand::mastercard;
  if (p2 == 34 || p2 == 37) return CardBrand::amex;
  if (p4 == 6011 || in(p3, 644, 649) || p2 == 65) return CardBrand::discover;
  if (p2 == 62) return CardBrand::unionpay;
  if (in(p4, 3528, 3589)) return CardBrand::jcb;
  if (in(p3, 300, 305) || p2 == 36 || p2 == 38 || p2 == 39) return CardBrand::diners;
  return CardBrand::unknown;
}

CardCheck validate_card(const CardInput& input, YearMonth today) {
  CardCheck check;
  const std::optional<std::string> digits = strip_separators(input.number);
  if (digits) {
    check.brand = card_brand(*digits);
    if (digits->size() >= kMinDigitsForLast4) check.last4 = digits->substr(digits->size() - 4);
  }
  if (auto error = check_number(digits, check.brand)) check.errors.push_back(std::move(*error));
  check_expiry(input.exp_month, input.exp_year, today, check.errors);
  if (auto error = check_cvc(input.cvc, check.brand)) check.errors.push_back(std::move(*error));
  check.valid = check.errors.empty();
  return check;
}

}  // namespace payments
