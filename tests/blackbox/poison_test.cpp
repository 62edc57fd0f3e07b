// Poison commands (issue "Failures as first-class outcomes"): whatever a producer sends and whatever the
// worker cannot read, each command ends within seconds (applied, refused with an event, or dead-lettered),
// and the worker's committed offsets catch up with the end of every partition.
#include <doctest/doctest.h>

#include <chrono>
#include <thread>

#include "support/commands.hpp"
#include "support/kafka_lag.hpp"
#include "support/stack.hpp"

using namespace payments::testing;
using namespace std::chrono_literals;

namespace {

// The DLQ record keyed `key`, once there is one (read from the start of the topic each time).
std::optional<payments::events::IncomingMessage> dlq_record(Stack& stack, const std::string& key,
                                                            std::chrono::seconds timeout) {
  std::optional<payments::events::IncomingMessage> found;
  eventually(
      [&] {
        for (auto& m : stack.read_topic(stack.topics().commands_dlq, 1, 1s)) {
          if (m.key == key) found = m;
        }
        return found.has_value();
      },
      timeout, 500ms);
  return found;
}

// Whether a payment-failed event for `payment_id` with this failure.code arrives within 20 s.
bool failed_with(Stack& stack, const std::string& payment_id, const std::string& code) {
  return eventually(
      [&] {
        for (const auto& e : stack.read_topic(stack.topics().failed, 1, 1s)) {
          if (e.key == payment_id && json_field(e.value, "failure.code") == code) return true;
        }
        return false;
      },
      20s, 500ms);
}

std::int64_t commands_lag(Stack& stack, int partitions) {
  return consumer_lag(stack.kafka(), stack.topic_prefix() + "worker", stack.topics().commands, partitions);
}

}  // namespace

TEST_CASE("poison commands end within seconds and the lag of every partition returns to zero") {
  StackOptions options;
  options.partitions = 3;
  options.sim_webhooks = false;  // only the commands below reach the worker
  Stack stack(options);

  // A payment whose stored row the worker cannot read any more (an unknown status): made normally first.
  stack.produce_command("poison-row", create_command("7d1e0c2a-0000-4000-8000-000000000001", "poison-row",
                                                     payment_data("row")));
  REQUIRE(stack.wait_for_status("poison-row") == "succeeded");
  stack.sql([](soci::session& sql) { sql << "UPDATE payments SET status = 'bogus' WHERE id = 'poison-row'"; });

  const auto produced_at = std::chrono::steady_clock::now();
  stack.produce_command("healthy-1", create_command("7d1e0c2a-0000-4000-8000-000000000002", "healthy-1",
                                                    payment_data("h1")));
  // Invalid UTF-8 (FF FE) inside order_id, as a hostile producer sent it.
  stack.produce_command("poison-utf8", create_command("7d1e0c2a-0000-4000-8000-000000000003", "poison-utf8",
                                                      payment_data("bad-\xFF\xFE")));
  // An amount no integer type holds.
  stack.produce_command("poison-amount", create_command("7d1e0c2a-0000-4000-8000-000000000004", "poison-amount",
                                                        payment_data("big", "99999999999999999999999")));
  // A refund of the unreadable payment: every round fails with the same internal error.
  stack.produce_command("poison-row", command_json("7d1e0c2a-0000-4000-8000-000000000005", "refund.create",
                                                   "poison-row", R"({"refund_id":"re-poison","amount":100})"));
  stack.produce_command("healthy-2", create_command("7d1e0c2a-0000-4000-8000-000000000006", "healthy-2",
                                                    payment_data("h2")));

  // The healthy payments go on around the poison.
  CHECK(stack.wait_for_status("healthy-1") == "succeeded");
  CHECK(stack.wait_for_status("healthy-2") == "succeeded");

  // Not UTF-8: not a command at all, dead-lettered at once.
  auto utf8 = dlq_record(stack, "poison-utf8", 20s);
  REQUIRE(utf8.has_value());
  CHECK(header_of(*utf8, "dlq-error-code") == "validation_error");
  CHECK(header_of(*utf8, "dlq-reason").find("not a JSON object") != std::string::npos);

  // An overflowing amount is a command that breaks the rules: its producer gets payment.failed.
  CHECK(failed_with(stack, "poison-amount", "validation_error"));

  // The unreadable payment's refund: retried a bounded number of rounds, then given up.
  auto row = dlq_record(stack, "poison-row", 40s);
  REQUIRE(row.has_value());
  const auto given_up_after = std::chrono::steady_clock::now() - produced_at;
  CHECK(header_of(*row, "dlq-error-code") == "internal_error");
  CHECK(header_of(*row, "dlq-reason").find("gave up after 10 rounds") != std::string::npos);
  CHECK(given_up_after < 30s);
  CHECK(stack.refunds_for("poison-row").count == 0);
  MESSAGE("the unreadable payment's refund was dead-lettered after "
          << std::chrono::duration_cast<std::chrono::milliseconds>(given_up_after).count() << " ms");

  // Nothing is left pinned: the group's committed offsets reach the end of every partition.
  std::int64_t lag = -1;
  CHECK(eventually([&] { return (lag = commands_lag(stack, options.partitions)) == 0; }, 30s, 1s));
  CAPTURE(lag);
  // ... and a restarted worker finds nothing to take up again.
  CHECK(stack.stop_worker() == 0);
  stack.start_worker();
  std::this_thread::sleep_for(3s);
  CHECK(commands_lag(stack, options.partitions) == 0);
  CHECK(stack.read_topic(stack.topics().commands_dlq, 3, 3s).size() == 2);  // not dead-lettered twice
}

TEST_CASE("a payment.create given up before Stripe was asked fails its payment with internal_error") {
  Stack stack;
  const std::string data = payment_data("otp-poison", "2500", R"(,"otp":{"channel":"sms","destination":"+14155550123"})");
  stack.produce_command("otp-poison", create_command("7d1e0c2a-0000-4000-8000-000000000011", "otp-poison", data));
  REQUIRE(stack.wait_for_status("otp-poison", 30s, [](const std::string& s) { return s != "pending"; }) ==
          "otp_required");
  // Its code challenge becomes unreadable; the same payment.create again (a producer's retry) meets it.
  stack.sql([](soci::session& sql) {
    sql << "UPDATE otp_challenges SET state = 'bogus' WHERE payment_id = 'otp-poison'";
  });
  stack.produce_command("otp-poison", create_command("7d1e0c2a-0000-4000-8000-000000000012", "otp-poison", data));

  // Stripe was never asked: the payment fails, and its producer hears so. (Read from the table: the API's
  // view of this payment includes the very challenge that cannot be read.)
  std::string status;
  std::string failure_code;
  CHECK(eventually(
      [&] {
        stack.sql([&](soci::session& sql) {
          soci::indicator code_null = soci::i_ok;
          sql << "SELECT status, failure_code FROM payments WHERE id = 'otp-poison'", soci::into(status),
              soci::into(failure_code, code_null);
        });
        return status == "failed";
      },
      40s, 500ms));
  CHECK(failure_code == "internal_error");
  CHECK(failed_with(stack, "otp-poison", "internal_error"));
  auto record = dlq_record(stack, "otp-poison", 10s);
  REQUIRE(record.has_value());
  CHECK(header_of(*record, "dlq-error-code") == "internal_error");
  CHECK(stack.charges_for("otp-poison") == 0);
}
