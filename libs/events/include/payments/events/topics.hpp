#pragma once
// The Kafka topics of the contract, and how many partitions the project creates them with when missing.
// Names may carry a prefix (KAFKA_TOPIC_PREFIX) so several environments can share one cluster; with no
// prefix they are exactly the contract's.

#include <string>
#include <string_view>
#include <vector>

namespace payments::events {

// Twelve partitions: enough for a consumer group of several workers to share the load, and the benchmark's
// baseline (one command at a time per partition) is stated against it.
inline constexpr int kDefaultPartitions = 12;

struct TopicNames {
  std::string commands = "payment-commands";
  std::string commands_dlq = "payment-commands-dlq";
  std::string success = "payment-success";
  std::string failed = "payment-failed";
  std::string refunded = "payment-refunded";
  std::string otp = "payment-otp";
  // Stripe's events as the API received and verified them on its webhook endpoint, verbatim, keyed by the
  // payment they concern. Written only by the API (so a producer of payment-commands cannot forge them).
  std::string stripe_events = "payment-stripe-events";

  static TopicNames with_prefix(std::string_view prefix);
  [[nodiscard]] std::vector<std::string> all() const;
  // The topics each service reads or writes (the README's ACL table): what it checks at start-up when it may
  // not create topics (KAFKA_CREATE_TOPICS=false). The API writes commands and stripe_events; the worker reads
  // those two and writes every other one (and commands, when reconciliation sends a command again).
  [[nodiscard]] std::vector<std::string> used_by_api() const { return {commands, stripe_events}; }
  [[nodiscard]] std::vector<std::string> used_by_worker() const { return all(); }
  // Where an event of this type (payment.succeeded, payment.failed, payment.refunded) is published.
  [[nodiscard]] const std::string& for_event(std::string_view event_type) const;
};

}  // namespace payments::events
