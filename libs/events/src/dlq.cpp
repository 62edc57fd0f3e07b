#include "payments/events/dlq.hpp"

#include <array>
#include <charconv>
#include <regex>

#include "payments/core/card_number.hpp"
#include "payments/json/json.hpp"

namespace payments::events {
namespace {

// Fields of the commands and Stripe events this project reads; anything else in an error's field (a
// metadata key, say) came from the input.
constexpr std::array<std::string_view, 20> kKnownFields = {
    "command_id", "type",     "payment_id",     "issued_at",   "merchant_id", "data",  "order_id",
    "amount",     "currency", "payment_method", "customer_id", "description", "otp",   "otp.channel",
    "otp.destination", "metadata", "refund_id", "reason", "code", "id"};

bool is_known_field(std::string_view field) {
  for (auto known : kKnownFields) {
    if (field == known) return true;
  }
  return false;
}

std::string text_of(const rapidjson::Value& v) { return {v.GetString(), v.GetStringLength()}; }

// Redacts `value` in place; true when anything changed.
bool redact(rapidjson::Value& value, rapidjson::Document::AllocatorType& allocator) {
  const rapidjson::Value redacted(kRedacted.data(), static_cast<rapidjson::SizeType>(kRedacted.size()), allocator);
  bool changed = false;
  if (value.IsString() && contains_card_number(text_of(value))) {
    value.CopyFrom(redacted, allocator);
    return true;
  }
  if (value.IsUint64() && contains_card_number(std::to_string(value.GetUint64()))) {
    value.CopyFrom(redacted, allocator);
    return true;
  }
  if (value.IsObject()) {
    for (auto& member : value.GetObject()) {
      if (contains_card_number(text_of(member.name))) {
        member.name.CopyFrom(redacted, allocator);
        changed = true;
      }
      if (text_of(member.name) == "code" && !(member.value.IsString() && text_of(member.value) == kRedacted)) {
        member.value.CopyFrom(redacted, allocator);
        changed = true;
        continue;
      }
      changed = redact(member.value, allocator) || changed;
    }
  }
  if (value.IsArray()) {
    for (auto& element : value.GetArray()) changed = redact(element, allocator) || changed;
  }
  return changed;
}

// Not JSON (or too large or deep to read as such): card numbers by pattern, and anything shaped like a
// "code" member.
std::string redact_text(std::string_view text) {
  static const std::regex code_member(R"re("code"\s*:\s*("(?:[^"\\]|\\.)*"|[0-9]+))re");
  const std::string without_cards = redact_card_numbers(text, kRedacted);
  return std::regex_replace(without_cards, code_member, "\"code\":\"" + std::string(kRedacted) + "\"");
}

}  // namespace

DlqPayload redact_for_dlq(std::string_view command) {
  DlqPayload out;
  out.original_bytes = command.size();
  auto document = json::parse(command, {.max_bytes = 1024 * 1024, .max_depth = 32});
  if (document) {
    out.redacted = redact(document.value(), document.value().GetAllocator());
    if (out.redacted) {
      rapidjson::StringBuffer buffer;
      rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
      document.value().Accept(writer);
      out.value.assign(buffer.GetString(), buffer.GetSize());
      return out;
    }
    out.value = std::string(command);
    return out;
  }
  out.value = redact_text(command);
  out.redacted = out.value != command;
  return out;
}

std::string dlq_reason(std::string_view what, const Error& cause) {
  std::string reason(what);
  std::string_view field = cause.field;
  if (field.rfind("metadata.", 0) == 0) field = "metadata";
  if (is_known_field(field)) reason += " (" + std::string(field) + ")";
  return reason;
}

std::optional<int> replay_count(const Headers& headers) {
  const std::string* value = header_value(headers, kDlqReplayedHeader);
  if (value == nullptr) return 0;
  int count = 0;
  const auto [end, ec] = std::from_chars(value->data(), value->data() + value->size(), count);
  if (value->empty() || ec != std::errc{} || end != value->data() + value->size() || count < 0) return std::nullopt;
  return count;
}

}  // namespace payments::events
