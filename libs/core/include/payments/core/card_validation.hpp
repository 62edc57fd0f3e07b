#pragma once
// Stateless checks of card details as a customer typed them: brand, length, Luhn, expiry, CVC length.
// What `POST /api/v1/cards/validate` answers. Nothing here stores or logs card data, and no message ever
// repeats the number or the CVC.

#include <string>
#include <string_view>
#include <vector>

namespace payments {

// A calendar month. `today` is passed in, never read from a clock here, so tests choose the date.
struct YearMonth {
  int year = 0;   // four digits, e.g. 2026
  int month = 0;  // 1..12

  friend bool operator==(const YearMonth&, const YearMonth&) = default;
};

// The current month in UTC from the system clock; what callers pass as `today` outside tests.
YearMonth current_year_month();

enum class CardBrand { unknown, visa, mastercard, amex, discover, diners, jcb, unionpay };

// "visa", "mastercard", "amex", "discover", "diners", "jcb", "unionpay", "unknown".
std::string_view to_string(CardBrand brand) noexcept;

// The brand a string of digits starts like (IIN ranges), whatever its length.
CardBrand card_brand(std::string_view digits) noexcept;

struct CardInput {
  std::string number;  // as typed: digits, optionally grouped by spaces or dashes
  int exp_month = 0;   // 1..12
  int exp_year = 0;    // 4 digits, or 2 digits meaning 20YY
  std::string cvc;
};

// One problem with one input field. Codes follow Stripe's card error codes: invalid_number,
// incorrect_number, invalid_expiry_month, invalid_expiry_year, expired_card, invalid_cvc.
struct FieldError {
  std::string field;  // "number", "exp_month", "exp_year" or "cvc"
  std::string code;
  std::string message;  // says what to fix; never contains the number or the CVC
};

struct CardCheck {
  bool valid = false;
  CardBrand brand = CardBrand::unknown;
  std::string last4;               // empty unless the number is all digits and at least 12 long
  std::vector<FieldError> errors;  // at most one per field, in the order number, exp_month, exp_year, cvc
};

// Runs every check and reports each field's first problem, so a form can show all of them at once.
// A card is valid when it has a known brand, a length that brand issues, passes Luhn, has not expired
// by `today` (it is good through the last day of its expiry month), and a CVC of the brand's length.
CardCheck validate_card(const CardInput& input, YearMonth today);

}  // namespace payments
