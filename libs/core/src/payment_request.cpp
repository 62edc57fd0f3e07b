#include "payments/core/payment_request.hpp"

#include <algorithm>

#include "payments/core/card_number.hpp"

namespace payments {
namespace {

// What the service itself writes into Stripe's metadata, and a caller therefore may not: otherwise a caller
// could make its payment look like another one (or another merchant's) to a search by metadata.
bool is_reserved_metadata_key(std::string_view key) {
  for (std::string_view reserved : {"payment_id", "order_id", "merchant_id", "environment", "refund_id",
                                    "customer_id"}) {
    if (key == reserved) return true;
  }
  return false;
}

bool printable(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x20 && c != 0x7f; });
}

bool is_token_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

// Stripe payment method ids: pm_..., tok_... (legacy tokens), card_... / src_... are not accepted here.
bool is_payment_method_id(std::string_view id) {
  const bool prefixed = id.rfind("pm_", 0) == 0 || id.rfind("tok_", 0) == 0;
  const auto body = id.substr(id.find('_') + 1);
  return prefixed && !body.empty() && id.size() <= kMaxPaymentMethodLength &&
         std::all_of(body.begin(), body.end(), is_token_char);
}

bool is_e164(std::string_view phone) {
  if (phone.size() < 8 || phone.size() > 16 || phone.front() != '+' || phone[1] == '0') return false;
  return std::all_of(phone.begin() + 1, phone.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool is_email(std::string_view email) {
  const auto at = email.find('@');
  if (at == std::string_view::npos || at == 0 || at != email.rfind('@')) return false;
  const auto domain = email.substr(at + 1);
  const auto dot = domain.rfind('.');
  return dot != std::string_view::npos && dot > 0 && dot + 1 < domain.size() && printable(email) &&
         email.find(' ') == std::string_view::npos && email.size() <= kMaxOtpDestinationLength;
}

std::optional<Error> check_text(const std::string& field, std::string_view value, std::size_t max, bool required) {
  if (required && value.empty()) return Error::validation(field, "is required");
  if (value.size() > max) return Error::validation(field, "must be at most " + std::to_string(max) + " characters");
  if (!printable(value)) return Error::validation(field, "must not contain control characters");
  return std::nullopt;
}

}  // namespace

Result<PaymentRequest> validate(PaymentRequestInput input) {
  if (auto e = check_text("order_id", input.order_id, kMaxOrderIdLength, true)) return std::move(*e);

  const auto currency = Currency::from_code(input.currency);
  if (!currency) {
    return Error::validation("currency", "must be one of the supported ISO 4217 codes: " + Currency::supported_codes());
  }
  auto amount = Money::charge(input.amount, *currency, "amount");
  if (!amount) return std::move(amount).error();

  if (input.payment_method.empty()) return Error::validation("payment_method", "is required");
  if (!is_payment_method_id(input.payment_method)) {
    return Error::validation("payment_method",
                             "must be a Stripe payment method id (pm_...) or token (tok_...); collect card details "
                             "with Stripe.js or Elements and send the id it returns");
  }
  if (input.customer_id) {
    if (auto e = check_text("customer_id", *input.customer_id, kMaxCustomerIdLength, true)) return std::move(*e);
  }
  if (input.description) {
    if (auto e = check_text("description", *input.description, kMaxDescriptionLength, false)) return std::move(*e);
  }

  if (input.metadata.size() > kMaxMetadataKeys) {
    return Error::validation("metadata", "must have at most " + std::to_string(kMaxMetadataKeys) + " keys");
  }
  std::sort(input.metadata.begin(), input.metadata.end());
  for (std::size_t i = 0; i < input.metadata.size(); ++i) {
    const auto& [key, value] = input.metadata[i];
    // The key names the field when it can be repeated whole; otherwise the field is the metadata object.
    const std::string field = safe_to_echo(key, kMaxMetadataKeyLength) ? "metadata." + key : std::string("metadata");
    if (key.empty() || key.size() > kMaxMetadataKeyLength || key.find_first_of("[]") != std::string::npos ||
        !printable(key)) {
      return Error::validation(field, "metadata keys must be 1 to 40 printable characters without '[' or ']'");
    }
    if (i > 0 && input.metadata[i - 1].first == key) return Error::validation(field, "duplicate metadata key");
    if (is_reserved_metadata_key(key)) {
      return Error::validation(field, "metadata key '" + key + "' is reserved: the service sets it on Stripe itself");
    }
    if (auto e = check_text(field, value, kMaxMetadataValueLength, false)) return std::move(*e);
  }

  if (input.otp) {
    if (input.otp->channel == "sms") {
      if (!is_e164(input.otp->destination)) {
        return Error::validation("otp.destination", "must be a phone number in E.164 form, e.g. +14155550123");
      }
    } else if (input.otp->channel == "email") {
      if (!is_email(input.otp->destination)) return Error::validation("otp.destination", "must be an e-mail address");
    } else {
      return Error::validation("otp.channel", "must be \"sms\" or \"email\"");
    }
  }

  return PaymentRequest{std::move(input.order_id),     std::move(amount).value(), std::move(input.payment_method),
                        std::move(input.customer_id),  std::move(input.description), std::move(input.metadata),
                        std::move(input.otp)};
}

}  // namespace payments
