// The JSON Schemas of schemas/json against the code: what the code writes must match them, what the code
// refuses they must refuse too (and the few rules a schema cannot express are listed here by name), and
// every enum they hold must be the code's. A change on either side that is not made on the other fails here.

#include <doctest/doctest.h>
#include <rapidjson/document.h>
#include <rapidjson/pointer.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "payments/api/errors.hpp"
#include "payments/core/currency.hpp"
#include "payments/core/ids.hpp"
#include "payments/core/otp.hpp"
#include "payments/crypto/crypto.hpp"
#include "payments/core/payment.hpp"
#include "payments/core/random.hpp"
#include "payments/core/refund.hpp"
#include "payments/events/commands.hpp"
#include "payments/events/dlq.hpp"
#include "payments/events/payment_events.hpp"
#include "payments/store/payment_repository.hpp"
#include "payments/store/refund_repository.hpp"
#include "support/json_schema.hpp"
#include "views.hpp"

using namespace payments;
using payments::testing::join;
using payments::testing::SchemaSet;

namespace {

const std::filesystem::path kSchemaDir{PAYMENTS_SCHEMA_DIR};
const std::filesystem::path kSourceDir{PAYMENTS_SOURCE_DIR};

SchemaSet& schemas() {
  static SchemaSet set(kSchemaDir);
  return set;
}

std::vector<std::string> errors_of(const std::string& schema, const std::string& json) {
  return schemas().validate(schema, json);
}

#define CHECK_VALID(schema, json)                                    \
  do {                                                               \
    const std::string checked_json_ = (json);                        \
    const auto errors_ = errors_of((schema), checked_json_);         \
    INFO("schema: ", (schema), "\ninstance: ", checked_json_);       \
    CHECK_MESSAGE(errors_.empty(), join(errors_));                   \
  } while (false)

#define CHECK_INVALID(schema, json)                                  \
  do {                                                               \
    const std::string checked_json_ = (json);                        \
    INFO("schema: ", (schema), "\ninstance: ", checked_json_);       \
    CHECK_FALSE(errors_of((schema), checked_json_).empty());         \
  } while (false)

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE_MESSAGE(in, "cannot read " << path.string());
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

rapidjson::Document read_json(const std::string& schema_file) {
  const auto text = read_file(kSchemaDir / schema_file);
  rapidjson::Document document;
  document.Parse(text.data(), text.size());
  REQUIRE_FALSE(document.HasParseError());
  return document;
}

// The strings of an array inside a schema file, found by JSON Pointer.
std::set<std::string> strings_at(const std::string& schema_file, const char* pointer) {
  const auto document = read_json(schema_file);
  const auto* array = rapidjson::Pointer(pointer).Get(document);
  REQUIRE_MESSAGE(array != nullptr, schema_file << pointer << " is missing");
  REQUIRE(array->IsArray());
  std::set<std::string> out;
  for (const auto& v : array->GetArray()) {
    REQUIRE(v.IsString());
    out.emplace(v.GetString(), v.GetStringLength());
  }
  return out;
}

// The member names of the object at `pointer` in a schema (e.g. its /properties).
std::set<std::string> names_at(const std::string& schema_file, const char* pointer) {
  const auto document = read_json(schema_file);
  const auto* object = rapidjson::Pointer(pointer).Get(document);
  REQUIRE_MESSAGE(object != nullptr, schema_file << pointer << " is missing");
  REQUIRE(object->IsObject());
  std::set<std::string> out;
  for (const auto& m : object->GetObject()) out.emplace(m.name.GetString(), m.name.GetStringLength());
  return out;
}

std::string obj(std::initializer_list<std::string> members) {
  std::string out = "{";
  for (const auto& m : members) {
    if (out.size() > 1) out += ",";
    out += m;
  }
  return out + "}";
}

std::string quoted(const std::string& text) { return "\"" + text + "\""; }

const std::string kOrder = R"("order_id":"order-1042")";
const std::string kAmount = R"("amount":2599)";
const std::string kCurrency = R"("currency":"usd")";
const std::string kMethod = R"("payment_method":"pm_card_visa")";
const std::string kTimestamp = "2026-11-22T10:00:00.123Z";

constexpr std::initializer_list<PaymentStatus> kAllStatuses = {
    PaymentStatus::pending,   PaymentStatus::otp_required, PaymentStatus::processing,
    PaymentStatus::requires_action, PaymentStatus::succeeded, PaymentStatus::failed,
    PaymentStatus::canceled,  PaymentStatus::partially_refunded, PaymentStatus::refunded};

constexpr std::initializer_list<ErrorCode> kAllErrorCodes = {
    ErrorCode::validation_error, ErrorCode::raw_card_data, ErrorCode::not_found, ErrorCode::idempotency_conflict,
    ErrorCode::invalid_state,    ErrorCode::unavailable,   ErrorCode::internal,  ErrorCode::unauthenticated,
    ErrorCode::forbidden,        ErrorCode::rate_limited};

constexpr std::initializer_list<events::CommandType> kAllCommandTypes = {
    events::CommandType::payment_create, events::CommandType::payment_otp_send,
    events::CommandType::payment_otp_verify, events::CommandType::refund_create};

std::string command(std::string_view type, const std::string& data) {
  return obj({R"("command_id":"5f0c6d0e-8a4b-4c1e-9a57-2f1d3c4b5a69")", R"("type":)" + quoted(std::string(type)),
              R"("payment_id":"pay_order-1042")", R"("issued_at":")" + kTimestamp + "\"", R"("data":)" + data});
}

std::string create_command(const std::string& data) { return command("payment.create", data); }

store::PaymentRecord record(PaymentStatus status) {
  const auto usd = [](std::int64_t minor) { return Money::parse(minor, "usd").value(); };
  store::PaymentRecord p{.amount = usd(2599), .amount_refunded = usd(0)};
  p.id = PaymentId::generate(system_random()).str();
  p.merchant_id = "acme";
  p.order_id = "order-1042";
  p.payment_method = "pm_card_visa";
  p.customer_id = "cus_P1x9";
  p.description = "2 tickets";
  p.status = status;
  p.created_at = kTimestamp;
  p.updated_at = "2026-11-22T10:00:01.456Z";
  if (status != PaymentStatus::pending && status != PaymentStatus::otp_required) {
    p.stripe_payment_intent_id = "pi_3N2x9aLkdIwHu7ix0aBcDeFg";
  }
  if (status == PaymentStatus::failed) {
    p.failure_code = "card_declined";
    p.failure_decline_code = "insufficient_funds";
    p.failure_message = "Your card has insufficient funds.";
  }
  if (status == PaymentStatus::canceled) {
    p.failure_code = "not_accepted";
    p.failure_message = "the command could not be queued; nothing was charged";
  }
  if (status == PaymentStatus::requires_action) {
    p.next_action_url = "https://hooks.stripe.com/3d_secure_2/authenticate/pi_3N2x9aLkdIwHu7ix0aBcDeFg";
  }
  if (status == PaymentStatus::partially_refunded) p.amount_refunded = usd(500);
  if (status == PaymentStatus::refunded) p.amount_refunded = usd(2599);
  return p;
}

store::RefundRecord refund_record(const std::string& payment_id, RefundStatus status) {
  store::RefundRecord r;
  r.merchant_id = "acme";
  r.id = RefundId::generate(system_random()).str();
  r.payment_id = payment_id;
  r.requested_amount = 500;
  r.amount = Money::parse(500, "usd").value();
  r.reserved = true;
  r.reason = "requested_by_customer";
  r.status = status;
  r.created_at = kTimestamp;
  r.updated_at = "2026-11-22T10:00:02.789Z";
  if (status == RefundStatus::succeeded) r.stripe_refund_id = "re_3N2x9aLkdIwHu7ix0aBcDeFg";
  if (status == RefundStatus::failed) {
    r.failure_code = "amount_exceeds_refundable";
    r.failure_message = "refund of 5000 exceeds the 2599 still refundable";
    r.reserved = false;
    r.amount = Money::parse(0, "usd").value();
    r.requested_amount = 5000;
  }
  return r;
}

events::PaymentEvent charged_event(std::string_view type, std::string_view status) {
  events::PaymentEvent e;
  e.merchant_id = "acme";
  e.payment_id = PaymentId::generate(system_random()).str();
  e.event_id = events::event_id_for(e.payment_id, status);
  e.type = std::string(type);
  e.order_id = "order-1042";
  e.amount = Money::parse(2599, "usd").value();
  e.status = std::string(status);
  e.stripe_payment_intent_id = "pi_3N2x9aLkdIwHu7ix0aBcDeFg";
  e.occurred_at = rfc3339_now();
  return e;
}

// A temporary folder of schemas for testing the validator itself.
class ScratchSchemas {
 public:
  ScratchSchemas() {
    dir_ = std::filesystem::temp_directory_path() /
           ("payments-schema-test-" + PaymentId::generate(system_random()).str());
    std::filesystem::create_directories(dir_);
  }
  ~ScratchSchemas() {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  ScratchSchemas(const ScratchSchemas&) = delete;
  ScratchSchemas& operator=(const ScratchSchemas&) = delete;

  void write(const std::string& name, const std::string& text) {
    std::ofstream out(dir_ / name, std::ios::binary);
    out << text;
  }
  [[nodiscard]] const std::filesystem::path& dir() const { return dir_; }

 private:
  std::filesystem::path dir_;
};

}  // namespace

// ---- (1) the schema files themselves ---------------------------------------------------------------------

TEST_CASE("every schema file is draft 2020-12 JSON using only keywords the validator supports") {
  const std::set<std::string> expected{
      "common.schema.json",        "payment-command.schema.json", "payment-create.schema.json",
      "payment-event.schema.json", "payment-otp.schema.json",     "dlq-headers.schema.json",
      "payment-accepted.schema.json", "payment-status.schema.json", "payment.schema.json",
      "error.schema.json",         "refund.schema.json",          "refund-create.schema.json",
      "refund-accepted.schema.json", "refund-list.schema.json", "otp-verify.schema.json"};
  std::set<std::string> found;
  for (const auto& entry : std::filesystem::directory_iterator(kSchemaDir)) {
    const auto name = entry.path().filename().string();
    if (entry.path().extension() == ".json") found.insert(name);
  }
  for (const auto& name : expected) CHECK_MESSAGE(found.count(name) == 1, name << " is missing");
  CHECK(std::filesystem::exists(kSchemaDir / "dlq.md"));
  CHECK(std::filesystem::exists(kSchemaDir.parent_path() / "README.md"));
  for (const auto& name : found) {
    INFO(name);
    CHECK_MESSAGE(name.size() > 12, "schema files are named *.schema.json");
    CHECK(name.substr(name.size() - 12) == ".schema.json");
    const auto problems = schemas().check(name);
    CHECK_MESSAGE(problems.empty(), join(problems));
  }
}

TEST_CASE("every example a schema shows matches it") {
  for (const auto& entry : std::filesystem::directory_iterator(kSchemaDir)) {
    if (entry.path().extension() != ".json") continue;
    const auto name = entry.path().filename().string();
    const auto document = read_json(name);
    const auto examples = document.FindMember("examples");
    if (examples == document.MemberEnd()) continue;
    for (const auto& example : examples->value.GetArray()) {
      const auto errors = schemas().validate(name, example);
      INFO(name);
      CHECK_MESSAGE(errors.empty(), join(errors));
    }
  }
}

TEST_CASE("the validator refuses keywords it does not support and references that lead nowhere") {
  ScratchSchemas scratch;
  scratch.write("format.schema.json",
                R"({"$schema":"https://json-schema.org/draft/2020-12/schema","type":"string","format":"uuid"})");
  scratch.write("nested.schema.json",
                R"({"$schema":"https://json-schema.org/draft/2020-12/schema","properties":{"a":{"minItems":1}}})");
  scratch.write("ref.schema.json",
                R"({"$schema":"https://json-schema.org/draft/2020-12/schema","properties":{"a":{"$ref":"#/$defs/nope"},)"
                R"("b":{"$ref":"missing.schema.json"},"c":{"$ref":"../etc/passwd"}}})");
  scratch.write("draft7.schema.json", R"({"$schema":"http://json-schema.org/draft-07/schema#","type":"string"})");
  scratch.write("regex.schema.json", R"({"$schema":"https://json-schema.org/draft/2020-12/schema","pattern":"(["})");
  scratch.write("broken.schema.json", R"({"type":)");
  SchemaSet set(scratch.dir());

  const auto format = set.check("format.schema.json");
  REQUIRE(format.size() == 1);
  CHECK(format.front().find("unsupported keyword 'format'") != std::string::npos);
  CHECK_FALSE(set.validate("format.schema.json", R"("anything")").empty());  // never silently ignored

  const auto nested = set.check("nested.schema.json");
  REQUIRE(nested.size() == 1);
  CHECK(nested.front().find("/properties/a") != std::string::npos);
  CHECK(set.check("ref.schema.json").size() == 3);
  CHECK(set.check("draft7.schema.json").size() == 1);
  CHECK(set.check("regex.schema.json").size() == 1);
  CHECK(set.check("broken.schema.json").front().find("not valid JSON") != std::string::npos);
}

TEST_CASE("the validator applies each supported keyword as draft 2020-12 says") {
  ScratchSchemas scratch;
  scratch.write("defs.schema.json", R"({"$schema":"https://json-schema.org/draft/2020-12/schema",)"
                                    R"("$defs":{"small":{"type":"integer","minimum":1,"maximum":9}}})");
  scratch.write("main.schema.json", R"({
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["n"],
    "additionalProperties": false,
    "maxProperties": 4,
    "properties": {
      "n": { "$ref": "defs.schema.json#/$defs/small" },
      "s": { "type": ["string", "null"], "minLength": 2, "maxLength": 3, "pattern": "^[a-zé]+$" },
      "list": { "type": "array", "items": { "enum": [1, "a", {"k": [true]}] } },
      "one": { "oneOf": [{ "type": "integer" }, { "minimum": 0 }] },
      "m": { "type": "object", "propertyNames": { "pattern": "^k" }, "additionalProperties": { "const": 1 } }
    },
    "if": { "properties": { "n": { "const": 1 } }, "required": ["n"] },
    "then": { "required": ["s"] },
    "else": { "not": { "required": ["s"] } }
  })");
  SchemaSet set(scratch.dir());
  REQUIRE(set.check("main.schema.json").empty());
  auto ok = [&](const char* json) {
    INFO(json);
    const auto errors = set.validate("main.schema.json", std::string_view(json));
    CHECK_MESSAGE(errors.empty(), join(errors));
  };
  auto bad = [&](const char* json) {
    INFO(json);
    CHECK_FALSE(set.validate("main.schema.json", std::string_view(json)).empty());
  };
  ok(R"({"n":1,"s":"abé"})");                        // é is one character
  ok(R"({"n":1.0,"s":null})");                       // 1.0 is an integer
  ok(R"({"n":2,"list":[1,"a",{"k":[true]}],"one":-1})");  // oneOf: only the integer branch
  ok(R"({"n":2,"one":"x"})");                        // oneOf: minimum ignores strings, the type branch fails
  ok(R"({"n":2,"m":{"k1":1,"k2":1.0}})");
  bad(R"({"n":0})");                                 // minimum through a $ref to another file
  bad(R"({"n":10})");                                // maximum
  bad(R"({"n":2.5})");                               // not an integer
  bad(R"({})");                                      // required
  bad(R"({"n":2,"x":1})");                           // additionalProperties false
  bad(R"({"n":1,"s":"a"})");                         // minLength
  bad(R"({"n":1,"s":"abcd"})");                      // maxLength
  bad(R"({"n":1,"s":"AB"})");                        // pattern
  bad(R"({"n":1})");                                 // if -> then
  bad(R"({"n":2,"s":"ab"})");                        // if -> else -> not
  bad(R"({"n":2,"list":[2]})");                      // enum inside items
  bad(R"({"n":2,"list":[{"k":[false]}]})");          // deep equality
  bad(R"({"n":2,"one":3})");                         // oneOf: both match
  bad(R"({"n":2,"one":-1.5})");                      // oneOf: none matches
  bad(R"({"n":2,"m":{"j":1}})");                     // propertyNames
  bad(R"({"n":2,"m":{"k":2}})");                     // additionalProperties schema
  bad(R"({"n":2,"s":null,"list":[],"one":1,"m":{}})");  // maxProperties (and else)
}

// ---- (2) what the code writes matches ---------------------------------------------------------------------

TEST_CASE("payment.create commands as the API and order services write them match the command schema") {
  const std::vector<std::string> bodies{
      obj({kOrder, kAmount, kCurrency, kMethod}),
      obj({kOrder, R"("amount":99999999)", R"("currency":"USD")", R"("payment_method":"tok_visa")"}),
      obj({kOrder, kAmount, kCurrency, kMethod, R"("customer_id":"cus_P1x9","description":"2 tickets")",
           R"("metadata":{"z":"last","campaign":"spring","empty":""})",
           R"("otp":{"channel":"sms","destination":"+14155550123"})"}),
      obj({kOrder, R"("amount":1000)", R"("currency":"jpy")", kMethod,
           R"("otp":{"channel":"email","destination":"buyer@example.com"})", R"("description":null)"}),
  };
  for (const auto& body : bodies) {
    INFO(body);
    CHECK_VALID("payment-create.schema.json", body);  // as the caller sent it
    auto request = events::parse_payment_request(body);
    REQUIRE(request);
    const auto data = events::payment_request_json(request.value());
    CHECK_VALID("payment-create.schema.json", data);  // as the service forwards it
    const events::CommandEnvelope envelope{new_uuid_v4(system_random()), events::CommandType::payment_create,
                                           PaymentId::generate(system_random()).str(), rfc3339_now(), data};
    const auto written = events::serialize_command(envelope);
    CHECK_VALID("payment-command.schema.json", written);
    // And the worker reads back what the schema describes.
    auto read = events::parse_command_envelope(written);
    REQUIRE(read);
    CHECK(read->data_json == data);
  }
}

TEST_CASE("the other command types the contract names match the command schema and the envelope reader") {
  const std::vector<std::pair<events::CommandType, std::string>> good{
      {events::CommandType::refund_create, R"({"refund_id":"ref_a1b2c3"})"},
      {events::CommandType::refund_create, R"({"refund_id":"ref_a1b2c3","amount":500,"reason":"duplicate"})"},
      {events::CommandType::payment_otp_verify, R"({"code":"123456"})"},
      {events::CommandType::payment_otp_send, R"({})"},
  };
  for (const auto& [type, data] : good) {
    const events::CommandEnvelope envelope{new_uuid_v4(system_random()), type, "pay_order-1042",
                                           rfc3339_now(), data};
    const auto written = events::serialize_command(envelope);
    CHECK_VALID("payment-command.schema.json", written);
    CHECK(events::parse_command_envelope(written));
  }
  CHECK_VALID("refund-create.schema.json", R"({})");
  CHECK_VALID("refund-create.schema.json", R"({"amount":500,"reason":"requested_by_customer"})");
  CHECK_VALID("otp-verify.schema.json", R"({"code":"000000"})");

  CHECK_INVALID("payment-command.schema.json", command("refund.create", R"({"amount":500})"));  // no refund_id
  CHECK_INVALID("payment-command.schema.json", command("refund.create", R"({"refund_id":"r","amount":0})"));
  CHECK_INVALID("payment-command.schema.json", command("refund.create", R"({"refund_id":"r","reason":"because"})"));
  CHECK_INVALID("payment-command.schema.json", command("payment.otp.verify", R"({"code":"12345"})"));
  CHECK_INVALID("payment-command.schema.json", command("payment.otp.verify", R"({"code":123456})"));
  CHECK_INVALID("payment-command.schema.json", command("payment.otp.send", R"({"channel":"sms"})"));
  CHECK_INVALID("payment-command.schema.json", command("payment.create", R"({"code":"123456"})"));
  CHECK_INVALID("refund-create.schema.json", R"({"amount":-1})");
  CHECK_INVALID("refund-create.schema.json", R"({"refund_id":"r"})");  // the API picks refund ids
}

TEST_CASE("payment events as serialize writes them match the event schema") {
  SUBCASE("a success") {
    const auto e = charged_event(events::event_type::kSucceeded, "succeeded");
    CHECK_VALID("payment-event.schema.json", events::serialize(e));
  }
  SUBCASE("a decline, with the issuer's decline code") {
    auto e = charged_event(events::event_type::kFailed, "failed");
    e.failure = events::Failure{"card_declined", "insufficient_funds", "Your card has insufficient funds."};
    CHECK_VALID("payment-event.schema.json", events::serialize(e));
  }
  SUBCASE("a cancellation before any charge: no payment intent, no decline code") {
    auto e = charged_event(events::event_type::kFailed, "canceled");
    e.stripe_payment_intent_id.clear();
    e.failure = events::Failure{"canceled", "", ""};
    CHECK_VALID("payment-event.schema.json", events::serialize(e));
  }
  SUBCASE("a partial and a full refund") {
    auto e = charged_event(events::event_type::kRefunded, "partially_refunded");
    e.refund_id = RefundId::generate(system_random()).str();
    e.refund_amount = Money::parse(500, "usd").value();
    e.amount_refunded = Money::parse(500, "usd").value();
    CHECK_VALID("payment-event.schema.json", events::serialize(e));
    e.status = "refunded";
    e.refund_amount = Money::parse(2099, "usd").value();
    e.amount_refunded = Money::parse(2599, "usd").value();
    CHECK_VALID("payment-event.schema.json", events::serialize(e));
  }
  SUBCASE("a refund refused against its payment or failed at Stripe (as refund_event writes it)") {
    auto e = charged_event(events::event_type::kRefundFailed, "succeeded");
    e.refund_id = RefundId::generate(system_random()).str();
    e.refund_amount = events::EchoedAmount{5000, {}};  // as asked: a refused refund reserved nothing
    e.amount_refunded = Money::parse(0, "usd").value();
    e.failure = events::Failure{"amount_exceeds_refundable", "", "refund of 5000 exceeds the 2599 still refundable"};
    CHECK_VALID("payment-event.schema.json", events::serialize(e));
    e.refund_amount = events::EchoedAmount{};  // the whole rest was asked for and there was none
    e.failure = events::Failure{"nothing_to_refund", "", "the whole payment has already been refunded"};
    CHECK_VALID("payment-event.schema.json", events::serialize(e));
  }
  SUBCASE("a refund for a payment that does not exist") {
    events::PaymentEvent e;
    e.merchant_id = "acme";
    e.payment_id = "pay_unknown";
    e.event_id = events::event_id_for(e.payment_id, "refund/ref_1/failed");
    e.type = events::event_type::kRefundFailed;
    e.status = "pending";  // a default PaymentRecord's status
    e.occurred_at = rfc3339_now();
    e.refund_id = "ref_1";
    e.refund_amount = events::EchoedAmount{500, {}};
    e.amount_refunded = events::EchoedAmount{};
    e.failure = events::Failure{"payment_not_found", "", "no payment pay_unknown"};
    CHECK_VALID("payment-event.schema.json", events::serialize(e));
  }
  SUBCASE("a refused command, echoing what it had (as the worker's reject does)") {
    events::PaymentEvent e;
    e.merchant_id = "acme";
    e.payment_id = "pay_order-1042";
    e.event_id = events::event_id_for(e.payment_id, "rejected/5f0c6d0e-8a4b-4c1e-9a57-2f1d3c4b5a69");
    e.type = events::event_type::kFailed;
    e.status = "failed";
    e.occurred_at = rfc3339_now();
    e.failure = events::Failure{"validation_error", "", "amount: must be a positive integer of minor units"};
    e.order_id = "order-1042";
    e.amount = events::EchoedAmount{-5, "usd"};
    CHECK_VALID("payment-event.schema.json", events::serialize(e));
    e.failure = events::Failure{"raw_card_data", "", "the request contains what looks like a card number"};
    e.order_id.clear();
    e.amount = events::EchoedAmount{};
    CHECK_VALID("payment-event.schema.json", events::serialize(e));
    // Only a refused command may carry such values.
    e.failure = events::Failure{"card_declined", "", "declined"};
    CHECK_INVALID("payment-event.schema.json", events::serialize(e));
  }
}

TEST_CASE("REST answers as the views write them match their schemas") {
  const auto id = PaymentId::generate(system_random()).str();
  CHECK_VALID("payment-accepted.schema.json", api::accepted_view(id));
  CHECK(api::accepted_view(id).find(api::status_url(id)) != std::string::npos);
  for (const auto status : kAllStatuses) {
    INFO(to_string(status));
    const auto p = record(status);
    CHECK_VALID("payment-status.schema.json", api::status_view(p, std::nullopt));
    CHECK_VALID("payment.schema.json", api::payment_view(p, {}));
    auto bare = p;  // optional fields absent
    bare.customer_id.reset();
    bare.description.reset();
    bare.stripe_payment_intent_id.clear();
    CHECK_VALID("payment.schema.json", api::payment_view(bare, {}));
  }
  // A requires_action payment whose redirect is not known yet shows no next_action.
  auto waiting = record(PaymentStatus::requires_action);
  waiting.next_action_url.clear();
  CHECK_VALID("payment-status.schema.json", api::status_view(waiting, std::nullopt));

  // A payment waiting for a one-time code shows its challenge, masked, and never the code.
  const OtpPolicy policy;
  auto hasher = OtpHasher::create(Secret("a-test-otp-secret-key"), crypto::hmac_sha256_hex);
  REQUIRE(hasher);
  auto issued = issue_otp(id, policy, std::chrono::system_clock::now(), system_random(), hasher.value());
  REQUIRE(issued);
  store::StoredChallenge challenge{issued->challenge, "sms", mask_otp_destination("sms", "+14155550123"), 1, "issued", 0, 5};
  const auto otp_view = api::status_view(record(PaymentStatus::otp_required), challenge);
  CHECK_VALID("payment-status.schema.json", otp_view);
  CHECK(otp_view.find(issued->code) == std::string::npos);
  CHECK(otp_view.find("+14155550123") == std::string::npos);
}

TEST_CASE("refund answers as the views write them match their schemas") {
  const auto p = record(PaymentStatus::partially_refunded);
  std::vector<store::RefundRecord> refunds{refund_record(p.id, RefundStatus::succeeded),
                                           refund_record(p.id, RefundStatus::pending),
                                           refund_record(p.id, RefundStatus::failed)};
  auto whole_rest = refund_record(p.id, RefundStatus::pending);  // no amount asked, not accepted yet
  whole_rest.requested_amount.reset();
  whole_rest.reserved = false;
  whole_rest.reason.reset();
  refunds.push_back(whole_rest);
  for (const auto& r : refunds) {
    INFO(to_string(r.status));
    CHECK_VALID("refund.schema.json", api::refund_view(r));
  }
  CHECK_VALID("payment.schema.json", api::payment_view(p, refunds));
  CHECK_VALID("refund-list.schema.json", api::refund_list_view(p.id, refunds));
  CHECK_VALID("refund-list.schema.json", api::refund_list_view(p.id, {}));
  CHECK_VALID("refund-accepted.schema.json", api::refund_accepted_view(RefundId::generate(system_random()).str()));
}

TEST_CASE("a status with a one-time-code challenge matches the status schema") {
  auto hasher = OtpHasher::create(Secret("a-test-otp-secret-key"), crypto::hmac_sha256_hex);
  REQUIRE(hasher);
  for (const auto state : {OtpState::active, OtpState::verified, OtpState::expired, OtpState::locked}) {
    for (const auto& [channel, destination] : {std::pair{"sms", "+14155550123"}, std::pair{"email", "pat@example.com"}}) {
      auto issued = issue_otp("pay_1", OtpPolicy{}, std::chrono::system_clock::now(), system_random(), hasher.value());
      REQUIRE(issued);
      OtpChallenge in_state = issued->challenge;
      in_state.state = state;
      const store::StoredChallenge challenge{in_state, channel, mask_otp_destination(channel, destination), 1,
                                             "wrong_code", 2, 5};
      const auto view = api::status_view(record(PaymentStatus::otp_required), challenge);
      CHECK_VALID("payment-status.schema.json", view);
      CHECK(view.find(destination) == std::string::npos);
    }
  }
}

TEST_CASE("error bodies for every error code match the error schema") {
  for (const auto code : kAllErrorCodes) {
    INFO(to_string(code));
    const auto response = api::error_response({code, "what to do about it", "amount"});
    CHECK_VALID("error.schema.json", response.body);
    CHECK(response.status >= 400);
    CHECK(response.status < 600);
    CHECK_VALID("error.schema.json", api::error_response({code, "what to do about it", {}}).body);
  }
  CHECK_INVALID("error.schema.json", R"({"error":{"code":"validation_error"}})");
  CHECK_INVALID("error.schema.json", R"({"code":"validation_error","message":"m"})");
  CHECK_INVALID("error.schema.json", R"({"error":{"code":"teapot","message":"m"}})");
}

// ---- the enums of the schemas are the code's ----------------------------------------------------------------

TEST_CASE("payment statuses, event types, command types and error codes are the same sets as the code's") {
  std::set<std::string> statuses;
  for (const auto s : kAllStatuses) statuses.emplace(to_string(s));
  CHECK(strings_at("common.schema.json", "/$defs/payment_status/enum") == statuses);
  for (const auto& s : strings_at("common.schema.json", "/$defs/payment_status/enum")) {
    CHECK_MESSAGE(parse_payment_status(s).has_value(), s);
  }

  const std::set<std::string> event_types{
      std::string(events::event_type::kSucceeded), std::string(events::event_type::kFailed),
      std::string(events::event_type::kRefunded), std::string(events::event_type::kRefundFailed)};
  CHECK(strings_at("payment-event.schema.json", "/properties/type/enum") == event_types);

  std::set<std::string> command_types;
  for (const auto t : kAllCommandTypes) command_types.emplace(events::to_string(t));
  CHECK(strings_at("payment-command.schema.json", "/properties/type/enum") == command_types);
  for (const auto& t : command_types) CHECK_MESSAGE(events::parse_command_type(t).has_value(), t);

  // The supported currencies are listed where the schema describes currency codes.
  const auto common = read_json("common.schema.json");
  const auto* currency = rapidjson::Pointer("/$defs/currency_input/description").Get(common);
  REQUIRE(currency != nullptr);
  CHECK_MESSAGE(std::string(currency->GetString()).find("(" + Currency::supported_codes() + ")") != std::string::npos,
                "common.schema.json#/$defs/currency_input lists the currencies of Currency::supported_codes()");

  std::set<std::string> refund_statuses;
  for (const auto s : {RefundStatus::pending, RefundStatus::succeeded, RefundStatus::failed}) {
    refund_statuses.emplace(to_string(s));
  }
  CHECK(strings_at("common.schema.json", "/$defs/refund_status/enum") == refund_statuses);

  std::set<std::string> otp_states;
  for (const auto s : {OtpState::active, OtpState::verified, OtpState::expired, OtpState::locked}) {
    otp_states.emplace(to_string(s));
  }
  CHECK(strings_at("payment-status.schema.json", "/$defs/otp_state/properties/state/enum") == otp_states);
  CHECK(strings_at("common.schema.json", "/$defs/otp_channel/enum") == std::set<std::string>{"sms", "email"});

  // The domain's codes, and the HTTP layer's own (libs/http, libs/api routing) for what never reaches a route.
  std::set<std::string> error_codes{"method_not_allowed", "payload_too_large", "headers_too_large", "bad_request"};
  for (const auto c : kAllErrorCodes) error_codes.emplace(to_string(c));
  CHECK(strings_at("error.schema.json", "/properties/error/properties/code/enum") == error_codes);
}

TEST_CASE("the DLQ headers the worker writes are exactly the ones the schema defines, required ones included") {
  // CommandProcessor::dead_letter needs a live producer, so its header names are read from the sources.
  std::set<std::string> written;
  const std::regex literal("\"(dlq-[a-z-]+)\"");
  for (const auto* folder : {"libs/worker", "libs/events", "apps/worker"}) {
    if (!std::filesystem::exists(kSourceDir / folder)) continue;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(kSourceDir / folder)) {
      const auto extension = entry.path().extension();
      if (extension != ".cpp" && extension != ".hpp") continue;
      const auto source = read_file(entry.path());
      for (auto it = std::sregex_iterator(source.begin(), source.end(), literal); it != std::sregex_iterator(); ++it) {
        written.insert((*it)[1].str());
      }
    }
  }
  CHECK(written == names_at("dlq-headers.schema.json", "/properties"));
  for (const auto& required : strings_at("dlq-headers.schema.json", "/required")) CHECK(written.count(required) == 1);

  // Values the way dead_letter formats them.
  const auto headers = obj({R"x("dlq-reason":"command envelope invalid (payment_id)")x",
                            R"("dlq-error-code":)" + quoted(std::string(to_string(ErrorCode::internal))),
                            R"("dlq-replayed":)" + quoted(std::to_string(events::kMaxDlqReplays)),
                            R"("dlq-original-topic":"payment-commands")", R"("dlq-original-bytes":"412")",
                            R"("dlq-original-partition":)" + quoted(std::to_string(std::int32_t{11})),
                            R"("dlq-original-offset":)" + quoted(std::to_string(std::int64_t{9007199254740993})),
                            R"("dlq-failed-at":)" + quoted(rfc3339_now())});
  CHECK_VALID("dlq-headers.schema.json", headers);
  CHECK_INVALID("dlq-headers.schema.json", R"({"dlq-reason":"x","dlq-original-topic":"t"})");
  CHECK_INVALID("dlq-headers.schema.json",
                R"({"dlq-reason":"","dlq-original-topic":"t","dlq-original-partition":"-1",)"
                R"("dlq-original-offset":"01","dlq-failed-at":"now"})");
}

TEST_CASE("the one-time code message as serialize writes it matches its schema") {
  const auto message = [](const std::string& channel, const std::string& destination, const std::string& code) {
    const events::OtpMessage m{events::event_id_for("pay_1", "otp/1"), "pay_1", channel, destination, code,
                               rfc3339_now(), "acme"};
    return events::serialize(m);
  };
  for (int i = 0; i < 20; ++i) {
    auto code = generate_otp_code(OtpPolicy{}.digits, system_random());
    REQUIRE(code);
    CHECK_VALID("payment-otp.schema.json", message("sms", "+14155550123", code.value()));
    CHECK_VALID("payment-otp.schema.json", message("email", "buyer@example.com", code.value()));
  }
  CHECK_INVALID("payment-otp.schema.json", message("sms", "buyer@example.com", "482913"));
  CHECK_INVALID("payment-otp.schema.json", message("push", "+14155550123", "482913"));
  CHECK_INVALID("payment-otp.schema.json", message("sms", "+14155550123", "48291"));
  CHECK_INVALID("payment-otp.schema.json", message("sms", "+14155550123", "48291a"));
}

// ---- (3) what the code refuses the schemas refuse ---------------------------------------------------------

TEST_CASE("payment bodies - the schema and parse_payment_request agree on what is acceptable") {
  struct Case {
    std::string name;
    std::string body;
    bool code;    // parse_payment_request accepts it
    bool schema;  // payment-create.schema.json accepts it
  };
  std::string many_keys;
  for (int i = 0; i < 51; ++i) many_keys += (i ? "," : "") + quoted("k" + std::to_string(i)) + ":\"v\"";
  std::string fifty_keys;
  for (int i = 0; i < 50; ++i) fifty_keys += (i ? "," : "") + quoted("k" + std::to_string(i)) + ":\"v\"";

  const std::vector<Case> cases{
      {"minimal", obj({kOrder, kAmount, kCurrency, kMethod}), true, true},
      {"upper-case currency", obj({kOrder, kAmount, R"("currency":"EUR")", kMethod}), true, true},
      {"largest amount", obj({kOrder, R"("amount":99999999)", kCurrency, kMethod}), true, true},
      {"amount zero", obj({kOrder, R"("amount":0)", kCurrency, kMethod}), false, false},
      {"negative amount", obj({kOrder, R"("amount":-100)", kCurrency, kMethod}), false, false},
      {"nine-digit amount", obj({kOrder, R"("amount":100000000)", kCurrency, kMethod}), false, false},
      {"amount as a string", obj({kOrder, R"("amount":"2599")", kCurrency, kMethod}), false, false},
      {"fractional amount", obj({kOrder, R"("amount":25.99)", kCurrency, kMethod}), false, false},
      {"no amount", obj({kOrder, kCurrency, kMethod}), false, false},
      {"no order_id", obj({kAmount, kCurrency, kMethod}), false, false},
      {"empty order_id", obj({R"("order_id":"")", kAmount, kCurrency, kMethod}), false, false},
      {"order_id of 255", obj({R"("order_id":)" + quoted(std::string(255, 'o')), kAmount, kCurrency, kMethod}), true, true},
      {"order_id of 256", obj({R"("order_id":)" + quoted(std::string(256, 'o')), kAmount, kCurrency, kMethod}), false, false},
      {"order_id with a control character", obj({R"("order_id":"a\u0001b")", kAmount, kCurrency, kMethod}), false, false},
      {"order_id as a number", obj({R"("order_id":1042)", kAmount, kCurrency, kMethod}), false, false},
      {"unknown field", obj({kOrder, kAmount, kCurrency, kMethod, R"("status":"succeeded")"}), false, false},
      {"no payment_method", obj({kOrder, kAmount, kCurrency}), false, false},
      {"card_ payment method", obj({kOrder, kAmount, kCurrency, R"("payment_method":"card_123")"}), false, false},
      {"bare pm_", obj({kOrder, kAmount, kCurrency, R"("payment_method":"pm_")"}), false, false},
      {"payment method with a dash", obj({kOrder, kAmount, kCurrency, R"("payment_method":"pm_a-b")"}), false, false},
      {"payment method of 256", obj({kOrder, kAmount, kCurrency, R"("payment_method":"pm_)" + std::string(253, 'x') + "\""}), false, false},
      {"two-letter currency", obj({kOrder, kAmount, R"("currency":"us")", kMethod}), false, false},
      {"currency with a digit", obj({kOrder, kAmount, R"("currency":"us1")", kMethod}), false, false},
      {"empty customer_id", obj({kOrder, kAmount, kCurrency, kMethod, R"("customer_id":"")"}), false, false},
      {"null optionals", obj({kOrder, kAmount, kCurrency, kMethod, R"("customer_id":null,"description":null,"metadata":null,"otp":null)"}), true, true},
      {"description of 1000", obj({kOrder, kAmount, kCurrency, kMethod, R"("description":)" + quoted(std::string(1000, 'd'))}), true, true},
      {"description of 1001", obj({kOrder, kAmount, kCurrency, kMethod, R"("description":)" + quoted(std::string(1001, 'd'))}), false, false},
      {"50 metadata keys", obj({kOrder, kAmount, kCurrency, kMethod, R"("metadata":{)" + fifty_keys + "}"}), true, true},
      {"51 metadata keys", obj({kOrder, kAmount, kCurrency, kMethod, R"("metadata":{)" + many_keys + "}"}), false, false},
      {"metadata value of 500", obj({kOrder, kAmount, kCurrency, kMethod, R"("metadata":{"k":)" + quoted(std::string(500, 'v')) + "}"}), true, true},
      {"metadata value of 501", obj({kOrder, kAmount, kCurrency, kMethod, R"("metadata":{"k":)" + quoted(std::string(501, 'v')) + "}"}), false, false},
      {"metadata number value", obj({kOrder, kAmount, kCurrency, kMethod, R"("metadata":{"k":1})"}), false, false},
      {"metadata key with a bracket", obj({kOrder, kAmount, kCurrency, kMethod, R"("metadata":{"a[b]":"v"})"}), false, false},
      {"metadata key of 40", obj({kOrder, kAmount, kCurrency, kMethod, R"("metadata":{)" + quoted(std::string(40, 'k')) + ":\"v\"}"}), true, true},
      {"metadata key of 41", obj({kOrder, kAmount, kCurrency, kMethod, R"("metadata":{)" + quoted(std::string(41, 'k')) + ":\"v\"}"}), false, false},
      {"empty metadata key", obj({kOrder, kAmount, kCurrency, kMethod, R"("metadata":{"":"v"})"}), false, false},
      {"metadata as an array", obj({kOrder, kAmount, kCurrency, kMethod, R"("metadata":["v"])"}), false, false},
      {"otp by sms", obj({kOrder, kAmount, kCurrency, kMethod, R"("otp":{"channel":"sms","destination":"+447700900123"})"}), true, true},
      {"otp by email", obj({kOrder, kAmount, kCurrency, kMethod, R"("otp":{"channel":"email","destination":"a@b.co"})"}), true, true},
      {"otp sms to an e-mail address", obj({kOrder, kAmount, kCurrency, kMethod, R"("otp":{"channel":"sms","destination":"a@b.co"})"}), false, false},
      {"otp sms without +", obj({kOrder, kAmount, kCurrency, kMethod, R"("otp":{"channel":"sms","destination":"14155550123"})"}), false, false},
      {"otp sms too short", obj({kOrder, kAmount, kCurrency, kMethod, R"("otp":{"channel":"sms","destination":"+123456"})"}), false, false},
      {"otp sms too long", obj({kOrder, kAmount, kCurrency, kMethod, R"("otp":{"channel":"sms","destination":"+1234567890123456"})"}), false, false},
      {"otp email without a dot", obj({kOrder, kAmount, kCurrency, kMethod, R"("otp":{"channel":"email","destination":"a@b"})"}), false, false},
      {"otp email with two @", obj({kOrder, kAmount, kCurrency, kMethod, R"("otp":{"channel":"email","destination":"a@b@c.d"})"}), false, false},
      {"otp unknown channel", obj({kOrder, kAmount, kCurrency, kMethod, R"("otp":{"channel":"push","destination":"x"})"}), false, false},
      {"otp without destination", obj({kOrder, kAmount, kCurrency, kMethod, R"("otp":{"channel":"sms"})"}), false, false},
      {"otp unknown field", obj({kOrder, kAmount, kCurrency, kMethod, R"("otp":{"channel":"sms","destination":"+14155550123","x":1})"}), false, false},
      {"otp as a string", obj({kOrder, kAmount, kCurrency, kMethod, R"("otp":"sms")"}), false, false},
      // What a schema cannot say; the service checks it (documented in the schema's description).
      {"unsupported currency", obj({kOrder, kAmount, R"("currency":"xyz")", kMethod}), false, true},
      {"under the currency's minimum charge", obj({kOrder, R"("amount":49)", kCurrency, kMethod}), false, true},
      {"three-decimal amount not a multiple of 10", obj({kOrder, R"("amount":1005)", R"("currency":"kwd")", kMethod}), false, true},
      {"a card number in the description", obj({kOrder, kAmount, kCurrency, kMethod, R"("description":"4242 4242 4242 4242")"}), false, true},
      {"a metadata key twice", obj({kOrder, kAmount, kCurrency, kMethod, R"("metadata":{"k":"1","k":"2"})"}), false, true},
  };
  for (const auto& c : cases) {
    INFO(c.name, "\n", c.body);
    const auto parsed = events::parse_payment_request(c.body);
    CHECK_MESSAGE(parsed.has_value() == c.code, (parsed ? std::string("accepted") : parsed.error().message));
    const auto errors = errors_of("payment-create.schema.json", c.body);
    CHECK_MESSAGE(errors.empty() == c.schema, (errors.empty() ? std::string("schema accepted") : join(errors)));
    // The same data inside a command.
    CHECK(errors_of("payment-command.schema.json", create_command(c.body)).empty() == c.schema);
  }
}

TEST_CASE("command envelopes - the schema and parse_command_envelope agree on what is understood") {
  struct Case {
    std::string name;
    std::string json;
    bool code;
    bool schema;
  };
  const std::string data = obj({kOrder, kAmount, kCurrency, kMethod});
  const std::string id = R"("command_id":"c-1")";
  const std::string type = R"("type":"payment.create")";
  const std::string pay = R"("payment_id":"pay_1")";
  const std::string at = R"("issued_at":"2026-11-22T10:00:00Z")";
  const std::string body = R"("data":)" + data;
  const std::vector<Case> cases{
      {"complete", obj({id, type, pay, at, body}), true, true},
      {"offset timestamp", obj({id, type, pay, R"("issued_at":"2026-11-22T11:00:00.5+01:00")", body}), true, true},
      {"an extra envelope field is ignored", obj({id, type, pay, at, body, R"("trace_id":"t")"}), true, true},
      {"unknown type", obj({id, R"("type":"payment.capture")", pay, at, body}), false, false},
      {"type as a number", obj({id, R"("type":1)", pay, at, body}), false, false},
      {"no type", obj({id, pay, at, body}), false, false},
      {"no payment_id", obj({id, type, at, body}), false, false},
      {"empty payment_id", obj({id, type, R"("payment_id":"")", at, body}), false, false},
      {"payment_id with a space", obj({id, type, R"("payment_id":"pay 1")", at, body}), false, false},
      {"payment_id of 65", obj({id, type, R"("payment_id":)" + quoted(std::string(65, 'p')), at, body}), false, false},
      {"payment_id of 64", obj({id, type, R"("payment_id":)" + quoted(std::string(64, 'p')), at, body}), true, true},
      {"no command_id", obj({type, pay, at, body}), false, false},
      {"command_id with a slash", obj({R"("command_id":"a/b")", type, pay, at, body}), false, false},
      {"no data", obj({id, type, pay, at}), false, false},
      {"data as an array", obj({id, type, pay, at, R"("data":[])"}), false, false},
      // The schema is stricter than the reader here: the contract lists issued_at, the reader does not need it.
      {"no issued_at", obj({id, type, pay, body}), true, false},
      {"issued_at not RFC 3339", obj({id, type, pay, R"("issued_at":"22/11/2026")", body}), true, false},
  };
  for (const auto& c : cases) {
    INFO(c.name, "\n", c.json);
    const auto parsed = events::parse_command_envelope(c.json);
    CHECK_MESSAGE(parsed.has_value() == c.code, (parsed ? std::string("accepted") : parsed.error().message));
    const auto errors = errors_of("payment-command.schema.json", c.json);
    CHECK_MESSAGE(errors.empty() == c.schema, (errors.empty() ? std::string("schema accepted") : join(errors)));
  }
}

TEST_CASE("the contract's examples of bad messages are refused by the schemas") {
  SUBCASE("a negative amount") {
    CHECK_INVALID("payment-command.schema.json", create_command(obj({kOrder, R"("amount":-2599)", kCurrency, kMethod})));
    CHECK_INVALID("payment-create.schema.json", obj({kOrder, R"("amount":-2599)", kCurrency, kMethod}));
    CHECK_INVALID("refund-create.schema.json", R"({"amount":-1})");
  }
  SUBCASE("an unknown field in the payment body") {
    CHECK_INVALID("payment-create.schema.json", obj({kOrder, kAmount, kCurrency, kMethod, R"("amount_refunded":0)"}));
    CHECK_INVALID("payment-create.schema.json",
                  obj({kOrder, kAmount, kCurrency, kMethod, R"("card":{"number":"4242424242424242"})"}));
  }
  SUBCASE("a bad type") {
    CHECK_INVALID("payment-command.schema.json", command("payment.refund", R"({"refund_id":"r"})"));
    auto e = charged_event("payment.success", "succeeded");
    CHECK_INVALID("payment-event.schema.json", events::serialize(e));
    e.type = events::event_type::kSucceeded;
    e.status = "failed";  // type and status disagree
    CHECK_INVALID("payment-event.schema.json", events::serialize(e));
  }
  SUBCASE("a missing payment_id") {
    CHECK_INVALID("payment-command.schema.json",
                  obj({R"("command_id":"c-1","type":"payment.create","issued_at":"2026-11-22T10:00:00Z")",
                       R"("data":)" + obj({kOrder, kAmount, kCurrency, kMethod})}));
    auto e = charged_event(events::event_type::kSucceeded, "succeeded");
    e.payment_id.clear();
    CHECK_INVALID("payment-event.schema.json", events::serialize(e));
    CHECK_INVALID("payment-accepted.schema.json", R"({"status":"pending","status_url":"/api/v1/payments/p/status"})");
    CHECK_INVALID("payment-status.schema.json", R"({"status":"pending","updated_at":"2026-11-22T10:00:00Z"})");
  }
  SUBCASE("events that break the type rules") {
    auto failed = charged_event(events::event_type::kFailed, "failed");
    CHECK_INVALID("payment-event.schema.json", events::serialize(failed));  // no failure
    auto refunded = charged_event(events::event_type::kRefunded, "refunded");
    CHECK_INVALID("payment-event.schema.json", events::serialize(refunded));  // no refund_id and amounts
    auto succeeded = charged_event(events::event_type::kSucceeded, "succeeded");
    succeeded.failure = events::Failure{"card_declined", "", "declined"};
    CHECK_INVALID("payment-event.schema.json", events::serialize(succeeded));
    succeeded.failure.reset();
    succeeded.amount = events::EchoedAmount{0, "usd"};
    CHECK_INVALID("payment-event.schema.json", events::serialize(succeeded));
    succeeded.amount = Money::parse(2599, "usd").value();
    succeeded.event_id = "not-a-uuid";
    CHECK_INVALID("payment-event.schema.json", events::serialize(succeeded));
  }
}

TEST_CASE("refund bodies - the schemas and parse_refund_request agree on what is acceptable") {
  struct Case {
    std::string name;
    std::string body;  // REST body; the command data adds refund_id
    bool accepted;
  };
  const std::vector<Case> cases{
      {"empty: the whole rest", R"({})", true},
      {"an amount", R"({"amount":500})", true},
      {"amount and reason", R"({"amount":99999999,"reason":"fraudulent"})", true},
      {"each reason", R"({"reason":"duplicate"})", true},
      {"null optionals", R"({"amount":null,"reason":null})", true},
      {"amount zero", R"({"amount":0})", false},
      {"negative amount", R"({"amount":-500})", false},
      {"nine-digit amount", R"({"amount":100000000})", false},
      {"amount as a string", R"({"amount":"500"})", false},
      {"fractional amount", R"({"amount":5.5})", false},
      {"unknown reason", R"({"reason":"changed_mind"})", false},
      {"unknown field", R"({"amount":500,"currency":"usd"})", false},
  };
  for (const auto& c : cases) {
    INFO(c.name, "\n", c.body);
    const auto rest = events::parse_refund_request(c.body, false);
    CHECK_MESSAGE(rest.has_value() == c.accepted, (rest ? std::string("accepted") : rest.error().message));
    CHECK(errors_of("refund-create.schema.json", c.body).empty() == c.accepted);

    std::string data = c.body;
    data.insert(1, std::string(R"("refund_id":"ref_a1b2c3")") + (data.size() > 2 ? "," : ""));
    const auto parsed = events::parse_refund_request(data, true);
    CHECK_MESSAGE(parsed.has_value() == c.accepted, (parsed ? std::string("accepted") : parsed.error().message));
    CHECK(errors_of("payment-command.schema.json", command("refund.create", data)).empty() == c.accepted);
    if (parsed) {
      // What the API forwards as refund.create data.
      const events::CommandEnvelope envelope{new_uuid_v4(system_random()), events::CommandType::refund_create,
                                             "pay_order-1042", rfc3339_now(),
                                             events::refund_request_json(parsed.value())};
      CHECK_VALID("payment-command.schema.json", events::serialize_command(envelope));
    }
  }
  // refund_id is required in the command and refused in the REST body (the API assigns it).
  CHECK_FALSE(events::parse_refund_request(R"({"amount":500})", true));
  CHECK_INVALID("payment-command.schema.json", command("refund.create", R"({"amount":500})"));
  CHECK_FALSE(events::parse_refund_request(R"({"refund_id":"r"})", false));
  CHECK_INVALID("refund-create.schema.json", R"({"refund_id":"r"})");
  CHECK_FALSE(events::parse_refund_request(R"({"refund_id":"a b"})", true));
  CHECK_INVALID("payment-command.schema.json", command("refund.create", R"({"refund_id":"a b"})"));
}
