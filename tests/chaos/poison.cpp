#include "chaos/poison.hpp"

#include <doctest/doctest.h>

#include <map>
#include <set>

#include "chaos/chaos_load.hpp"
#include "payments/core/ids.hpp"
#include "payments/core/random.hpp"
#include "support/commands.hpp"
#include "support/kafka_lag.hpp"
#include "support/topic_reader.hpp"

namespace payments::testing {
namespace {

using namespace std::chrono_literals;

std::string new_command_id() { return new_uuid_v4(system_random()); }

// Events are delivered at least once, under a stable event_id: how many distinct ones.
std::size_t distinct_event_ids(const std::vector<const events::IncomingMessage*>& records) {
  std::set<std::string> ids;
  for (const auto* record : records) ids.insert(json_field(record->value, "event_id"));
  return ids.size();
}

}  // namespace

Poison::Poison(Stack& stack) : stack_(stack), tag_(random_token(system_random()).substr(0, 8)) {
  unreadable_ = "unreadable-" + tag_;
  stack_.produce_command(unreadable_, create_command(new_command_id(), unreadable_, payment_data("o-" + unreadable_)));
  REQUIRE(stack_.wait_for_status(unreadable_) == "succeeded");
  // Its Stripe events are applied before the row turns unreadable, so only the refunds below meet it.
  stack_.wait_for_sim_webhooks();
  REQUIRE(eventually(
      [&] {
        return consumer_lag(stack_.kafka(), stack_.topic_prefix() + "worker", stack_.topics().stripe_events,
                            kChaosPartitions) == 0;
      },
      30s, 500ms));
  stack_.sql([&](soci::session& sql) {
    sql << "UPDATE payments SET status = 'bogus' WHERE id = :id", soci::use(unreadable_);
  });
}

void Poison::inject_next() {
  const std::string n = std::to_string(injected_);
  const auto api = [&](const std::string& what, const std::string& target, const std::string& body, int expected) {
    api_answers_.push_back({what, stack_.post(target, body).status, expected});
  };
  switch (injected_++ % 5) {
    case 0: {  // an amount no integer type holds
      const std::string id = "overflow-" + tag_ + "-" + n;
      const std::string too_big = "99999999999999999999999";
      stack_.produce_command(id, create_command(new_command_id(), id, payment_data("o-" + id, too_big)));
      overflowing_.push_back(id);
      api("an overflowing amount", "/api/v1/payments", payment_data("o-api-" + id, too_big), 400);
      break;
    }
    case 1: {  // FF FE inside order_id: not UTF-8
      const std::string id = "not-utf8-" + tag_ + "-" + n;
      stack_.produce_command(id, create_command(new_command_id(), id, payment_data("bad-\xFF\xFE-" + id)));
      not_utf8_.push_back(id);
      api("a body that is not UTF-8", "/api/v1/payments", payment_data("bad-\xFF\xFE-api-" + id), 400);
      break;
    }
    case 2: {  // a refund of a payment that does not exist
      const std::string id = "missing-" + tag_ + "-" + n;
      stack_.produce_command(id, command_json(new_command_id(), "refund.create", id,
                                              R"({"refund_id":"re-)" + id + R"(","amount":100})"));
      refunded_missing_.push_back(id);
      api("a refund of a missing payment", "/api/v1/payments/" + id + "/refunds", R"({"amount":100})", 404);
      break;
    }
    case 3: {  // a one-time code for a payment that does not exist
      const std::string id = "missing-code-" + tag_ + "-" + n;
      stack_.produce_command(id, command_json(new_command_id(), "payment.otp.verify", id, R"({"code":"123456"})"));
      coded_missing_.push_back(id);
      api("a code for a missing payment", "/api/v1/payments/" + id + "/otp/verify", R"({"code":"123456"})", 404);
      break;
    }
    default: {  // a refund whose processing fails every time: its payment's row cannot be read
      stack_.produce_command(unreadable_, command_json(new_command_id(), "refund.create", unreadable_,
                                                       R"({"refund_id":"re-)" + tag_ + "-" + n + R"(","amount":100})"));
      ++failing_refunds_;
      break;
    }
  }
}

Offered Poison::offered() const {
  Offered out;
  for (const auto* ids : {&overflowing_, &not_utf8_, &refunded_missing_, &coded_missing_}) {
    for (const auto& id : *ids) out.exact_charges[id] = 0;
  }
  out.exact_charges[unreadable_] = 1;
  return out;
}

void Poison::check_outcomes() {
  MESSAGE(injected_ << " poison commands injected");
  for (const auto& answer : api_answers_) {
    CAPTURE(answer.what);
    CHECK(answer.status == answer.expected);
  }

  // What the poison left on the topics, read until each has its record.
  std::set<std::string> awaited(overflowing_.begin(), overflowing_.end());
  awaited.insert(not_utf8_.begin(), not_utf8_.end());
  awaited.insert(refunded_missing_.begin(), refunded_missing_.end());
  if (failing_refunds_ > 0) awaited.insert(unreadable_);
  std::size_t read = 0;
  const auto records = read_topics_until(
      stack_.kafka(), {stack_.topics().failed, stack_.topics().commands_dlq, stack_.topics().refunded},
      [&](const std::vector<events::IncomingMessage>& so_far) {
        for (; read < so_far.size(); ++read) awaited.erase(so_far[read].key);
        return awaited.empty();
      },
      60s, 2s);
  std::map<std::string, std::vector<const events::IncomingMessage*>> by_key;
  for (const auto& record : records) by_key[record.key].push_back(&record);
  auto on = [&](const std::string& key, const std::string& topic) {
    std::vector<const events::IncomingMessage*> out;
    for (const auto* record : by_key[key]) {
      if (record->topic == topic) out.push_back(record);
    }
    return out;
  };

  for (const auto& id : overflowing_) {
    CAPTURE(id);
    const auto failed = on(id, stack_.topics().failed);
    CHECK(distinct_event_ids(failed) == 1);
    for (const auto* event : failed) CHECK(json_field(event->value, "failure.code") == "validation_error");
  }
  for (const auto& id : not_utf8_) {
    CAPTURE(id);
    const auto dead = on(id, stack_.topics().commands_dlq);
    CHECK(dead.size() == 1);
    for (const auto* record : dead) CHECK(header_of(*record, "dlq-error-code") == "validation_error");
  }
  for (const auto& id : refunded_missing_) {
    CAPTURE(id);
    const auto refunded = on(id, stack_.topics().refunded);
    CHECK(distinct_event_ids(refunded) == 1);
    for (const auto* event : refunded) CHECK(json_field(event->value, "failure.code") == "payment_not_found");
  }
  for (const auto& id : coded_missing_) {
    CAPTURE(id);
    CHECK(stack_.get("/api/v1/payments/" + id + "/status").status == 404);
    CHECK(by_key[id].empty());
  }
  const auto dead = on(unreadable_, stack_.topics().commands_dlq);
  CHECK(static_cast<int>(dead.size()) == failing_refunds_);
  for (const auto* record : dead) CHECK(header_of(*record, "dlq-error-code") == "internal_error");
  CHECK(stack_.refunds_for(unreadable_).count == 0);
}

}  // namespace payments::testing
