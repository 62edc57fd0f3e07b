// payments-admin dlq list|replay: what an operator sees of payment-commands-dlq (never a payload), and replaying
// a dead-lettered command once its cause is fixed, counted and applied once.
#include <doctest/doctest.h>

#include <sstream>
#include <thread>

#include "payments/core/time.hpp"
#include "support/stack.hpp"
#include "support/test_keys.hpp"

using namespace payments::testing;
using namespace std::chrono_literals;

namespace {

// A record as the worker writes it to the DLQ (CommandProcessor::dead_letter), with `extra` headers.
payments::events::OutgoingMessage dlq_record(Stack& stack, const std::string& key, const std::string& value,
                                             const std::string& reason, const std::string& failed_at,
                                             payments::events::Headers extra = {}) {
  payments::events::Headers headers{{"dlq-reason", reason},
                                    {"dlq-error-code", "internal_error"},
                                    {"dlq-original-topic", stack.topics().commands},
                                    {"dlq-original-bytes", std::to_string(value.size())},
                                    {"dlq-original-partition", "0"},
                                    {"dlq-original-offset", "17"},
                                    {"dlq-failed-at", failed_at}};
  headers.insert(headers.end(), extra.begin(), extra.end());
  return {stack.topics().commands_dlq, key, value, std::move(headers)};
}

std::string refund_command(const std::string& command_id, const std::string& payment_id) {
  return R"({"command_id":")" + command_id + R"(","type":"refund.create","payment_id":")" + payment_id +
         R"(","issued_at":"2026-11-22T10:00:00Z","data":{"refund_id":"re_)" + command_id + R"("}})";
}

// The rows of `dlq list` (the header line left out).
std::vector<std::string> rows(const std::string& output) {
  std::vector<std::string> out;
  std::istringstream lines(output);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("OFFSET", 0) == 0 || line.rfind("payments-admin:", 0) == 0 || line.empty()) continue;
    out.push_back(line);
  }
  return out;
}

// The OFFSET column ("P:O") of the row for `key`; "" when none.
std::string position_of(const std::string& list_output, const std::string& key) {
  for (const auto& row : rows(list_output)) {
    std::istringstream words(row);
    std::string position;
    std::string word;
    words >> position;
    while (words >> word) {
      if (word == key) return position;
    }
  }
  return {};
}

int count_of(const std::string& text, const std::string& part) {
  int n = 0;
  for (auto at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("dlq list shows records without their payloads, and dlq replay re-publishes them counted, skipping redacted "
          "and thrice-replayed ones") {
  Stack stack({.start_worker = false});  // nothing consumes payment-commands: the test reads what replay wrote
  const std::string recent = payments::rfc3339_now();
  const std::string fresh = refund_command("cmd-fresh", "pay_fresh");
  const std::string tired = refund_command("cmd-tired", "pay_tired");
  const std::string redacted = R"({"command_id":"cmd-otp","type":"payment.otp.verify","payment_id":"pay_otp",)"
                               R"("data":{"code":"[redacted]"}})";
  const std::string old = refund_command("cmd-old", "pay_old");
  stack.produce(dlq_record(stack, "pay_fresh", fresh, "refund could not be applied", recent));
  stack.produce(dlq_record(stack, "pay_tired", tired, "refund could not be applied", recent, {{"dlq-replayed", "3"}}));
  stack.produce(dlq_record(stack, "pay_otp", redacted, "one-time code could not be applied", recent,
                           {{"dlq-redacted", "true"}}));
  stack.produce(dlq_record(stack, "pay_old", old, "command envelope invalid (type)", "2020-01-01T00:00:00.000Z"));

  auto listed = stack.run_admin({"dlq", "list"});
  REQUIRE_MESSAGE(listed.exit_code == 0, listed.output);
  CHECK(rows(listed.output).size() == 4);
  for (const char* key : {"pay_fresh", "pay_tired", "pay_otp", "pay_old"}) {
    CAPTURE(key);
    CHECK_FALSE(position_of(listed.output, key).empty());
  }
  CHECK(listed.output.find("refund could not be applied") != std::string::npos);
  CHECK(listed.output.find("internal_error") != std::string::npos);
  CHECK(listed.output.find(recent) != std::string::npos);
  // Offsets, reasons, codes, keys, times and counts; never a byte of a payload.
  for (const char* payload_text : {"command_id", "cmd-fresh", "re_cmd", "refund.create", "otp.verify", "{"}) {
    CAPTURE(payload_text);
    CHECK(listed.output.find(payload_text) == std::string::npos);
  }
  std::string tired_row;
  for (const auto& row : rows(listed.output)) {
    if (row.find("pay_tired") != std::string::npos) tired_row = row;
  }
  CHECK(tired_row.find(" 3 ") != std::string::npos);  // REPLAYS

  auto by_reason = stack.run_admin({"dlq", "list", "--reason", "COULD NOT BE APPLIED"});
  REQUIRE(by_reason.exit_code == 0);
  CHECK(rows(by_reason.output).size() == 3);
  CHECK(by_reason.output.find("pay_old") == std::string::npos);
  auto since = stack.run_admin({"dlq", "list", "--since", "2025-01-01T00:00:00Z"});
  REQUIRE(since.exit_code == 0);
  CHECK(rows(since.output).size() == 3);
  CHECK(since.output.find("pay_old") == std::string::npos);

  // Bad flags: a usage error that says what is wrong, and nothing is replayed.
  auto bad_time = stack.run_admin({"dlq", "list", "--since", "yesterday"});
  CHECK(bad_time.exit_code == 2);
  CHECK(bad_time.output.find("RFC 3339") != std::string::npos);
  auto everything = stack.run_admin({"dlq", "replay"});
  CHECK(everything.exit_code == 2);
  CHECK(everything.output.find("--offsets or --reason") != std::string::npos);
  auto bad_range = stack.run_admin({"dlq", "replay", "--offsets", "9-3"});
  CHECK(bad_range.exit_code == 2);
  CHECK(bad_range.output.find("ends before it starts") != std::string::npos);

  auto replayed = stack.run_admin({"dlq", "replay", "--reason", "could not be applied"});
  REQUIRE_MESSAGE(replayed.exit_code == 0, replayed.output);
  CHECK(replayed.output.find("replayed  " + position_of(listed.output, "pay_fresh")) != std::string::npos);
  CHECK(replayed.output.find("replayed 3 times already") != std::string::npos);
  CHECK(replayed.output.find("different command") != std::string::npos);
  CHECK(replayed.output.find("replayed 1, skipped 2") != std::string::npos);

  auto commands = stack.read_topic(stack.topics().commands, 1, 10s);
  REQUIRE(commands.size() == 1);
  CHECK(commands[0].key == "pay_fresh");
  CHECK(commands[0].value == fresh);
  CHECK(header_of(commands[0], "dlq-replayed") == "1");

  // By offset; then the same command back in the DLQ after that replay (as the worker writes it when the
  // replay fails again): replaying both publishes it once, counted from the copy that came back.
  auto by_offset = stack.run_admin({"dlq", "replay", "--offsets", position_of(listed.output, "pay_old")});
  REQUIRE_MESSAGE(by_offset.exit_code == 0, by_offset.output);
  CHECK(by_offset.output.find("replayed 1, skipped 0") != std::string::npos);
  stack.produce(dlq_record(stack, "pay_fresh", fresh, "refund could not be applied", payments::rfc3339_now(),
                           {{"dlq-replayed", "1"}}));
  auto again = stack.run_admin({"dlq", "replay", "--reason", "refund"});
  REQUIRE_MESSAGE(again.exit_code == 0, again.output);
  CHECK(again.output.find("replayed 1, skipped 2") != std::string::npos);
  CHECK(again.output.find("dlq-replayed 2 of at most 3") != std::string::npos);
  CHECK(again.output.find("the same command as") != std::string::npos);

  commands = stack.read_topic(stack.topics().commands, 3, 10s);
  REQUIRE(commands.size() == 3);
  std::map<std::string, std::vector<std::string>> counts;
  for (const auto& m : commands) counts[m.key].push_back(header_of(m, "dlq-replayed"));
  CHECK(counts["pay_fresh"] == std::vector<std::string>{"1", "2"});
  CHECK(counts["pay_old"] == std::vector<std::string>{"1"});

  // Listing and replaying moved nothing: the DLQ still holds every record, and lists them all again.
  auto relisted = stack.run_admin({"dlq", "list"});
  REQUIRE(relisted.exit_code == 0);
  CHECK(rows(relisted.output).size() == 5);

  auto nothing = stack.run_admin({"dlq", "replay", "--reason", "no such reason"});
  CHECK(nothing.exit_code == 1);
  CHECK(nothing.output.find("no record") != std::string::npos);
}

TEST_CASE("dlq list and replay say so when Kafka cannot be reached") {
  Stack stack({.start_worker = false});
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"dlq", "list"}, std::vector<std::string>{"dlq", "replay", "--offsets", "0:0"}}) {
    auto run = stack.run_admin(args, {{"KAFKA_BROKERS", "127.0.0.1:1"}});
    CHECK(run.exit_code == 1);
    CHECK_MESSAGE(run.output.find("Kafka unreachable at 127.0.0.1:1") != std::string::npos, run.output);
  }
}

// Needs the worker's give-up path (issue 13): a refund the worker cannot apply because the payment's columns
// are sealed under a key it lacks gives up after bounded retries and lands in the DLQ with dlq-error-code.
TEST_CASE("a refund dead-lettered for a cause later fixed is replayed and applied once, even when replayed twice") {
  Stack stack;
  auto created = stack.post_payment(R"({"order_id":"dlq-order","amount":1500,"currency":"usd",)"
                                    R"("payment_method":"pm_card_visa","description":"sealed under t1"})");
  REQUIRE(created.status == 202);
  const auto pay = json_field(created.body, "payment_id");
  REQUIRE(stack.wait_for_status(pay) == "succeeded");

  // A worker that lacks the key the payment was sealed with: it cannot read the payment.
  stack.stop_worker();
  stack.start_worker({{"DATA_ENCRYPTION_KEY", kTestDataKey2}});
  auto refund = stack.post("/api/v1/payments/" + pay + "/refunds", R"({"amount":600})");
  REQUIRE(refund.status == 202);
  const auto refund_id = json_field(refund.body, "refund_id");

  auto dead = stack.read_topic(stack.topics().commands_dlq, 1, 40s);
  REQUIRE_MESSAGE(dead.size() == 1,
                  (std::string("the refund never reached the DLQ (needs the worker's give-up path)\n") + stack.logs()));
  CHECK(dead[0].key == pay);
  CHECK(header_of(dead[0], "dlq-error-code") == "internal_error");
  CHECK(stack.refunds_for(pay).count == 0);

  // The cause is fixed: the worker gets its key back.
  stack.stop_worker();
  stack.start_worker();

  auto listed = stack.run_admin({"dlq", "list"});
  REQUIRE_MESSAGE(listed.exit_code == 0, listed.output);
  REQUIRE(rows(listed.output).size() == 1);
  const auto position = position_of(listed.output, pay);
  REQUIRE_FALSE(position.empty());
  CHECK(listed.output.find("internal_error") != std::string::npos);
  for (const auto& payload_text : {refund_id, std::string("refund.create"), std::string("command_id")}) {
    CHECK(listed.output.find(payload_text) == std::string::npos);
  }

  auto replayed = stack.run_admin({"dlq", "replay", "--offsets", position});
  REQUIRE_MESSAGE(replayed.exit_code == 0, replayed.output);
  CHECK(replayed.output.find("replayed 1, skipped 0") != std::string::npos);
  REQUIRE(eventually(
      [&] { return json_field(stack.get("/api/v1/refunds/" + refund_id).body, "status") == "succeeded"; }, 30s));

  // Replayed again (the same command_id): counted on the record, applied once all the same.
  auto twice = stack.run_admin({"dlq", "replay", "--offsets", position});
  REQUIRE_MESSAGE(twice.exit_code == 0, twice.output);
  std::vector<std::string> replay_headers;
  for (const auto& m : stack.read_topic(stack.topics().commands, 4, 10s)) {
    if (!header_of(m, "dlq-replayed").empty()) replay_headers.push_back(header_of(m, "dlq-replayed"));
  }
  CHECK(replay_headers == std::vector<std::string>{"1", "1"});
  std::this_thread::sleep_for(3s);  // time for a second application to show, were there one

  const auto sim = stack.refunds_for(pay);
  CHECK(sim.count == 1);
  CHECK(sim.total == 600);
  const auto payment = stack.get("/api/v1/payments/" + pay);
  CHECK(json_field(payment.body, "status") == "partially_refunded");
  CHECK(json_field(payment.body, "amount_refunded") == "600");
  int refunded_events = 0;
  for (const auto& m : stack.read_topic(stack.topics().refunded, 1)) {
    if (m.key == pay && json_field(m.value, "type") == "payment.refunded" &&
        json_field(m.value, "refund_id") == refund_id) {
      ++refunded_events;
    }
  }
  CHECK(refunded_events == 1);
  CHECK(count_of(stack.run_admin({"dlq", "list"}).output, pay) == 1);  // the replays did not come back
}
