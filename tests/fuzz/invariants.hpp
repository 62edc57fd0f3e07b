#pragma once
// What the fuzz targets check beyond "no crash, no sanitizer report". A broken invariant aborts: libFuzzer
// reports it as a crash and saves the input that broke it (make fuzz prints the path).

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "payments/core/card_number.hpp"
#include "payments/core/result.hpp"

namespace payments::fuzz {

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// Aborts with `invariant` (and what broke it) when `holds` is false.
inline void require(bool holds, const char* invariant, std::string_view detail = {}) {
  if (holds) return;
  std::fprintf(stderr, "\nfuzz invariant violated: %s\n  %.*s\n", invariant, static_cast<int>(detail.size()),
               detail.data());
  std::abort();
}

// Text the service writes for others to read (an error message, a response body, a log field) never holds a
// card number: what contains_card_number() recognises (13 to 19 digits, grouped or not, passing Luhn).
inline void require_no_card_number(std::string_view text, const char* where) {
  require(!contains_card_number(text), where, text);
}

// The errors a caller's input can cause: a validation error names the offending field, unless it is about the
// body as a whole (too big, too deep, not JSON, not an object), and neither the message nor the field repeats a
// card number.
inline void require_well_formed_error(const Error& error) {
  require(!error.message.empty(), "an error has no message");
  require_no_card_number(error.message, "an error message repeats a card number");
  require_no_card_number(error.field, "an error's field repeats a card number");
  if (error.code == ErrorCode::validation_error && error.field.empty()) {
    const bool about_the_body = error.message.rfind("body ", 0) == 0 || error.message.rfind("JSON ", 0) == 0;
    require(about_the_body, "a validation error names no field and is not about the body", error.message);
  }
}

}  // namespace payments::fuzz
