#include "payments/events/topics.hpp"

#include "payments/events/payment_events.hpp"

namespace payments::events {

TopicNames TopicNames::with_prefix(std::string_view prefix) {
  TopicNames names;
  for (std::string* name : {&names.commands, &names.commands_dlq, &names.success, &names.failed, &names.refunded,
                            &names.otp, &names.stripe_events}) {
    name->insert(0, prefix);
  }
  return names;
}

std::vector<std::string> TopicNames::all() const { return {commands, commands_dlq, success, failed, refunded, otp, stripe_events}; }

const std::string& TopicNames::for_event(std::string_view event_type) const {
  if (event_type == event_type::kSucceeded) return success;
  if (event_type == event_type::kRefunded || event_type == event_type::kRefundFailed) return refunded;
  return failed;
}

}  // namespace payments::events
