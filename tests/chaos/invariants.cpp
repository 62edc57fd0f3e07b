#include "chaos/invariants.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <set>
#include <sstream>
#include <vector>

#include "chaos/chaos_load.hpp"
#include "support/kafka_lag.hpp"
#include "support/topic_reader.hpp"

namespace payments::testing {
namespace {

using namespace std::chrono_literals;

// Broken promises of one kind, reported as one failed CHECK naming the first few.
class Breaches {
 public:
  explicit Breaches(std::string promise) : promise_(std::move(promise)) {}
  void add(const std::string& what) {
    if (++count_ <= 10) examples_ << "\n  " << what;
  }
  void check() const { CHECK_MESSAGE(count_ == 0, promise_ << ": broken " << count_ << " times" << examples_.str()); }

 private:
  std::string promise_;
  int count_ = 0;
  std::ostringstream examples_;
};

// Each payment's status on the API once it is final, or its last status when `settle` ran out first.
std::map<std::string, std::string> final_statuses(Stack& stack, const std::map<std::string, std::string>& expected,
                                                  std::chrono::seconds settle) {
  std::map<std::string, std::string> status;
  const auto until = std::chrono::steady_clock::now() + settle;
  for (const auto& [payment_id, ignored] : expected) {
    const auto left = std::chrono::duration_cast<std::chrono::seconds>(until - std::chrono::steady_clock::now());
    status[payment_id] = stack.wait_for_status(payment_id, std::max(left, std::chrono::seconds(1)));
  }
  return status;
}

// Every command and Stripe event is done: the group's committed offsets reach the end of each partition.
void check_no_lag(Stack& stack) {
  const auto group = stack.topic_prefix() + "worker";
  std::int64_t lag = -1;
  CHECK_MESSAGE(eventually(
                    [&] {
                      lag = consumer_lag(stack.kafka(), group, stack.topics().commands, kChaosPartitions) +
                            consumer_lag(stack.kafka(), group, stack.topics().stripe_events, kChaosPartitions);
                      return lag == 0;
                    },
                    60s, 1s),
                "the workers' group still lags " << lag << " records behind");
}

// One charge per payment succeeded and none otherwise, none for an order answered 503, none nobody asked for.
// Returns how many charges the simulator holds.
int check_charges(Stack& stack, const Offered& offered, const std::map<std::string, std::string>& status) {
  std::map<std::string, int> charges_by_payment;
  std::map<std::string, int> charges_by_order;
  const auto charges = stack.sim_charges();
  for (const auto& charge : charges) {
    ++charges_by_payment[charge.payment_id];
    ++charges_by_order[charge.order_id];
  }
  auto charges_of = [&](const std::string& payment_id) {
    auto it = charges_by_payment.find(payment_id);
    return it == charges_by_payment.end() ? 0 : it->second;
  };

  Breaches wrong_count("one charge per payment succeeded, none per payment failed, at most one per maybe");
  for (const auto& [payment_id, expected] : offered.expected_status) {
    const int owed = status.at(payment_id) == "succeeded" ? 1 : 0;
    if (charges_of(payment_id) != owed) {
      wrong_count.add(payment_id + " (" + status.at(payment_id) + ") charged " +
                      std::to_string(charges_of(payment_id)) + " times");
    }
  }
  for (const auto& payment_id : offered.maybe) {
    if (charges_of(payment_id) > 1) {
      wrong_count.add(payment_id + " (maybe) charged " + std::to_string(charges_of(payment_id)) + " times");
    }
  }
  for (const auto& [payment_id, owed] : offered.exact_charges) {
    if (charges_of(payment_id) != owed) {
      wrong_count.add(payment_id + " charged " + std::to_string(charges_of(payment_id)) + " times, expected " +
                      std::to_string(owed));
    }
  }
  wrong_count.check();

  Breaches unasked("no charge for an order answered 503, none the load did not ask for, one per order at most");
  for (const auto& charge : charges) {
    const bool known =
        offered.expected_status.contains(charge.payment_id) || offered.maybe.contains(charge.payment_id) ||
        offered.exact_charges.contains(charge.payment_id) || offered.unanswered_orders.contains(charge.order_id);
    if (offered.refused_orders.contains(charge.order_id)) {
      unasked.add("order " + charge.order_id + " was answered 503 and charged (" + charge.payment_intent + ")");
    } else if (!known) {
      unasked.add(charge.payment_intent + " charges " + charge.payment_id + ", which nobody asked for");
    }
  }
  for (const auto& [order_id, count] : charges_by_order) {
    if (count > 1) unasked.add("order " + order_id + " charged " + std::to_string(count) + " times");
  }
  unasked.check();
  return static_cast<int>(charges.size());
}

// One distinct terminal event per payment, of its final status, as a downstream consumer reads them: from the
// start of payment-success and payment-failed until each payment's event is there, plus late duplicates.
void check_terminal_events(Stack& stack, const Offered& offered, const std::map<std::string, std::string>& status) {
  std::set<std::string> awaited;
  for (const auto& [payment_id, expected] : offered.expected_status) {
    const std::string& final_status = status.at(payment_id);
    if (final_status == "succeeded" || final_status == "failed") awaited.insert(payment_id);
  }
  std::size_t read = 0;
  const auto events = read_topics_until(
      stack.kafka(), {stack.topics().success, stack.topics().failed},
      [&](const std::vector<events::IncomingMessage>& so_far) {
        for (; read < so_far.size(); ++read) awaited.erase(so_far[read].key);
        return awaited.empty();
      },
      60s, 2s);
  std::map<std::string, std::set<std::string>> event_ids;
  std::map<std::string, std::set<std::string>> event_types;
  for (const auto& event : events) {
    event_ids[event.key].insert(json_field(event.value, "event_id"));
    event_types[event.key].insert(json_field(event.value, "type"));
  }

  Breaches wrong("exactly one distinct terminal event_id per payment, of its final status");
  for (const auto& [payment_id, expected] : offered.expected_status) {
    const std::string type = "payment." + status.at(payment_id);
    const auto& ids = event_ids[payment_id];
    if (ids.size() != 1 || event_types[payment_id] != std::set<std::string>{type}) {
      wrong.add(payment_id + " (" + status.at(payment_id) + ") has " + std::to_string(ids.size()) +
                " event ids, of " + std::to_string(event_types[payment_id].size()) + " types");
    }
  }
  for (const auto& payment_id : offered.maybe) {
    if (event_ids[payment_id].size() > 1) wrong.add(payment_id + " (maybe) has several event ids");
  }
  wrong.check();
}

// The API answered a payment with 202 or 503 only, and every idempotent replay named the first payment.
void check_answers(const Offered& offered) {
  for (const auto& entry : offered.api_answers) {
    const int answer = entry.first;
    const int count = entry.second;
    CHECK_MESSAGE((answer == 202 || answer == 503), "the API answered " << answer << " to " << count << " payments");
  }
  CHECK(offered.replays_naming_another_payment == 0);
}

}  // namespace

std::string Settled::summary() const {
  std::ostringstream out;
  out << payments << " payments taken on (" << succeeded << " succeeded, " << failed << " failed), " << charges
      << " charges; settled " << took.count() << " ms after the load stopped";
  return out.str();
}

Settled check_invariants(Stack& stack, const Offered& offered, WorkerGroup& workers, std::chrono::seconds settle) {
  const auto started = std::chrono::steady_clock::now();
  Settled settled;
  settled.payments = static_cast<int>(offered.expected_status.size());
  CHECK(settled.payments > 0);

  const auto status = final_statuses(stack, offered.expected_status, settle);
  Breaches not_final("every payment taken on reaches the final status its card leads to");
  for (const auto& [payment_id, expected] : offered.expected_status) {
    const std::string& actual = status.at(payment_id);
    if (actual != expected) {
      not_final.add(payment_id + " is " + (actual.empty() ? "unknown to /status" : actual) + ", expected " + expected);
    }
    settled.succeeded += actual == "succeeded" ? 1 : 0;
    settled.failed += actual == "failed" ? 1 : 0;
  }
  not_final.check();
  check_no_lag(stack);
  settled.took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);

  settled.charges = check_charges(stack, offered, status);
  check_terminal_events(stack, offered, status);
  check_answers(offered);
  // No process died but the ones the case killed.
  CHECK(stack.api().running());
  workers.check_only_killed_died();
  MESSAGE(settled.summary());
  return settled;
}

}  // namespace payments::testing
