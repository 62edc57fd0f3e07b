#pragma once
// The body of a payment command (REST POST /api/v1/payments and Kafka payment.create alike), and the rules
// it must keep. The JSON layer fills PaymentRequestInput and reports type errors; validate() applies the
// domain rules and answers with the first offending field.

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "payments/core/money.hpp"
#include "payments/core/result.hpp"

namespace payments {

using Metadata = std::vector<std::pair<std::string, std::string>>;

struct OtpDelivery {
  std::string channel;      // "sms" or "email"
  std::string destination;  // E.164 phone number or e-mail address
};

struct PaymentRequestInput {
  std::string order_id;
  std::int64_t amount = 0;
  std::string currency;
  std::string payment_method;
  std::optional<std::string> customer_id;
  std::optional<std::string> description;
  Metadata metadata;
  std::optional<OtpDelivery> otp;
};

struct PaymentRequest {
  std::string order_id;
  Money amount;
  std::string payment_method;
  std::optional<std::string> customer_id;
  std::optional<std::string> description;
  Metadata metadata;  // sorted by key, keys unique
  std::optional<OtpDelivery> otp;
};

// Limits, Stripe's where Stripe has one.
inline constexpr std::size_t kMaxOrderIdLength = 255;
inline constexpr std::size_t kMaxPaymentMethodLength = 255;
inline constexpr std::size_t kMaxCustomerIdLength = 255;
inline constexpr std::size_t kMaxDescriptionLength = 1000;
inline constexpr std::size_t kMaxMetadataKeys = 50;
inline constexpr std::size_t kMaxMetadataKeyLength = 40;
inline constexpr std::size_t kMaxMetadataValueLength = 500;
inline constexpr std::size_t kMaxOtpDestinationLength = 254;

Result<PaymentRequest> validate(PaymentRequestInput input);

}  // namespace payments
