// A record on payment-commands as the worker reads it: the envelope (events::parse_command_envelope), then the
// data of its type the way the worker's flow for that type reads it. Input: the record's value.
//
// Invariants: errors name their field (or the body) and never repeat a card number (they become the DLQ
// record's reason and a log line); a parsed envelope serializes and reads back to the same command, its data
// meaning the same to the flow that reads it; the data of payment.create and refund.create reads back from its
// canonical JSON unchanged; stripe.event is never accepted from this topic.
//
// "Meaning the same", not "the same bytes": RapidJSON 1.1.0 reads a number of more than 15 significant digits
// approximately (its exact mode has undefined behaviour UBSan reports), so such a number in `data` moves a
// little on each write and read (a 92-digit amount: 1e91, then 1.0000000000000005e91). No command carries
// such a number as a value: amounts are integers of minor units, and a flow refuses anything else the same
// way before and after.
#include <cstddef>
#include <cstdint>

#include "invariants.hpp"
#include "payments/core/otp.hpp"
#include "payments/events/commands.hpp"
#include "payments/json/json.hpp"

namespace {

using namespace payments;
using fuzz::require;

void payment_create(const std::string& data) {
  auto parsed = events::parse_payment_request(data);
  if (!parsed) return fuzz::require_well_formed_error(parsed.error());
  const std::string canonical = events::payment_request_json(parsed.value());
  auto again = events::parse_payment_request(canonical);
  require(again && events::payment_request_json(again.value()) == canonical,
          "payment.create data changes on a re-read", canonical);
}

void refund_create(const std::string& data) {
  auto parsed = events::parse_refund_request(data, true);
  if (!parsed) return fuzz::require_well_formed_error(parsed.error());
  const std::string canonical = events::refund_request_json(parsed.value());
  auto again = events::parse_refund_request(canonical, true);
  require(again && events::refund_request_json(again.value()) == canonical, "refund.create data changes on a re-read",
          canonical);
}

// As OtpFlow::verify reads it: a missing or malformed code is simply a wrong code.
void otp_verify(const std::string& data) {
  auto document = json::parse(data, {.max_bytes = 1024, .max_depth = 2});
  if (!document) return fuzz::require_well_formed_error(document.error());
  json::ObjectReader reader(document.value());
  if (auto code = reader.string("code")) {
    (void)is_well_formed_otp_code(code.value(), OtpPolicy{}.digits);
  } else {
    fuzz::require_well_formed_error(code.error());
  }
}

// What a command's data means to the flow that reads it: its canonical request, or the field its error names.
std::string meaning(events::CommandType type, const std::string& data) {
  switch (type) {
    case events::CommandType::payment_create: {
      auto parsed = events::parse_payment_request(data);
      return parsed ? events::payment_request_json(parsed.value()) : "refused: " + parsed.error().field;
    }
    case events::CommandType::refund_create: {
      auto parsed = events::parse_refund_request(data, true);
      return parsed ? events::refund_request_json(parsed.value()) : "refused: " + parsed.error().field;
    }
    case events::CommandType::payment_otp_verify: {
      auto document = json::parse(data, {.max_bytes = 1024, .max_depth = 2});
      if (!document) return "refused: " + document.error().field;
      auto code = json::ObjectReader(document.value()).string("code");
      return code ? "code " + code.value() : "refused: " + code.error().field;
    }
    case events::CommandType::payment_otp_send:
    case events::CommandType::stripe_event: return {};  // the data is not read
  }
  return {};
}

void require_same(const events::CommandEnvelope& a, const events::CommandEnvelope& b, const std::string& text) {
  require(a.command_id == b.command_id && a.type == b.type && a.payment_id == b.payment_id &&
              a.issued_at == b.issued_at && a.merchant_id == b.merchant_id &&
              meaning(a.type, a.data_json) == meaning(b.type, b.data_json),
          "a command changes when serialized and read back", text);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto envelope = events::parse_command_envelope(fuzz::as_text(data, size));
  if (!envelope) {
    fuzz::require_well_formed_error(envelope.error());
    return 0;
  }
  const events::CommandEnvelope& command = envelope.value();
  require(command.type != events::CommandType::stripe_event, "stripe.event accepted from payment-commands");
  const std::string serialized = events::serialize_command(command);
  auto again = events::parse_command_envelope(serialized);
  require(again.has_value(), "a serialized command is refused", serialized);
  require_same(command, again.value(), serialized);

  switch (command.type) {
    case events::CommandType::payment_create: payment_create(command.data_json); break;
    case events::CommandType::refund_create: refund_create(command.data_json); break;
    case events::CommandType::payment_otp_verify: otp_verify(command.data_json); break;
    case events::CommandType::payment_otp_send: break;  // its data is not read
    case events::CommandType::stripe_event: break;
  }
  return 0;
}
