#include "payments/events/dlq_records.hpp"

#include <algorithm>
#include <charconv>
#include <map>
#include <utility>

#include "payments/core/time.hpp"

namespace payments::events {
namespace {

std::string header_or_empty(const IncomingMessage& message, std::string_view name) {
  const auto* value = header_value(message.headers, name);
  return value == nullptr ? std::string{} : *value;
}

// A whole, non-negative decimal number and nothing else.
template <typename Int>
std::optional<Int> whole_number(std::string_view text) {
  Int value{};
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || value < 0) return std::nullopt;
  return value;
}

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool contains_ignoring_case(std::string_view text, std::string_view part) {
  return std::search(text.begin(), text.end(), part.begin(), part.end(),
                     [](char a, char b) { return lower(a) == lower(b); }) != text.end();
}

Result<DlqOffsetRange> parse_range(std::string_view text, std::int32_t default_partition) {
  const auto bad = [&text] {
    return Error::validation("offsets", "--offsets takes [P:]A[-B] (DLQ partition P, offsets A to B inclusive), "
                                        "not '" + std::string(text.substr(0, 40)) + "'");
  };
  DlqOffsetRange range{default_partition, 0, 0};
  if (const auto colon = text.find(':'); colon != std::string_view::npos) {
    const auto partition = whole_number<std::int32_t>(text.substr(0, colon));
    if (!partition) return bad();
    range.partition = *partition;
    text.remove_prefix(colon + 1);
  }
  const auto dash = text.find('-');
  const auto first = whole_number<std::int64_t>(text.substr(0, dash));
  const auto last = dash == std::string_view::npos ? first : whole_number<std::int64_t>(text.substr(dash + 1));
  if (!first || !last) return bad();
  if (*last < *first) {
    return Error::validation("offsets", "--offsets range " + std::to_string(*first) + "-" + std::to_string(*last) +
                                            " ends before it starts");
  }
  range.first = *first;
  range.last = *last;
  return range;
}

}  // namespace

DlqRecord read_dlq_record(const IncomingMessage& message) {
  DlqRecord record;
  record.partition = message.partition;
  record.offset = message.offset;
  record.key = message.key;
  record.reason = header_or_empty(message, kDlqReasonHeader);
  record.error_code = header_or_empty(message, kDlqErrorCodeHeader);
  record.original_topic = header_or_empty(message, kDlqOriginalTopicHeader);
  record.failed_at = header_or_empty(message, kDlqFailedAtHeader);
  record.failed_at_time = parse_rfc3339(record.failed_at);
  record.replay_count = replay_count(message.headers);
  if (const auto* bytes = header_value(message.headers, kDlqOriginalBytesHeader)) {
    record.original_bytes = whole_number<std::size_t>(*bytes);
  }
  record.redacted = header_or_empty(message, kDlqRedactedHeader) == "true";
  return record;
}

std::string dlq_position(std::int32_t partition, std::int64_t offset) {
  return std::to_string(partition) + ":" + std::to_string(offset);
}

Result<std::vector<DlqOffsetRange>> parse_dlq_offsets(std::string_view text, std::int32_t default_partition) {
  std::vector<DlqOffsetRange> ranges;
  while (true) {
    const auto comma = text.find(',');
    auto range = parse_range(text.substr(0, comma), default_partition);
    if (!range) return std::move(range).error();
    ranges.push_back(range.value());
    if (comma == std::string_view::npos) return ranges;
    text.remove_prefix(comma + 1);
  }
}

bool selects(const DlqSelection& selection, const DlqRecord& record) {
  if (selection.reason && !contains_ignoring_case(record.reason, *selection.reason)) return false;
  if (selection.since && (!record.failed_at_time || *record.failed_at_time < *selection.since)) return false;
  if (selection.offsets.empty()) return true;
  return std::any_of(selection.offsets.begin(), selection.offsets.end(), [&record](const DlqOffsetRange& range) {
    return range.partition == record.partition && range.first <= record.offset && record.offset <= range.last;
  });
}

ReplayDecision decide_replay(const DlqRecord& record, std::string_view payload, std::string_view commands_topic,
                             int prior_replays) {
  // Only the worker's own input is replayed; a header naming no topic is a record of before that header.
  if (!record.original_topic.empty() && record.original_topic != commands_topic) return {ReplaySkip::not_a_command};
  if (record.redacted) return {ReplaySkip::redacted};
  if (record.original_bytes && *record.original_bytes != payload.size()) return {ReplaySkip::truncated};
  if (!record.replay_count) return {ReplaySkip::unreadable_count};
  const int count = std::max(*record.replay_count, prior_replays);
  if (count >= kMaxDlqReplays) return {ReplaySkip::limit_reached};
  return {ReplaySkip::none, count + 1};
}

std::string describe(ReplaySkip skip) {
  switch (skip) {
    case ReplaySkip::none: return "replayed";
    case ReplaySkip::redacted:
      return "its payload was redacted (a card number or a one-time code was removed): replaying it would apply a "
             "different command";
    case ReplaySkip::limit_reached: return "replayed " + std::to_string(kMaxDlqReplays) + " times already";
    case ReplaySkip::unreadable_count: return "its dlq-replayed header is not a count";
    case ReplaySkip::not_a_command: return "it did not come from payment-commands (dlq-original-topic)";
    case ReplaySkip::truncated: return "its payload is not as long as the original was (dlq-original-bytes)";
  }
  return "unknown";
}

OutgoingMessage replay_message(const IncomingMessage& dlq_record, std::string_view commands_topic, int next_count) {
  return {std::string(commands_topic), dlq_record.key, dlq_record.value,
          {{std::string(kDlqReplayedHeader), std::to_string(next_count)}}};
}

std::vector<int> replay_counts(const std::vector<IncomingMessage>& messages) {
  std::map<std::pair<std::string_view, std::string_view>, int> highest;
  for (const auto& message : messages) {
    auto& best = highest[{message.key, message.value}];
    best = std::max(best, read_dlq_record(message).replay_count.value_or(0));
  }
  std::vector<int> out;
  out.reserve(messages.size());
  for (const auto& message : messages) out.push_back(highest[{message.key, message.value}]);
  return out;
}

std::string printable(std::string_view text) {
  std::string out(text);
  for (auto& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) c = '?';
  }
  return out;
}

}  // namespace payments::events
