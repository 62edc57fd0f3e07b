#pragma once
// Records on payment-stripe-events are written only by payments-api, after it has checked Stripe's signature.
// The API signs each record it writes with INTERNAL_EVENT_KEY (HMAC-SHA256 over the topic, the key and the
// value), and the worker applies only records whose signature verifies: write access to the topic is not
// enough to forge a Stripe event. Several comma-separated keys rotate the key: the first signs, any verifies.

#include <string_view>
#include <vector>

#include "payments/core/config.hpp"
#include "payments/core/result.hpp"
#include "payments/events/kafka.hpp"

namespace payments::events {

inline constexpr std::string_view kRecordSignatureHeader = "payments-signature";
inline constexpr std::size_t kMinRecordKeyBytes = 32;

class RecordSigner {
 public:
  // From INTERNAL_EVENT_KEY's value: one key or several comma-separated, each at least 32 bytes. The error names
  // the variable and never repeats a key.
  static Result<RecordSigner> create(const Secret& keys);

  // Adds the signature header (replacing one already there).
  void sign(OutgoingMessage& message) const;

  // True when the record carries a signature made with one of the keys over exactly this topic, key and value.
  [[nodiscard]] bool verify(const IncomingMessage& message) const;

 private:
  explicit RecordSigner(std::vector<Secret> keys) : keys_(std::move(keys)) {}
  std::vector<Secret> keys_;
};

}  // namespace payments::events
