// payments-admin dlq's rules without Kafka: reading a DLQ record's headers, --offsets, the selection, and
// when a record may be replayed.
#include <doctest/doctest.h>

#include "payments/core/time.hpp"
#include "payments/events/dlq_records.hpp"

using namespace payments;
using namespace payments::events;

namespace {

constexpr const char* kCommand = R"({"command_id":"c1","type":"refund.create","payment_id":"pay_1","data":{}})";

IncomingMessage dlq_message(Headers extra = {}, std::string value = kCommand) {
  IncomingMessage m;
  m.topic = "payment-commands-dlq";
  m.partition = 2;
  m.offset = 7;
  m.key = "pay_1";
  m.value = std::move(value);
  m.headers = {{"dlq-reason", "refund could not be applied"},
               {"dlq-error-code", "internal"},
               {"dlq-original-topic", "payment-commands"},
               {"dlq-original-bytes", std::to_string(m.value.size())},
               {"dlq-failed-at", "2026-05-01T10:00:00.250Z"}};
  for (auto& header : extra) m.headers.push_back(std::move(header));
  return m;
}

DlqRecord record_with(Headers extra = {}) { return read_dlq_record(dlq_message(std::move(extra))); }

}  // namespace

TEST_CASE("a DLQ record is read from the worker's headers - no replay header means never replayed") {
  const auto record = record_with();
  CHECK(record.partition == 2);
  CHECK(record.offset == 7);
  CHECK(record.key == "pay_1");
  CHECK(record.reason == "refund could not be applied");
  CHECK(record.error_code == "internal");
  CHECK(record.original_topic == "payment-commands");
  CHECK(record.failed_at_time == parse_rfc3339("2026-05-01T10:00:00.250Z"));
  REQUIRE(record.replay_count);
  CHECK(*record.replay_count == 0);
  CHECK_FALSE(record.redacted);
  CHECK(dlq_position(record.partition, record.offset) == "2:7");

  CHECK(record_with({{"dlq-replayed", "2"}}).replay_count == 2);
  CHECK_FALSE(record_with({{"dlq-replayed", "two"}}).replay_count);
  CHECK_FALSE(record_with({{"dlq-replayed", "-1"}}).replay_count);
  CHECK(record_with({{"dlq-redacted", "true"}}).redacted);
}

TEST_CASE("--offsets takes [P:]A[-B] ranges, inclusive, several with commas - without P: the default partition") {
  auto one = parse_dlq_offsets("3-5");
  REQUIRE(one);
  REQUIRE(one->size() == 1);
  CHECK(one->at(0).partition == 0);
  CHECK(one->at(0).first == 3);
  CHECK(one->at(0).last == 5);

  auto several = parse_dlq_offsets("2:7,4,1:10-12", 6);
  REQUIRE(several);
  REQUIRE(several->size() == 3);
  CHECK((several->at(0).partition == 2 && several->at(0).first == 7 && several->at(0).last == 7));
  CHECK((several->at(1).partition == 6 && several->at(1).first == 4 && several->at(1).last == 4));
  CHECK((several->at(2).partition == 1 && several->at(2).first == 10 && several->at(2).last == 12));

  for (const char* bad : {"", "5-3", "a-b", "1:", ":4", "3-", "-3", "1:2:3", "3,,4", "3-4-5", "1:-2", "+3", " 3"}) {
    CAPTURE(bad);
    auto parsed = parse_dlq_offsets(bad);
    REQUIRE_FALSE(parsed);
    CHECK(parsed.error().field == "offsets");
  }
}

TEST_CASE("a selection matches on a reason substring (any case), a time at or after --since, and offsets") {
  const auto record = record_with();
  CHECK(selects({}, record));
  CHECK(selects({.reason = "COULD NOT"}, record));
  CHECK_FALSE(selects({.reason = "unknown command type"}, record));

  CHECK(selects({.since = parse_rfc3339("2026-05-01T10:00:00.250Z")}, record));
  CHECK(selects({.since = parse_rfc3339("2026-05-01T09:00:00Z")}, record));
  CHECK_FALSE(selects({.since = parse_rfc3339("2026-05-01T10:00:01Z")}, record));
  // A record whose time is unknown is not "since" anything.
  auto no_time = record;
  no_time.failed_at_time.reset();
  CHECK_FALSE(selects({.since = parse_rfc3339("2000-01-01T00:00:00Z")}, no_time));

  CHECK(selects({.offsets = {{2, 7, 7}}}, record));
  CHECK(selects({.offsets = {{0, 0, 100}, {2, 5, 9}}}, record));
  CHECK_FALSE(selects({.offsets = {{0, 7, 7}}}, record));  // the same offset on another partition
  CHECK_FALSE(selects({.offsets = {{2, 8, 9}}}, record));
  CHECK_FALSE(selects({.reason = "refund", .offsets = {{2, 8, 9}}}, record));  // every part must match
}

TEST_CASE("a record is replayed with its count plus one, up to three replays") {
  const auto message = dlq_message();
  const auto decision = decide_replay(read_dlq_record(message), message.value, "payment-commands", 0);
  CHECK(decision.skip == ReplaySkip::none);
  CHECK(decision.next_count == 1);

  const auto replayed = replay_message(message, "payment-commands", decision.next_count);
  CHECK(replayed.topic == "payment-commands");
  CHECK(replayed.key == "pay_1");
  CHECK(replayed.value == kCommand);
  REQUIRE(replayed.headers.size() == 1);
  CHECK(replayed.headers[0] == std::pair<std::string, std::string>{"dlq-replayed", "1"});

  const auto twice = dlq_message({{"dlq-replayed", "2"}});
  CHECK(decide_replay(read_dlq_record(twice), twice.value, "payment-commands", 0).next_count == 3);
  const auto thrice = dlq_message({{"dlq-replayed", "3"}});
  CHECK(decide_replay(read_dlq_record(thrice), thrice.value, "payment-commands", 0).skip ==
        ReplaySkip::limit_reached);
  CHECK(describe(ReplaySkip::limit_reached) == "replayed 3 times already");
  // An older copy of a command that has been replayed three times since is not a way around the limit.
  CHECK(decide_replay(read_dlq_record(message), message.value, "payment-commands", 3).skip ==
        ReplaySkip::limit_reached);
  CHECK(decide_replay(read_dlq_record(message), message.value, "payment-commands", 1).next_count == 2);
  const auto unreadable = dlq_message({{"dlq-replayed", "x"}});
  CHECK(decide_replay(read_dlq_record(unreadable), unreadable.value, "payment-commands", 0).skip ==
        ReplaySkip::unreadable_count);
}

TEST_CASE("redacted records, records of other topics and cut payloads are never replayed") {
  const auto redacted = dlq_message({{"dlq-redacted", "true"}});
  CHECK(decide_replay(read_dlq_record(redacted), redacted.value, "payment-commands", 0).skip == ReplaySkip::redacted);
  CHECK(describe(ReplaySkip::redacted).find("different command") != std::string::npos);

  auto stripe_event = dlq_message();
  stripe_event.headers[2].second = "payment-stripe-events";
  CHECK(decide_replay(read_dlq_record(stripe_event), stripe_event.value, "payment-commands", 0).skip ==
        ReplaySkip::not_a_command);
  // Under a topic prefix, the prefixed commands topic is the one.
  auto prefixed = dlq_message();
  prefixed.headers[2].second = "staging.payment-commands";
  CHECK(decide_replay(read_dlq_record(prefixed), prefixed.value, "payment-commands", 0).skip ==
        ReplaySkip::not_a_command);
  CHECK(decide_replay(read_dlq_record(prefixed), prefixed.value, "staging.payment-commands", 0).skip ==
        ReplaySkip::none);

  auto cut = dlq_message();
  cut.headers[3].second = std::to_string(cut.value.size() + 10);
  CHECK(decide_replay(read_dlq_record(cut), cut.value, "payment-commands", 0).skip == ReplaySkip::truncated);
}

TEST_CASE("the replay count of a command is the highest among the DLQ records holding it") {
  auto original = dlq_message();
  auto came_back = dlq_message({{"dlq-replayed", "2"}});
  auto other = dlq_message({{"dlq-replayed", "1"}}, R"({"command_id":"c2"})");
  auto same_value_other_key = dlq_message();
  same_value_other_key.key = "pay_2";
  const auto counts = replay_counts({original, came_back, other, same_value_other_key});
  CHECK(counts == std::vector<int>{2, 2, 1, 0});
}

TEST_CASE("keys and headers are printed without control bytes") {
  CHECK(printable("pay_1") == "pay_1");
  CHECK(printable("a\x1b[2Jb\n\xff") == "a?[2Jb??");
}
