// Redaction of what goes to payment-commands-dlq, and reasons in the project's own words.
#include <doctest/doctest.h>

#include "payments/events/dlq.hpp"

using namespace payments;
using namespace payments::events;

TEST_CASE("a command with nothing sensitive goes to the DLQ byte for byte") {
  const std::string command = R"({"command_id":"c1","type":"payment.teleport", "payment_id":"p1","data":{}})";
  const auto payload = redact_for_dlq(command);
  CHECK_FALSE(payload.redacted);
  CHECK(payload.value == command);
  CHECK(payload.original_bytes == command.size());
}

TEST_CASE("card numbers in keys and values and every code member are redacted, at any depth") {
  const std::string command =
      R"({"command_id":"c1","type":"payment.otp.verify","payment_id":"p1","data":{"code":"123456",)"
      R"("deep":[{"code":987654}],"note":"pan 4242-4242-4242-4242","4000056655665556":"k","n":4242424242424242}})";
  const auto payload = redact_for_dlq(command);
  CHECK(payload.redacted);
  CHECK(payload.original_bytes == command.size());
  for (const char* secret : {"123456", "987654", "4242-4242-4242-4242", "4000056655665556", "4242424242424242"}) {
    CAPTURE(secret);
    CHECK(payload.value.find(secret) == std::string::npos);
  }
  CHECK(payload.value.find(R"("command_id":"c1")") != std::string::npos);
  CHECK(payload.value.find(R"("code":"[redacted]")") != std::string::npos);
}

TEST_CASE("text that is not JSON is redacted by pattern") {
  const auto payload = redact_for_dlq(R"(oops {"code" : "123456", 4242 4242 4242 4242 and "code":99)");
  CHECK(payload.redacted);
  CHECK(payload.value == R"(oops {"code":"[redacted]", [redacted] and "code":"[redacted]")");
}

TEST_CASE("a dlq reason names only fields this project defines") {
  CHECK(dlq_reason("command envelope invalid", Error::validation("type", "unknown command type 'x.y'")) ==
        "command envelope invalid (type)");
  CHECK(dlq_reason("invalid", Error::validation("metadata.4242424242424242", "bad")) == "invalid (metadata)");
  CHECK(dlq_reason("invalid", Error::validation("some_input_key", "bad")) == "invalid");
  CHECK(dlq_reason("invalid", Error::internal("anything the input said")) == "invalid");
}
