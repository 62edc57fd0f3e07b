#include "chaos/chaos_load.hpp"

#include <sstream>

namespace payments::testing {

StackOptions chaos_stack_options() {
  StackOptions options;
  options.sim_latency_ms = 250;
  options.partitions = kChaosPartitions;
  options.max_in_flight = 64;
  options.start_worker = false;
  options.worker_env = {{"RECONCILE_INTERVAL_SECONDS", "1"},
                        {"RECONCILE_UNSETTLED_AFTER_SECONDS", "10"},
                        {"WORKER_SHUTDOWN_DRAIN_SECONDS", "5"}};
  options.api_env = {{"API_RATE_LIMIT_PER_SECOND", "100000"}};
  return options;
}

ChaosLoad::ChaosLoad(Stack& stack, ChaosLoadRates rates)
    : api_(stack, {.per_second = rates.api_per_second, .callers = 6, .order_prefix = "api-", .replay_every = 10}),
      kafka_(stack, rates.kafka_per_second) {}

void ChaosLoad::stop() {
  api_.stop();
  kafka_.stop();
}

Offered ChaosLoad::offered() const {
  Offered out = kafka_.offered();
  for (const auto& order : api_.orders()) {
    if (order.status == 202) out.expected_status[order.payment_id] = "succeeded";
    if (order.status == 503) out.refused_orders.insert(order.order_id);
    if (order.status == 0) out.unanswered_orders.insert(order.order_id);
  }
  out.api_answers = api_.answers();
  out.replays_naming_another_payment = api_.replays_naming_another_payment();
  return out;
}

std::string ChaosLoad::summary() const {
  std::ostringstream out;
  out << "API:";
  for (const auto& [status, count] : api_.answers()) out << " " << status << " x " << count;
  out << " (slowest answer " << api_.slowest_ms() << " ms, " << api_.replays() << " replays); Kafka: "
      << kafka_.delivered() << " of " << kafka_.produced() << " commands delivered";
  return out.str();
}

}  // namespace payments::testing
