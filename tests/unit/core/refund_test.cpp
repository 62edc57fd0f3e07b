// The refund ledger rule, in Money: the refunds of a payment never add up to more than was paid.
#include <doctest/doctest.h>

#include "payments/core/refund.hpp"

using namespace payments;

namespace {
Money usd(std::int64_t minor) { return Money::parse(minor, "usd").value(); }
}  // namespace

TEST_CASE("a refund takes what was asked, or everything not yet reserved, in the payment's currency") {
  const auto asked = decide_refund(PaymentStatus::succeeded, usd(1000), usd(300), 200);
  CHECK(asked.accepted());
  CHECK(asked.amount == usd(200));
  const auto rest = decide_refund(PaymentStatus::partially_refunded, usd(1000), usd(300), std::nullopt);
  CHECK(rest.accepted());
  CHECK(rest.amount == usd(700));
  CHECK(decide_refund(PaymentStatus::succeeded, usd(1000), usd(0), 1000).amount == usd(1000));
}

TEST_CASE("a refund over what is left, of a payment fully reserved, or of one not succeeded is refused") {
  const auto over = decide_refund(PaymentStatus::succeeded, usd(1000), usd(300), 701);
  CHECK(over.failure_code == "amount_exceeds_refundable");
  CHECK(over.failure_message == "refund of 701 exceeds the 700 still refundable");
  CHECK(over.amount == usd(0));
  CHECK(decide_refund(PaymentStatus::refunded, usd(1000), usd(1000), std::nullopt).failure_code ==
        "nothing_to_refund");
  CHECK(decide_refund(PaymentStatus::processing, usd(1000), usd(0), 100).failure_code == "payment_not_refundable");
  // Reservations in another currency than the payment's are a broken ledger: nothing is refundable against it.
  const Money yen = Money::parse(300, "jpy").value();
  CHECK(decide_refund(PaymentStatus::succeeded, usd(1000), yen, 100).failure_code == "nothing_to_refund");
}

TEST_CASE("a payment's status follows what its refunds add up to") {
  CHECK(status_after_refunds(usd(1000), usd(0)) == PaymentStatus::succeeded);
  CHECK(status_after_refunds(usd(1000), usd(1)) == PaymentStatus::partially_refunded);
  CHECK(status_after_refunds(usd(1000), usd(999)) == PaymentStatus::partially_refunded);
  CHECK(status_after_refunds(usd(1000), usd(1000)) == PaymentStatus::refunded);
}
