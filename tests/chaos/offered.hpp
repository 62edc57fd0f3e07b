#pragma once
// What a chaos case put into the system and what it was told: the input of the invariants
// (invariants.hpp). The loads fill it; a case adds what it injected by hand.

#include <map>
#include <set>
#include <string>

namespace payments::testing {

struct Offered {
  // Payments the system took on, answered 202 by the API or delivered to payment-commands, with the final
  // status their card leads to (succeeded, failed).
  std::map<std::string, std::string> expected_status;
  // Payments the system may or may not have taken on: a command whose delivery to Kafka failed or was never
  // confirmed may still have reached the broker. Nothing is owed for them but at most one charge.
  std::set<std::string> maybe;
  // Orders the API answered 503: nothing was taken on, so nothing is ever charged for them.
  std::set<std::string> refused_orders;
  // Orders the API never answered (the connection failed or timed out): at most one charge.
  std::set<std::string> unanswered_orders;
  // How many API answers of each HTTP status: a payment is accepted (202) or refused while a dependency is
  // down (503), nothing else.
  std::map<int, int> api_answers;
  // Idempotent replays answered 202 with another payment than the first answer named.
  int replays_naming_another_payment = 0;
  // Payments the case made itself, with exactly how many charges each must have at the end (0 for poison).
  std::map<std::string, int> exact_charges;

  void add(const Offered& other) {
    expected_status.insert(other.expected_status.begin(), other.expected_status.end());
    maybe.insert(other.maybe.begin(), other.maybe.end());
    refused_orders.insert(other.refused_orders.begin(), other.refused_orders.end());
    unanswered_orders.insert(other.unanswered_orders.begin(), other.unanswered_orders.end());
    for (const auto& [status, count] : other.api_answers) api_answers[status] += count;
    replays_naming_another_payment += other.replays_naming_another_payment;
    exact_charges.insert(other.exact_charges.begin(), other.exact_charges.end());
  }
};

}  // namespace payments::testing
