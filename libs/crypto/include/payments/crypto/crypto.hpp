#pragma once
// The few cryptographic primitives the service uses, over OpenSSL: hashing request bodies, keyed hashes for
// one-time codes and webhook signatures, constant-time comparison.

#include <string>
#include <string_view>

namespace payments::crypto {

// Lower-case hex SHA-256 of `data`.
std::string sha256_hex(std::string_view data);

// Lower-case hex HMAC-SHA256 of `data` under `key`.
std::string hmac_sha256_hex(std::string_view key, std::string_view data);

// Compares without an early exit, so the time taken does not reveal where two secrets differ.
bool constant_time_equal(std::string_view a, std::string_view b) noexcept;

// A UUID (RFC 4122 layout, version 5-style) derived from `name`: the same name always gives the same id.
// Used for event ids that must stay stable across retries and redeliveries.
std::string stable_uuid(std::string_view name);

}  // namespace payments::crypto
