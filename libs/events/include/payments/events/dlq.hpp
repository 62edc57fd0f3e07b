#pragma once
// What goes to payment-commands-dlq. A command that could not be applied may still hold what must never be
// copied anywhere (a card number a producer pasted, a one-time code in payment.otp.verify), so its bytes are
// redacted first, and the reason header is written in the project's own words only, never from the input.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "payments/core/result.hpp"
#include "payments/events/kafka.hpp"

namespace payments::events {

inline constexpr std::string_view kRedacted = "[redacted]";

// The headers the worker writes on a DLQ record (CommandProcessor::dead_letter; schemas/json/dlq.md), and
// the one replays carry.
inline constexpr std::string_view kDlqReasonHeader = "dlq-reason";        // why, in the project's words
inline constexpr std::string_view kDlqErrorCodeHeader = "dlq-error-code";  // the ErrorCode's name
inline constexpr std::string_view kDlqOriginalTopicHeader = "dlq-original-topic";
inline constexpr std::string_view kDlqOriginalBytesHeader = "dlq-original-bytes";
inline constexpr std::string_view kDlqOriginalPartitionHeader = "dlq-original-partition";
inline constexpr std::string_view kDlqOriginalOffsetHeader = "dlq-original-offset";
inline constexpr std::string_view kDlqRedactedHeader = "dlq-redacted";  // "true": the payload lost something
inline constexpr std::string_view kDlqFailedAtHeader = "dlq-failed-at";
// How many times `payments-admin dlq replay` re-published the command; copied onto the DLQ record when a
// replayed command fails again.
inline constexpr std::string_view kDlqReplayedHeader = "dlq-replayed";
// A command is replayed at most this many times; after that it needs a person, not another replay.
inline constexpr int kMaxDlqReplays = 3;

// The dlq-replayed count of a record's headers: 0 when absent, nullopt when present but not a whole
// non-negative number.
std::optional<int> replay_count(const Headers& headers);

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
