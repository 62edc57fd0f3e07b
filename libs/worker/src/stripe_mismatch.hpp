#pragma once
// A Stripe object refused by core/stripe_trust.hpp (it does not match its payment or refund): counted and
// logged (ids only), and otherwise ignored.

#include <string_view>

#include "payments/core/metrics.hpp"

namespace payments::worker {

void note_stripe_mismatch(MetricsRegistry& metrics, std::string_view reason, std::string_view payment_id,
                          std::string_view stripe_id);

}  // namespace payments::worker
