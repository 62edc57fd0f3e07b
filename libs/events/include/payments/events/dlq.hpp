#pragma once
// What goes to payment-commands-dlq. A command that could not be applied may still hold what must never be
// copied anywhere (a card number a producer pasted, a one-time code in payment.otp.verify), so its bytes are
// redacted first, and the reason header is written in the project's own words only, never from the input.

#include <cstddef>
#include <string>
#include <string_view>

#include "payments/core/result.hpp"

namespace payments::events {

inline constexpr std::string_view kRedacted = "[redacted]";

struct DlqPayload {
  std::string value;              // the command, with anything sensitive replaced by kRedacted
  std::size_t original_bytes = 0;  // how long the command was before redaction (header dlq-original-bytes)
  bool redacted = false;          // whether anything was replaced; when not, `value` is the input unchanged
};

// Replaces every card-number-like sequence (in keys and values) and the value of every member named
// `code`, at any depth. JSON is redacted member by member; text that is not JSON, sequence by sequence.
DlqPayload redact_for_dlq(std::string_view command);

// The dlq-reason header: `what` (a fixed phrase of the caller's) and, when `cause` is about a field this
// project defines, that field's name. Nothing of the input's own text is ever part of it.
std::string dlq_reason(std::string_view what, const Error& cause);

}  // namespace payments::events
