#include <doctest/doctest.h>

#include "payments/events/record_signature.hpp"

using payments::Secret;
using payments::events::IncomingMessage;
using payments::events::kRecordSignatureHeader;
using payments::events::OutgoingMessage;
using payments::events::RecordSigner;

namespace {

const std::string kKeyA(40, 'a');
const std::string kKeyB(40, 'b');

RecordSigner signer(const std::string& keys) {
  auto made = RecordSigner::create(Secret(keys));
  REQUIRE(made);
  return made.value();
}

// What the worker receives for what the API sent.
IncomingMessage received(const OutgoingMessage& sent) {
  return {.topic = sent.topic, .partition = 3, .offset = 7, .key = sent.key, .value = sent.value,
          .headers = sent.headers};
}

OutgoingMessage record() { return {"payment-stripe-events", "pay_1", R"({"id":"evt_1"})", {}}; }

}  // namespace

TEST_CASE("a record the API signed verifies - any change to topic, key or value does not") {
  const auto api = signer(kKeyA);
  auto sent = record();
  api.sign(sent);
  REQUIRE(sent.headers.size() == 1);
  CHECK(sent.headers[0].first == kRecordSignatureHeader);
  CHECK(api.verify(received(sent)));

  auto other_value = received(sent);
  other_value.value = R"({"id":"evt_2"})";
  CHECK_FALSE(api.verify(other_value));
  auto other_key = received(sent);
  other_key.key = "pay_2";
  CHECK_FALSE(api.verify(other_key));
  auto other_topic = received(sent);
  other_topic.topic = "payment-commands";
  CHECK_FALSE(api.verify(other_topic));
  // Moving bytes between key and value does not keep the signature.
  auto shifted = received(sent);
  shifted.key = "pay_1{";
  shifted.value = sent.value.substr(1);
  CHECK_FALSE(api.verify(shifted));
}

TEST_CASE("an unsigned record, or one signed with another key, is refused") {
  const auto worker = signer(kKeyA);
  CHECK_FALSE(worker.verify(received(record())));

  auto forged = record();
  signer(kKeyB).sign(forged);
  CHECK_FALSE(worker.verify(received(forged)));

  auto garbage = received(record());
  garbage.headers.emplace_back(std::string(kRecordSignatureHeader), "v1=00");
  CHECK_FALSE(worker.verify(garbage));
}

TEST_CASE("rotation: the first key signs, every listed key verifies") {
  auto old_record = record();
  signer(kKeyA).sign(old_record);
  const auto rotating = signer(kKeyB + "," + kKeyA);
  CHECK(rotating.verify(received(old_record)));
  auto new_record = record();
  rotating.sign(new_record);
  CHECK(signer(kKeyB).verify(received(new_record)));
  CHECK_FALSE(signer(kKeyA).verify(received(new_record)));
  // Signing again replaces the header rather than adding a second one.
  rotating.sign(new_record);
  CHECK(new_record.headers.size() == 1);
}

TEST_CASE("INTERNAL_EVENT_KEY must be set and every key long enough - the error repeats no key") {
  auto missing = RecordSigner::create(Secret());
  REQUIRE_FALSE(missing);
  CHECK(missing.error().field == "INTERNAL_EVENT_KEY");

  const std::string short_key = "too-short-secret";
  auto too_short = RecordSigner::create(Secret(kKeyA + "," + short_key));
  REQUIRE_FALSE(too_short);
  CHECK(too_short.error().message.find("32 bytes") != std::string::npos);
  CHECK(too_short.error().message.find(short_key) == std::string::npos);
  CHECK(too_short.error().message.find(kKeyA) == std::string::npos);
  CHECK_FALSE(RecordSigner::create(Secret(kKeyA + ",")));
}
