#include "payments/events/record_signature.hpp"

#include <algorithm>
#include <string>

#include "payments/crypto/crypto.hpp"

namespace payments::events {
namespace {

constexpr std::string_view kVersion = "v1=";

std::string mac(const Secret& key, std::string_view topic, std::string_view record_key, std::string_view value) {
  // Lengths first, so that no two (topic, key, value) triples share the signed bytes.
  std::string signed_bytes;
  signed_bytes.reserve(topic.size() + record_key.size() + value.size() + 32);
  for (std::string_view part : {topic, record_key, value}) {
    signed_bytes += std::to_string(part.size());
    signed_bytes += ':';
    signed_bytes += part;
  }
  return std::string(kVersion) + crypto::hmac_sha256_hex(key.reveal(), signed_bytes);
}

}  // namespace

Result<RecordSigner> RecordSigner::create(const Secret& keys) {
  if (keys.empty()) {
    return Error::validation("INTERNAL_EVENT_KEY", "INTERNAL_EVENT_KEY is required: a random secret of at least " +
                                                       std::to_string(kMinRecordKeyBytes) +
                                                       " bytes shared by payments-api and payments-worker");
  }
  std::vector<Secret> parsed;
  std::string_view rest = keys.reveal();
  while (true) {
    const auto comma = rest.find(',');
    const std::string_view one = rest.substr(0, comma);
    if (one.size() < kMinRecordKeyBytes) {
      return Error::validation("INTERNAL_EVENT_KEY", "INTERNAL_EVENT_KEY: every key must be at least " +
                                                         std::to_string(kMinRecordKeyBytes) + " bytes");
    }
    parsed.emplace_back(std::string(one));
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return RecordSigner(std::move(parsed));
}

void RecordSigner::sign(OutgoingMessage& message) const {
  std::erase_if(message.headers, [](const auto& header) { return header.first == kRecordSignatureHeader; });
  message.headers.emplace_back(kRecordSignatureHeader, mac(keys_.front(), message.topic, message.key, message.value));
}

bool RecordSigner::verify(const IncomingMessage& message) const {
  const auto header = std::find_if(message.headers.begin(), message.headers.end(),
                                   [](const auto& h) { return h.first == kRecordSignatureHeader; });
  if (header == message.headers.end()) return false;
  return std::any_of(keys_.begin(), keys_.end(), [&](const Secret& key) {
    return crypto::constant_time_equal(header->second, mac(key, message.topic, message.key, message.value));
  });
}

}  // namespace payments::events
