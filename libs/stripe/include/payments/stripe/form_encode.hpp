#pragma once
// application/x-www-form-urlencoded bodies as Stripe reads them, nested keys written as `metadata[order_id]`.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace payments::stripe {

// Fields in the order they are sent. A key may name a nested field with brackets: "metadata[order_id]",
// "payment_method_types[0]"; the brackets are structure and are sent as is.
using FormFields = std::vector<std::pair<std::string, std::string>>;

// Percent-encodes every byte except the RFC 3986 unreserved characters (A-Z a-z 0-9 - . _ ~), in upper-case
// hex; a space becomes %20. With `keep_brackets`, '[' and ']' are left as is (for keys).
std::string percent_encode(std::string_view text, bool keep_brackets = false);

// "k1=v1&k2=v2": keys encoded keeping their brackets, values encoded completely.
std::string form_encode(const FormFields& fields);

}  // namespace payments::stripe
