#pragma once
// The messages on payment-commands: an envelope (command_id, type, payment_id, issued_at, data) and the
// data of each type. Written by the API and by order services directly; both go through these functions.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "payments/core/payment_request.hpp"
#include "payments/core/refund.hpp"
#include "payments/core/result.hpp"
#include "payments/core/time.hpp"

namespace payments::events {

// stripe_event is internal: a verified Stripe event from the stripe-events topic, never accepted on
// payment-commands.
enum class CommandType { payment_create, payment_otp_send, payment_otp_verify, refund_create, stripe_event };

std::string_view to_string(CommandType type) noexcept;
std::optional<CommandType> parse_command_type(std::string_view text) noexcept;

struct CommandEnvelope {
  std::string command_id;
  CommandType type = CommandType::payment_create;
  std::string payment_id;
  std::string issued_at;  // RFC 3339, as the producer wrote it
  std::string data_json;  // the `data` object, serialized
  // Whose command it is. The API always names the caller's merchant; an order service may leave it out, and
  // the worker then takes KAFKA_DEFAULT_MERCHANT (see merchant_or).
  std::optional<std::string> merchant_id;

  [[nodiscard]] const std::string& merchant_or(const std::string& fallback) const {
    return merchant_id ? *merchant_id : fallback;
  }

  // Where it was read from, when it came from Kafka: the exact bytes (what a DLQ copy must carry) and the
  // record's position. Not part of the serialized command.
  std::string source;
  std::string source_topic;
  std::int32_t source_partition = -1;
  std::int64_t source_offset = -1;
  int replays = 0;  // the record's dlq-replayed header: how often an operator replayed it from the DLQ
};

// Largest command accepted from Kafka; bigger ones go to the DLQ unread.
inline constexpr std::size_t kMaxCommandBytes = 64 * 1024;

// Reads the envelope. An error here means the command cannot be understood at all (not JSON, unknown type,
// no usable payment_id or command_id): it belongs in the DLQ, with the error's message as the reason.
Result<CommandEnvelope> parse_command_envelope(std::string_view json);

// Reads and validates payment.create data (also the REST body of POST /api/v1/payments).
// A card number anywhere gives ErrorCode::raw_card_data, whose message never repeats it.
Result<PaymentRequest> parse_payment_request(std::string_view json);

// The canonical JSON of a validated request: fixed key order, metadata sorted. Used as payment.create data
// and, hashed, as the request's fingerprint for idempotency.
std::string payment_request_json(const PaymentRequest& request);
std::string request_fingerprint(const PaymentRequest& request);

// Reads and validates refund data: `refund.create` data ({refund_id, amount?, reason?}) when
// `refund_id_required`, else the REST body of POST /api/v1/payments/{id}/refunds ({amount?, reason?}).
Result<RefundCommandData> parse_refund_request(std::string_view json, bool refund_id_required);
// Canonical refund.create data, and its fingerprint for idempotency.
std::string refund_request_json(const RefundCommandData& request);
std::string refund_fingerprint(const std::string& payment_id, const RefundCommandData& request);

std::string serialize_command(const CommandEnvelope& command);

// A Stripe event read off the stripe-events topic (keyed by `payment_id`), as the command the worker applies.
// Its command_id is derived from the event id, so a repeated delivery of an event is a repeated command;
// `data_json` is the event exactly as Stripe sent it.
CommandEnvelope stripe_event_command(std::string payment_id, std::string_view event_id, std::string raw_event);


}  // namespace payments::events
