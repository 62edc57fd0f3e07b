#include <doctest/doctest.h>

#include "payments/core/payment.hpp"

using payments::can_transition;
using payments::PaymentStatus;
using S = PaymentStatus;

TEST_CASE("statuses round-trip through their contract names") {
  for (auto s : {S::pending, S::otp_required, S::processing, S::requires_action, S::succeeded, S::failed, S::canceled,
                 S::partially_refunded, S::refunded}) {
    CHECK(payments::parse_payment_status(payments::to_string(s)) == s);
  }
  CHECK_FALSE(payments::parse_payment_status("paid").has_value());
}

TEST_CASE("a payment moves forward only") {
  CHECK(can_transition(S::pending, S::processing));
  CHECK(can_transition(S::pending, S::otp_required));
  CHECK(can_transition(S::otp_required, S::processing));
  CHECK(can_transition(S::processing, S::succeeded));
  CHECK(can_transition(S::processing, S::failed));
  CHECK(can_transition(S::processing, S::requires_action));
  CHECK(can_transition(S::requires_action, S::succeeded));
  CHECK(can_transition(S::succeeded, S::partially_refunded));
  CHECK(can_transition(S::partially_refunded, S::refunded));

  // Never backwards, never out of a final failure, never charged twice.
  CHECK_FALSE(can_transition(S::succeeded, S::processing));
  CHECK_FALSE(can_transition(S::succeeded, S::failed));
  CHECK_FALSE(can_transition(S::failed, S::succeeded));
  CHECK_FALSE(can_transition(S::failed, S::processing));
  CHECK_FALSE(can_transition(S::canceled, S::processing));
  CHECK_FALSE(can_transition(S::processing, S::pending));
  CHECK_FALSE(can_transition(S::succeeded, S::succeeded));
  CHECK_FALSE(can_transition(S::processing, S::processing));
  CHECK_FALSE(can_transition(S::pending, S::succeeded));  // no success without a charge attempt
}

TEST_CASE("final statuses are the ones no charge attempt follows") {
  CHECK(payments::is_final(S::succeeded));
  CHECK(payments::is_final(S::failed));
  CHECK(payments::is_final(S::canceled));
  CHECK_FALSE(payments::is_final(S::processing));
  CHECK_FALSE(payments::is_final(S::requires_action));
  CHECK_FALSE(payments::is_final(S::otp_required));
}

TEST_CASE("only a charge still open takes Stripe's word on the intent - refunds own the statuses after it") {
  CHECK(payments::awaits_charge_outcome(S::processing));
  CHECK(payments::awaits_charge_outcome(S::requires_action));
  for (auto s : {S::pending, S::otp_required, S::succeeded, S::failed, S::canceled, S::partially_refunded,
                 S::refunded}) {
    CAPTURE(payments::to_string(s));
    CHECK_FALSE(payments::awaits_charge_outcome(s));
  }
}
