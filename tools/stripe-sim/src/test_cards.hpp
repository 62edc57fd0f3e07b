#pragma once
// Stripe's test payment methods and what each one does (docs.stripe.com/testing).

#include <string_view>

namespace payments::stripe_sim {

enum class CardOutcome {
  succeeds,          // charge succeeds
  declines,          // 402 card_error
  requires_action,   // 3-D Secure: requires_action with a redirect, succeeds once authenticated
};

struct TestCard {
  std::string_view name;  // canonical pm_card_... name
  std::string_view brand;
  std::string_view last4;
  CardOutcome outcome;
  std::string_view code;          // card_error code when it declines
  std::string_view decline_code;  // when it declines
  std::string_view message;       // when it declines
  std::string_view param;         // when it declines on one field (cvc, exp_month)
  bool refund_fails = false;      // refunds succeed at first, then may be failed (pm_card_refundFail)
};

// Looks up a `pm_card_*` name or its legacy `tok_*` alias; nullptr when unknown.
const TestCard* find_test_card(std::string_view payment_method) noexcept;

}  // namespace payments::stripe_sim
