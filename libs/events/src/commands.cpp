#include "payments/events/commands.hpp"

#include <array>

#include "payments/core/card_number.hpp"
#include "payments/core/ids.hpp"
#include "payments/crypto/crypto.hpp"
#include "payments/json/json.hpp"

namespace payments::events {
namespace {

constexpr std::array<std::pair<CommandType, std::string_view>, 5> kTypes{{
    {CommandType::payment_create, "payment.create"},
    {CommandType::payment_otp_send, "payment.otp.send"},
    {CommandType::payment_otp_verify, "payment.otp.verify"},
    {CommandType::refund_create, "refund.create"},
    {CommandType::stripe_event, "stripe.event"},
}};

Error raw_card_data() {
  return {ErrorCode::raw_card_data,
          "the request contains what looks like a card number; never send card details to this API. Collect them "
          "with Stripe.js or Elements and send the payment method id (pm_...) it returns",
          {}};
}

std::string serialize(const rapidjson::Value& value) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  value.Accept(writer);
  return {buffer.GetString(), buffer.GetSize()};
}

}  // namespace

std::string_view to_string(CommandType type) noexcept {
  for (const auto& [value, name] : kTypes) {
    if (value == type) return name;
  }
  return "unknown";
}

std::optional<CommandType> parse_command_type(std::string_view text) noexcept {
  for (const auto& [value, name] : kTypes) {
    if (name == text) return value;
  }
  return std::nullopt;
}

Result<CommandEnvelope> parse_command_envelope(std::string_view text) {
  auto document = json::parse(text, {.max_bytes = kMaxCommandBytes, .max_depth = 8});
  if (!document) return std::move(document).error();
  json::ObjectReader reader(document.value());

  CommandEnvelope out;
  auto type = reader.string("type");
  if (!type) return std::move(type).error();
  const auto parsed_type = parse_command_type(type.value());
  if (!parsed_type) {
    // The reason lands in the DLQ record and the log: a type that could be (or hold) a card number is not repeated.
    return Error::validation("type", safe_to_echo(type.value(), 64)
                                         ? "unknown command type '" + type.value() + "'"
                                         : std::string("unknown command type (not repeated: over 64 characters or a "
                                                       "card number)"));
  }
  if (*parsed_type == CommandType::stripe_event) {
    return Error::validation("type", "stripe.event is not a command: Stripe's events reach the worker only through "
                                     "the API's verified webhook endpoint");
  }
  out.type = *parsed_type;

  auto payment_id = reader.string("payment_id");
  if (!payment_id) return std::move(payment_id).error();
  if (!is_valid_external_id(payment_id.value())) {
    return Error::validation("payment_id", "must be 1 to 64 characters of letters, digits, '_' or '-'");
  }
  out.payment_id = std::move(payment_id).value();

  auto command_id = reader.string("command_id");
  if (!command_id) return std::move(command_id).error();
  if (!is_valid_external_id(command_id.value())) {
    return Error::validation("command_id", "must be a UUID (1 to 64 characters of letters, digits, '_' or '-')");
  }
  out.command_id = std::move(command_id).value();

  auto issued_at = reader.optional_string("issued_at");
  if (!issued_at) return std::move(issued_at).error();
  out.issued_at = issued_at.value().value_or("");

  auto merchant_id = reader.optional_string("merchant_id");
  if (!merchant_id) return std::move(merchant_id).error();
  if (merchant_id.value() && !is_valid_external_id(*merchant_id.value())) {
    return Error::validation("merchant_id", "must be 1 to 64 characters of letters, digits, '_' or '-'");
  }
  out.merchant_id = std::move(merchant_id).value();

  const auto* data = reader.member("data");
  if (data == nullptr || !data->IsObject()) return Error::validation("data", "must be an object");
  out.data_json = serialize(*data);
  out.source = std::string(text);
  return out;
}

Result<PaymentRequest> parse_payment_request(std::string_view text) {
  auto document = json::parse(text, {.max_bytes = kMaxCommandBytes, .max_depth = 4});
  if (!document) return std::move(document).error();
  // Before anything else, and before any field could be echoed back in an error.
  if (json::contains_card_number(document.value())) return raw_card_data();

  json::ObjectReader reader(document.value());
  if (auto known = reader.only({"order_id", "amount", "currency", "payment_method", "customer_id", "description",
                                "metadata", "otp"});
      !known) {
    return std::move(known).error();
  }
  PaymentRequestInput input;
  auto order_id = reader.string("order_id");
  if (!order_id) return std::move(order_id).error();
  input.order_id = std::move(order_id).value();
  auto amount = reader.integer("amount");
  if (!amount) return std::move(amount).error();
  input.amount = amount.value();
  auto currency = reader.string("currency");
  if (!currency) return std::move(currency).error();
  input.currency = std::move(currency).value();
  auto method = reader.string("payment_method");
  if (!method) return std::move(method).error();
  input.payment_method = std::move(method).value();
  auto customer = reader.optional_string("customer_id");
  if (!customer) return std::move(customer).error();
  input.customer_id = std::move(customer).value();
  auto description = reader.optional_string("description");
  if (!description) return std::move(description).error();
  input.description = std::move(description).value();
  auto metadata = reader.string_map("metadata");
  if (!metadata) return std::move(metadata).error();
  input.metadata = std::move(metadata).value();

  if (const auto* otp = reader.member("otp"); otp != nullptr && !otp->IsNull()) {
    if (!otp->IsObject()) return Error::validation("otp", "must be an object with channel and destination");
    json::ObjectReader otp_reader(*otp, "otp");
    if (auto known = otp_reader.only({"channel", "destination"}); !known) return std::move(known).error();
    auto channel = otp_reader.string("channel");
    if (!channel) return std::move(channel).error();
    auto destination = otp_reader.string("destination");
    if (!destination) return std::move(destination).error();
    input.otp = OtpDelivery{std::move(channel).value(), std::move(destination).value()};
  }
  return validate(std::move(input));
}

std::string payment_request_json(const PaymentRequest& request) {
  json::Builder b;
  b.begin_object()
      .field("order_id", request.order_id)
      .field("amount", request.amount.minor())
      .field("currency", request.amount.currency().code())
      .field("payment_method", request.payment_method)
      .optional_field("customer_id", request.customer_id)
      .optional_field("description", request.description);
  if (!request.metadata.empty()) {
    b.key("metadata").begin_object();
    for (const auto& [key, value] : request.metadata) b.field(key, value);
    b.end_object();
  }
  if (request.otp) {
    b.key("otp").begin_object().field("channel", request.otp->channel).field("destination", request.otp->destination);
    b.end_object();
  }
  b.end_object();
  return b.str();
}

std::string request_fingerprint(const PaymentRequest& request) {
  return crypto::sha256_hex(payment_request_json(request));
}

Result<RefundCommandData> parse_refund_request(std::string_view text, bool refund_id_required) {
  auto document = json::parse(text, {.max_bytes = 4 * 1024, .max_depth = 2});
  if (!document) return std::move(document).error();
  if (json::contains_card_number(document.value())) return raw_card_data();
  json::ObjectReader reader(document.value());
  if (auto known = refund_id_required ? reader.only({"refund_id", "amount", "reason"}) : reader.only({"amount", "reason"});
      !known) {
    return std::move(known).error();
  }
  RefundCommandData request;
  if (refund_id_required) {
    auto id = reader.string("refund_id");
    if (!id) return std::move(id).error();
    request.refund_id = std::move(id).value();
  } else {
    request.refund_id = "ref_unassigned";  // the caller assigns the id; validated below for shape only
  }
  auto amount = reader.optional_integer("amount");
  if (!amount) return std::move(amount).error();
  request.amount = amount.value();
  auto reason = reader.optional_string("reason");
  if (!reason) return std::move(reason).error();
  request.reason = std::move(reason).value();
  if (auto valid = validate(request); !valid) return std::move(valid).error();
  return request;
}

std::string refund_request_json(const RefundCommandData& request) {
  json::Builder b;
  b.begin_object().field("refund_id", request.refund_id);
  if (request.amount) b.field("amount", *request.amount);
  b.optional_field("reason", request.reason).end_object();
  return b.str();
}

std::string refund_fingerprint(const std::string& payment_id, const RefundCommandData& request) {
  json::Builder b;
  b.begin_object().field("payment_id", payment_id);
  if (request.amount) b.field("amount", *request.amount);
  b.optional_field("reason", request.reason).end_object();
  return crypto::sha256_hex(b.str());
}

std::string serialize_command(const CommandEnvelope& command) {
  json::Builder b;
  b.begin_object()
      .field("command_id", command.command_id)
      .field("type", to_string(command.type))
      .field("payment_id", command.payment_id)
      .field("issued_at", command.issued_at);
  if (command.merchant_id) b.field("merchant_id", *command.merchant_id);
  b.key("data")
      .raw(command.data_json)
      .end_object();
  return b.str();
}

CommandEnvelope stripe_event_command(std::string payment_id, std::string_view event_id, std::string raw_event) {
  CommandEnvelope command;
  command.command_id = crypto::stable_uuid("stripe-event/" + std::string(event_id));
  command.type = CommandType::stripe_event;
  command.payment_id = std::move(payment_id);
  command.data_json = std::move(raw_event);
  return command;
}

}  // namespace payments::events
