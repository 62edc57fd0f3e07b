#pragma once
// Recognising raw card numbers (PANs), so that a request carrying one is refused before it is logged or
// stored. The service only ever accepts Stripe tokens (pm_..., tok_...).

#include <string_view>

namespace payments {

// The Luhn (mod 10) check over a string of digits only.
bool luhn_valid(std::string_view digits) noexcept;

// True when `text` contains a run of 13 to 19 digits, optionally grouped by single spaces or dashes, that
// starts with 2-6 and passes the Luhn check: what a card number pasted into any field looks like.
bool contains_card_number(std::string_view text) noexcept;

}  // namespace payments
