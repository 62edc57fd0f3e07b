#include "stripe_event_flow.hpp"

#include "payments/events/dlq.hpp"
#include "payments/core/log.hpp"
#include "payments/core/stripe_trust.hpp"
#include "payments/runtime/awaitable.hpp"
#include "payments/stripe/stripe_json.hpp"

namespace payments::worker {

using boost::asio::awaitable;

StripeEventFlow::StripeEventFlow(store::PaymentStore& payments, store::RefundStore& refunds, MetricsRegistry& metrics,
                                 boost::asio::thread_pool& blocking, Outbox& outbox, PaymentDriver& driver,
                                 StripeRefunds& stripe_refunds)
    : payments_(payments), refunds_(refunds), metrics_(metrics), blocking_(blocking), outbox_(outbox),
      driver_(driver), stripe_refunds_(stripe_refunds) {}

awaitable<Status> StripeEventFlow::apply_stripe_event(const events::CommandEnvelope& command) {
  auto parsed = stripe::parse_event(command.data_json);
  if (!parsed) {
    co_return co_await outbox_.dead_letter_command(command,
                                                   events::dlq_reason("unreadable Stripe event", parsed.error()));
  }
  const StripeEvent& event = parsed.value();
  log::info("applying Stripe event",
            {{"event_id", event.id}, {"type", event.type}, {"payment_id", command.payment_id}});

  switch (stripe_event_use(event.type)) {
    case StripeEventUse::intent_update: {
      auto intent = stripe::parse_payment_intent(event.object_json);
      if (!intent) {
        co_return co_await outbox_.dead_letter_command(command, "unreadable PaymentIntent in a Stripe event");
      }
      if (auto applied = co_await driver_.apply_intent(command.payment_id, intent.value()); !applied) co_return applied;
      break;
    }
    case StripeEventUse::refund_update:
      if (auto applied = co_await apply_refund_event(command.payment_id, event); !applied) co_return applied;
      break;
    case StripeEventUse::charge_refunded:
      // A Charge carries only totals; the refunds it counts are settled by asking Stripe about each pending one.
      if (auto checked = co_await check_pending_refunds(command.payment_id); !checked) co_return checked;
      break;
    case StripeEventUse::dispute_created: {
      auto dispute = stripe::parse_dispute(event.object_json);
      if (!dispute) {
        co_return co_await outbox_.dead_letter_command(command, "unreadable dispute in a Stripe event");
      }
      if (auto recorded = co_await record_dispute(command.payment_id, dispute.value()); !recorded) co_return recorded;
      break;
    }
    case StripeEventUse::unused: co_return co_await outbox_.finish(command, "ignored");
  }
  co_return co_await outbox_.finish(command, "applied");
}

awaitable<Status> StripeEventFlow::record_dispute(const std::string& payment_id, const Dispute& d) {
  const store::PaymentDispute record{d.id, d.status, d.reason, d.amount, ""};
  auto recorded = co_await runtime::run_blocking(blocking_,
                                                 [&] { return payments_.record_dispute(payment_id, record); });
  if (!recorded) co_return std::move(recorded).error();
  metrics_.counter("payments_worker_disputes_total", "Disputes Stripe reported on payments").add();
  log::warn("payment disputed", {{"payment_id", payment_id}, {"dispute_id", d.id}, {"reason", d.reason},
                                 {"recorded", recorded.value() ? "true" : "false"}});
  co_return Ok{};
}

awaitable<Status> StripeEventFlow::apply_refund_event(const std::string& payment_id, const StripeEvent& event) {
  auto stripe_refund = stripe::parse_refund(event.object_json);
  if (!stripe_refund) {
    log::warn("Stripe refund event unreadable", {{"event_id", event.id}, {"error", stripe_refund.error().message}});
    co_return Ok{};
  }
  auto found = co_await runtime::run_blocking(blocking_, [&] {
    return event.metadata_refund_id.empty() ? refunds_.find_by_stripe_id(event.object_id)
                                            : refunds_.find(event.metadata_refund_id);
  });
  if (!found) co_return std::move(found).error();
  if (!found.value() || found.value()->payment_id != payment_id) {
    log::warn("Stripe reported on a refund this service did not make",
              {{"payment_id", payment_id}, {"stripe_refund_id", event.object_id}});
    co_return Ok{};
  }
  const store::RefundRecord refund = *found.value();
  std::string payment_intent;  // needed only while the refund has no Stripe id of its own
  if (refund.stripe_refund_id.empty()) {
    auto payment = co_await runtime::run_blocking(blocking_, [&] { return payments_.find(payment_id); });
    if (!payment) co_return std::move(payment).error();
    if (payment.value()) payment_intent = payment.value()->stripe_payment_intent_id;
  }
  auto applied = co_await stripe_refunds_.apply_refund_progress(refund, stripe_refund.value(), payment_intent);
  if (!applied) co_return applied;
  co_return co_await outbox_.flush_outbox(payment_id);
}

awaitable<Status> StripeEventFlow::check_pending_refunds(const std::string& payment_id) {
  auto refunds = co_await runtime::run_blocking(blocking_, [&] { return refunds_.for_payment(payment_id); });
  if (!refunds) co_return std::move(refunds).error();
  for (const auto& refund : refunds.value()) {
    if (refund.status != RefundStatus::pending || !refund.reserved || refund.stripe_refund_id.empty()) continue;
    if (auto refreshed = co_await stripe_refunds_.refresh_refund(refund); !refreshed) co_return refreshed;
  }
  co_return co_await outbox_.flush_outbox(payment_id);
}

}  // namespace payments::worker
