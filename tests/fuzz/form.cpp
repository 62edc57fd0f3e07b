// application/x-www-form-urlencoded both ways: the client's encoder (stripe::form_encode, percent_encode) and the
// simulator's decoder (stripe_sim::FormParams, url_decode), which plays Stripe in every black-box test.
// Input: an encoded body as a peer might send it.
//
// Invariants:
// - decode, encode, decode gives back the same pairs in the same order (so whatever the decoder accepts, the
//   encoder can send exactly);
// - url_decode(percent_encode(x)) == x for any bytes x, with or without kept brackets;
// - the encoder's output is only unreserved characters, %XX escapes, brackets in keys, '=' and '&'.
#include <cstddef>
#include <cstdint>

#include "form.hpp"
#include "invariants.hpp"
#include "payments/stripe/form_encode.hpp"

namespace {

using namespace payments;
using fuzz::require;

bool is_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F'); }

bool is_unreserved(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
         c == '_' || c == '~';
}

// Only what form_encode may write: unreserved characters, upper-case %XX, brackets, '=' and '&'.
void require_encoded_alphabet(std::string_view encoded) {
  for (std::size_t i = 0; i < encoded.size(); ++i) {
    const char c = encoded[i];
    if (c == '%') {
      require(i + 2 < encoded.size() && is_hex(encoded[i + 1]) && is_hex(encoded[i + 2]),
              "form_encode wrote a bad escape", encoded);
      i += 2;
      continue;
    }
    require(is_unreserved(c) || c == '[' || c == ']' || c == '=' || c == '&', "form_encode wrote a raw byte",
            encoded);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input = fuzz::as_text(data, size);

  const auto decoded = stripe_sim::FormParams::parse(input);
  const std::string encoded = stripe::form_encode(decoded.all());
  require_encoded_alphabet(encoded);
  const auto again = stripe_sim::FormParams::parse(encoded);
  require(again.all() == decoded.all(), "decode, encode, decode changes the pairs", encoded);
  require(again.fingerprint() == decoded.fingerprint(), "re-encoded pairs have another fingerprint", encoded);
  require(again.nested("metadata") == decoded.nested("metadata"), "re-encoded metadata differs", encoded);

  require(stripe_sim::url_decode(stripe::percent_encode(input)) == input, "percent_encode does not decode back");
  require(stripe_sim::url_decode(stripe::percent_encode(input, true)) == input,
          "percent_encode with brackets does not decode back");
  return 0;
}
