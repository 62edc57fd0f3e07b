#include "payments/core/card_number.hpp"

#include <string>

namespace payments {

bool luhn_valid(std::string_view digits) noexcept {
  if (digits.empty()) return false;
  int sum = 0;
  bool twice = false;
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
    if (*it < '0' || *it > '9') return false;
    int d = *it - '0';
    if (twice) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    twice = !twice;
  }
  return sum % 10 == 0;
}

bool contains_card_number(std::string_view text) noexcept {
  // Collect runs of digits joined by single separators. A run is a card number when it has a card's length,
  // starts like one (2-6: Mastercard 2-series, Amex/Diners/JCB, Visa, Mastercard, Discover/UnionPay) and
  // passes Luhn. Longer runs (order numbers, timestamps) are not cards.
  std::string run;
  auto run_has_card = [&run]() {
    return run.size() >= 13 && run.size() <= 19 && run.front() >= '2' && run.front() <= '6' && luhn_valid(run);
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c >= '0' && c <= '9') {
      run.push_back(c);
      continue;
    }
    const bool separator = (c == ' ' || c == '-') && !run.empty() && i + 1 < text.size() && text[i + 1] >= '0' &&
                           text[i + 1] <= '9';
    if (separator) continue;
    if (run_has_card()) return true;
    run.clear();
  }
  return run_has_card();
}

}  // namespace payments
