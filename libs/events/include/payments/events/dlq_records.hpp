#pragma once
// Records of payment-commands-dlq as an operator looks at them and replays them (`payments-admin dlq`): what
// the worker's dlq-* headers say, which records a selection names, and whether a record may be replayed.
// Pure: reading and producing are the caller's (topic_reader.hpp, Producer).

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "payments/core/result.hpp"
#include "payments/events/dlq.hpp"
#include "payments/events/kafka.hpp"

namespace payments::events {

// One DLQ record, without its payload: nothing here is command data but the key (the payment id).
struct DlqRecord {
  std::int32_t partition = 0;
  std::int64_t offset = 0;
  std::string key;
  std::string reason;          // "" when the header is missing
  std::string error_code;      // "" when the header is missing (records from before dlq-error-code)
  std::string original_topic;  // "" when the header is missing
  std::string failed_at;       // as written (RFC 3339), "" when missing
  std::optional<std::chrono::system_clock::time_point> failed_at_time;  // nullopt when missing or unreadable
  std::optional<int> replay_count;  // dlq-replayed; 0 when absent, nullopt when present but not a count
  std::optional<std::size_t> original_bytes;  // dlq-original-bytes, nullopt when missing or unreadable
  bool redacted = false;
};

DlqRecord read_dlq_record(const IncomingMessage& message);

// "<partition>:<offset>", as `dlq list` shows it and `dlq replay --offsets` takes it.
std::string dlq_position(std::int32_t partition, std::int64_t offset);

// Offsets first..last (inclusive) of one partition of the DLQ topic.
struct DlqOffsetRange {
  std::int32_t partition = 0;
  std::int64_t first = 0;
  std::int64_t last = 0;
};

// `--offsets`: a comma-separated list of `[P:]A[-B]` (A-B inclusive, A alone for one record). A range without
// `P:` is on `default_partition` (`--partition`, 0 when not given). The error names the field `offsets`.
Result<std::vector<DlqOffsetRange>> parse_dlq_offsets(std::string_view text, std::int32_t default_partition = 0);

// Which records a `dlq list` or `dlq replay` is about; every part given must match.
struct DlqSelection {
  std::optional<std::string> reason;  // a substring of dlq-reason, compared case-insensitively
  std::optional<std::chrono::system_clock::time_point> since;  // dlq-failed-at at or after; unknown times fail
  std::vector<DlqOffsetRange> offsets;  // empty: any offset
};

bool selects(const DlqSelection& selection, const DlqRecord& record);

// Whether a record is replayed, and why not when it is not.
enum class ReplaySkip {
  none,           // replayed
  redacted,       // its payload lost a card number or a one-time code: replaying would apply another command
  limit_reached,  // kMaxDlqReplays replays already
  unreadable_count,  // dlq-replayed is not a count: the limit cannot be checked
  not_a_command,  // it came from another topic than payment-commands (a Stripe event record, say)
  truncated,      // the payload is not as long as dlq-original-bytes says the original was
};

struct ReplayDecision {
  ReplaySkip skip = ReplaySkip::none;
  int next_count = 0;  // the dlq-replayed header of the replayed record
};

// `commands_topic`: the (prefixed) payment-commands topic, the only one replays go to. `prior_replays`: the
// highest replay count among the DLQ records holding this same command (see replay_counts), so that replaying
// an older copy of a command cannot get around the limit.
ReplayDecision decide_replay(const DlqRecord& record, std::string_view payload, std::string_view commands_topic,
                             int prior_replays);

// What an operator reads for a skip ("replayed 3 times already", ...).
std::string describe(ReplaySkip skip);

// The record a replay publishes: to `commands_topic`, the same key and value, and dlq-replayed = next_count.
OutgoingMessage replay_message(const IncomingMessage& dlq_record, std::string_view commands_topic, int next_count);

// For each message, the highest readable dlq-replayed among all messages with the same key and value (itself
// included): a command that came back to the DLQ after a replay is the same command as the record it was
// replayed from.
std::vector<int> replay_counts(const std::vector<IncomingMessage>& messages);

// Text from a header or key made safe for a terminal: control bytes and non-ASCII shown as '?'.
std::string printable(std::string_view text);

}  // namespace payments::events
