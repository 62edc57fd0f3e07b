// stripe.event: a Stripe event the API verified on its webhook endpoint, read off the stripe-events topic and
// applied to the payment or refund it concerns. Stripe delivers events at least once and in any order, so an
// event is applied only as a move forward (a late payment_intent.payment_failed after succeeded changes
// nothing), and its command id, derived from the event id, makes a repeated delivery a no-op.
#include "payments/events/dlq.hpp"
#include "payments/core/log.hpp"
#include "payments/core/stripe_trust.hpp"
#include "payments/runtime/awaitable.hpp"
#include "payments/stripe/stripe_json.hpp"
#include "payments/worker/command_processor.hpp"

namespace payments::worker {
namespace {

using boost::asio::awaitable;

constexpr int kMaxAttempts = 4;  // compare-and-set races with a concurrent writer before giving up the event

}  // namespace

awaitable<Status> CommandProcessor::apply_stripe_event(const events::CommandEnvelope& command) {
  auto parsed = stripe::parse_event(command.data_json);
  if (!parsed) {
    co_return co_await dead_letter_command(command, events::dlq_reason("unreadable Stripe event", parsed.error()));
  }
  const StripeEvent& event = parsed.value();
  log::info("applying Stripe event", {{"event_id", event.id}, {"type", event.type}, {"payment_id", command.payment_id}});

  switch (stripe_event_use(event.type)) {
    case StripeEventUse::intent_update: {
      auto intent = stripe::parse_payment_intent(event.object_json);
      if (!intent) {
        co_return co_await dead_letter_command(command, "unreadable PaymentIntent in a Stripe event");
      }
      if (auto applied = co_await apply_intent(command.payment_id, intent.value()); !applied) co_return applied;
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
        co_return co_await dead_letter_command(command, "unreadable dispute in a Stripe event");
      }
      if (auto recorded = co_await record_dispute(command.payment_id, dispute.value()); !recorded) co_return recorded;
      break;
    }
    case StripeEventUse::unused: co_return co_await finish(command, "ignored");
  }
  co_return co_await finish(command, "applied");
}

awaitable<Status> CommandProcessor::record_dispute(const std::string& payment_id, const Dispute& d) {
  const store::PaymentDispute record{d.id, d.status, d.reason, d.amount, ""};
  auto recorded = co_await runtime::run_blocking(deps_.blocking,
                                                 [&] { return deps_.payments.record_dispute(payment_id, record); });
  if (!recorded) co_return std::move(recorded).error();
  deps_.metrics.counter("payments_worker_disputes_total", "Disputes Stripe reported on payments").add();
  log::warn("payment disputed", {{"payment_id", payment_id}, {"dispute_id", d.id}, {"reason", d.reason},
                                 {"recorded", recorded.value() ? "true" : "false"}});
  co_return Ok{};
}

awaitable<Status> CommandProcessor::apply_intent(const std::string& payment_id, const PaymentIntent& intent) {
  const ChargeOutcome outcome = charge_outcome(StripeResult<PaymentIntent>(intent));
  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    auto found = co_await runtime::run_blocking(deps_.blocking, [&] { return deps_.payments.find(payment_id); });
    if (!found) co_return std::move(found).error();
    if (!found.value()) {
      log::warn("Stripe reported on an unknown payment", {{"payment_id", payment_id}, {"intent", intent.id}});
      co_return Ok{};
    }
    const store::PaymentRecord payment = *found.value();
    const PaymentFacts facts{payment.id, payment.merchant_id, payment.stripe_payment_intent_id, payment.amount,
                             payment.currency};
    if (const auto mismatch = intent_mismatch(facts, intent, options_.stripe_live)) {
      note_mismatch(*mismatch, payment_id, intent.id);  // the payment stays as it is
      co_return Ok{};
    }
    if (outcome.kind != ChargeOutcome::Kind::settled || !awaits_charge_outcome(payment.status) ||
        !can_transition(payment.status, outcome.status)) {
      log::info("Stripe's report changes nothing", {{"payment_id", payment_id}, {"intent_status", intent.status},
                                                    {"status", to_string(payment.status)}});
      break;
    }
    auto progress = co_await record_outcome(payment, outcome);
    if (!progress) co_return std::move(progress).error();
    if (progress.value() == Progress::moved) break;
    // Another writer moved the payment first: the move is judged again against where it now is.
  }
  co_return co_await flush_outbox(payment_id);
}

awaitable<Status> CommandProcessor::apply_refund_event(const std::string& payment_id, const StripeEvent& event) {
  auto stripe_refund = stripe::parse_refund(event.object_json);
  if (!stripe_refund) {
    log::warn("Stripe refund event unreadable", {{"event_id", event.id}, {"error", stripe_refund.error().message}});
    co_return Ok{};
  }
  auto found = co_await runtime::run_blocking(deps_.blocking, [&] {
    return event.metadata_refund_id.empty() ? deps_.refunds.find_by_stripe_id(event.object_id)
                                            : deps_.refunds.find(event.metadata_refund_id);
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
    auto payment = co_await runtime::run_blocking(deps_.blocking, [&] { return deps_.payments.find(payment_id); });
    if (!payment) co_return std::move(payment).error();
    if (payment.value()) payment_intent = payment.value()->stripe_payment_intent_id;
  }
  if (auto applied = co_await apply_refund_progress(refund, stripe_refund.value(), payment_intent); !applied) {
    co_return applied;
  }
  co_return co_await flush_outbox(payment_id);
}

void CommandProcessor::note_mismatch(std::string_view reason, std::string_view payment_id,
                                     std::string_view stripe_id) {
  deps_.metrics
      .counter("payments_worker_stripe_mismatch_total", "Stripe objects refused for not matching their payment",
               "reason=\"" + std::string(reason) + "\"")
      .add();
  log::warn("Stripe reported an object that does not match its payment or refund; ignored",
            {{"payment_id", payment_id}, {"stripe_id", stripe_id}, {"reason", reason}});
}

awaitable<Status> CommandProcessor::check_pending_refunds(const std::string& payment_id) {
  auto refunds = co_await runtime::run_blocking(deps_.blocking, [&] { return deps_.refunds.for_payment(payment_id); });
  if (!refunds) co_return std::move(refunds).error();
  for (const auto& refund : refunds.value()) {
    if (refund.status != RefundStatus::pending || !refund.reserved || refund.stripe_refund_id.empty()) continue;
    if (auto refreshed = co_await refresh_refund(refund); !refreshed) co_return refreshed;
  }
  co_return co_await flush_outbox(payment_id);
}

}  // namespace payments::worker
