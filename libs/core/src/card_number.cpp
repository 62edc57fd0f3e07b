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

namespace {

struct Span {
  std::size_t begin = 0;
  std::size_t end = 0;
};

// Calls `found` with the extent of each card number in `text`, in order; stops early when it returns true.
// Runs of digits joined by short runs of separators are collected; a run is a card number when it has a
// card's length, starts like one (2-6: Mastercard 2-series, Amex/Diners/JCB, Visa, Mastercard,
// Discover/UnionPay) and passes Luhn. Longer runs (order numbers, timestamps) are not cards.
template <typename Found>
void scan_card_numbers(std::string_view text, Found found) {
  constexpr std::size_t kMaxSeparators = 3;
  auto is_digit = [](char c) { return c >= '0' && c <= '9'; };
  auto is_separator = [](char c) { return c == ' ' || c == '\t' || c == '-' || c == '.' || c == '/' || c == '_'; };
  std::string run;
  std::size_t run_begin = 0;
  std::size_t run_end = 0;
  auto finish_run = [&]() {
    const bool card =
        run.size() >= 13 && run.size() <= 19 && run.front() >= '2' && run.front() <= '6' && luhn_valid(run);
    run.clear();
    return card && found(Span{run_begin, run_end});
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (is_digit(c)) {
      if (run.empty()) run_begin = i;
      run.push_back(c);
      run_end = i + 1;
      continue;
    }
    if (is_separator(c) && !run.empty()) {
      // A short run of separators with a digit after it keeps the number going.
      std::size_t end = i;
      while (end < text.size() && end - i < kMaxSeparators && is_separator(text[end])) ++end;
      if (end < text.size() && is_digit(text[end])) {
        i = end - 1;
        continue;
      }
    }
    if (!run.empty() && finish_run()) return;
  }
  if (!run.empty()) finish_run();
}

}  // namespace

bool contains_card_number(std::string_view text) noexcept {
  bool any = false;
  scan_card_numbers(text, [&any](Span) { return any = true; });
  return any;
}

std::string redact_card_numbers(std::string_view text, std::string_view replacement) {
  std::string out;
  std::size_t copied = 0;
  scan_card_numbers(text, [&](Span span) {
    out.append(text.substr(copied, span.begin - copied)).append(replacement);
    copied = span.end;
    return false;
  });
  out.append(text.substr(copied));
  return out;
}

bool safe_to_echo(std::string_view text, std::size_t max_length) noexcept {
  return text.size() <= max_length && !contains_card_number(text);
}

}  // namespace payments
