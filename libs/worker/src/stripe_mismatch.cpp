#include "stripe_mismatch.hpp"

#include <string>

#include "payments/core/log.hpp"

namespace payments::worker {

void note_stripe_mismatch(MetricsRegistry& metrics, std::string_view reason, std::string_view payment_id,
                          std::string_view stripe_id) {
  metrics
      .counter("payments_worker_stripe_mismatch_total", "Stripe objects refused for not matching their payment",
               "reason=\"" + std::string(reason) + "\"")
      .add();
  log::warn("Stripe reported an object that does not match its payment or refund; ignored",
            {{"payment_id", payment_id}, {"stripe_id", stripe_id}, {"reason", reason}});
}

}  // namespace payments::worker
