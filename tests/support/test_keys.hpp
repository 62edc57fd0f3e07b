#pragma once
// The keys of the integration and black-box tiers: fixed test keys (never used for real data), so a test can
// open what the binaries sealed, seal what they will open, and sign records as payments-api does.

#include <memory>
#include <string>

#include "payments/crypto/data_cipher.hpp"

namespace payments::testing {

// Base64 of 32 bytes each; "t1" is what a Stack's services get unless a test says otherwise.
inline const std::string kTestDataKey1 = "t1:dGVzdC1vbmx5LWRhdGEta2V5LW51bWJlci1vbmUtISE=";
inline const std::string kTestDataKey2 = "t2:dGVzdC1vbmx5LWRhdGEta2V5LW51bWJlci10d28tISE=";

// INTERNAL_EVENT_KEY of a Stack's API and workers: what signs records on payment-stripe-events.
inline const std::string kTestInternalEventKey = "internal_blackbox_key_of_at_least_32_bytes";

inline std::shared_ptr<const crypto::DataCipher> test_data_cipher(const std::string& setting = kTestDataKey1) {
  auto cipher = crypto::DataCipher::from_setting(setting);
  if (!cipher) return nullptr;
  return std::make_shared<const crypto::DataCipher>(std::move(cipher).value());
}

}  // namespace payments::testing
