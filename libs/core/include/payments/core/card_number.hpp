#pragma once
// Recognising raw card numbers (PANs), so that a request carrying one is refused before it is logged or
// stored. The service only ever accepts Stripe tokens (pm_..., tok_...).

#include <string>
#include <string_view>

namespace payments {

// The Luhn (mod 10) check over a string of digits only.
bool luhn_valid(std::string_view digits) noexcept;

// True when `text` contains a run of 13 to 19 digits that starts with 2-6 and passes the Luhn check: what a
// card number pasted into any field looks like. The digits may be grouped by separators: up to three in a
// row of spaces, tabs, hyphens, dots, slashes or underscores, mixed ("4242 4242", "4242 - 4242",
// "4242./4242").
bool contains_card_number(std::string_view text) noexcept;

// `text` with every card number contains_card_number() would find (its separators included) replaced by
// `replacement`.
std::string redact_card_numbers(std::string_view text, std::string_view replacement);

// Whether a caller's own text may be repeated in an error message: no card number in it, and at most
// `max_length` characters, since cutting a longer text could leave a card-number-like piece of a longer digit run.
bool safe_to_echo(std::string_view text, std::size_t max_length) noexcept;

}  // namespace payments
