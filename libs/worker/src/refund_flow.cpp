// refund.create: accept (reserve) the refund against its payment, refund at Stripe with a key derived from
// the refund, settle it with the event it owes. Every step is idempotent, as for payments.
#include "payments/core/log.hpp"
#include "payments/core/stripe_trust.hpp"
#include "payments/events/payment_events.hpp"
#include "payments/runtime/awaitable.hpp"
#include "payments/worker/command_processor.hpp"
#include "owed_events.hpp"
#include "payments/core/stripe_keys.hpp"

namespace payments::worker {
namespace {

using boost::asio::awaitable;

}  // namespace

awaitable<Status> CommandProcessor::create_refund(const events::CommandEnvelope& command) {
  auto request = events::parse_refund_request(command.data_json, true);
  if (!request) {
    // Without a usable refund_id there is no refund to record; tell the producer on payment-refunded.
    events::PaymentEvent e;
    e.event_id = events::event_id_for(command.payment_id, "refund-rejected/" + command.command_id);
    e.type = events::event_type::kRefundFailed;
    e.merchant_id = merchant_of(command);
    e.payment_id = command.payment_id;
    e.status = "failed";
    e.occurred_at = rfc3339_now();
    std::string message = request.error().message;
    if (!request.error().field.empty()) message = request.error().field + " " + message;
    e.failure = events::Failure{std::string(to_string(request.error().code)), "", message};
    events::OutgoingMessage out{deps_.topics.refunded, command.payment_id, events::serialize(e), {}};
    if (auto delivered = co_await publish(std::move(out)); !delivered) co_return delivered;
    co_return co_await finish(command, "rejected");
  }
  const RefundCommandData& r = request.value();

  store::RefundRecord proposed;
  proposed.id = r.refund_id;
  proposed.payment_id = command.payment_id;
  proposed.merchant_id = merchant_of(command);
  proposed.requested_amount = r.amount;
  proposed.reason = r.reason;
  proposed.request_hash = events::refund_fingerprint(command.payment_id, r);
  proposed.stripe_idempotency_key =
      refund_idempotency_key(key_owner(proposed.merchant_id), command.payment_id, r.refund_id);
  {
    auto payment = co_await runtime::run_blocking(deps_.blocking,
                                                  [&] { return deps_.payments.find(command.payment_id); });
    if (!payment) co_return std::move(payment).error();
    // Another merchant's payment is no payment: the refund is refused as payment_not_found.
    if (payment.value() && payment.value()->merchant_id == proposed.merchant_id) {
      proposed.currency = payment.value()->currency;
    }
  }

  const auto topics = deps_.topics;
  auto on_rejected = [topics](const store::PaymentRecord& p, const store::RefundRecord& refund) {
    return refund_event(topics, p, refund);
  };
  auto reserved = co_await runtime::run_blocking(deps_.blocking,
                                                 [&] { return deps_.refunds.reserve(proposed, on_rejected); });
  if (!reserved) co_return std::move(reserved).error();
  const store::RefundRecord refund = reserved->refund;

  if (refund.request_hash != proposed.request_hash || refund.merchant_id != proposed.merchant_id) {
    co_return co_await dead_letter_command(command, "refund_id already belongs to a different refund");
  }
  if (refund.failure_code == "payment_not_found" && reserved->newly_decided) {
    store::PaymentRecord none;  // there is no payment: the event says so through its failure code
    none.id = command.payment_id;
    none.merchant_id = proposed.merchant_id;
    none.status = PaymentStatus::failed;
    auto event = refund_event(deps_.topics, none, refund);
    events::OutgoingMessage out{event->topic, command.payment_id, event->payload, {}};
    if (auto delivered = co_await publish(std::move(out)); !delivered) co_return delivered;
  }
  if (refund.status == RefundStatus::pending && refund.reserved) {
    auto payment = co_await runtime::run_blocking(deps_.blocking,
                                                  [&] { return deps_.payments.find(command.payment_id); });
    if (!payment) co_return std::move(payment).error();
    if (!payment.value()) co_return Error::internal("the refunded payment " + command.payment_id + " vanished");
    if (auto refunded = co_await refund_at_stripe(*payment.value(), refund); !refunded) co_return refunded;
  }
  if (auto flushed = co_await flush_outbox(command.payment_id); !flushed) co_return flushed;
  log::info("refund processed", {{"payment_id", command.payment_id}, {"refund_id", refund.id}});
  co_return co_await finish(command, "applied");
}

awaitable<Status> CommandProcessor::refund_at_stripe(const store::PaymentRecord& payment,
                                                     const store::RefundRecord& refund) {
  payments::RefundRequest request{.payment_intent = payment.stripe_payment_intent_id,
                                  .amount = refund.amount,
                                  .reason = refund.reason,
                                  .metadata = {{"payment_id", payment.id},
                                               {"refund_id", refund.id},
                                               {"merchant_id", payment.merchant_id}},
                                  .idempotency_key = refund.stripe_idempotency_key};
  auto call = [this, &request](std::function<void(StripeResult<Refund>)> done) {
    deps_.stripe.create_refund(request, std::move(done));
  };
  StripeResult<Refund> result = co_await runtime::await_callback<StripeResult<Refund>>(std::move(call));
  if (result) co_return co_await apply_refund_progress(refund, result.value(), payment.stripe_payment_intent_id);
  const StripeError& e = result.error();
  if (e.kind == StripeFailureKind::declined || e.kind == StripeFailureKind::invalid_request ||
      e.kind == StripeFailureKind::not_found) {
    const RefundSettlement refused{RefundStatus::failed, "", e.code.empty() ? "refund_failed" : e.code, e.message};
    co_return co_await settle_refund(refund, refused);
  }
  // The client retried as long as STRIPE_RETRY_DEADLINE_SECONDS allowed; the refund stays pending, with its
  // idempotency key, for reconciliation.
  log::warn("refund outcome unresolved; left pending for reconciliation",
            {{"refund_id", refund.id}, {"reason", std::string(to_string(e.kind)) + ": " + e.message}});
  co_return Ok{};
}

awaitable<Status> CommandProcessor::apply_refund_progress(const store::RefundRecord& refund, const Refund& stripe_refund,
                                                        std::string_view payment_intent) {
  const RefundFacts facts{refund.stripe_refund_id, payment_intent, refund.amount, refund.currency};
  if (const auto mismatch = refund_mismatch(facts, stripe_refund)) {
    note_mismatch(*mismatch, refund.payment_id, stripe_refund.id);  // the refund stays as it is
    co_return Ok{};
  }
  switch (classify_refund(stripe_refund)) {
    case RefundProgress::succeeded: {
      const RefundSettlement done{RefundStatus::succeeded, stripe_refund.id, "", ""};
      co_return co_await settle_refund(refund, done);
    }
    case RefundProgress::failed: {
      const RefundSettlement failed{RefundStatus::failed, stripe_refund.id, "refund_failed",
                                    stripe_refund.failure_reason.empty() ? "Stripe could not refund the payment"
                                                                         : stripe_refund.failure_reason};
      co_return co_await settle_refund(refund, failed);
    }
    case RefundProgress::pending: {
      // Stripe finishes it later; its webhook (or reconciliation) settles it.
      const std::string stripe_id = stripe_refund.id;
      auto noted = co_await runtime::run_blocking(
          deps_.blocking, [&] { return deps_.refunds.note_stripe_refund(refund.id, stripe_id); });
      if (!noted) co_return std::move(noted).error();
      co_return Ok{};
    }
  }
  co_return Ok{};
}

awaitable<Status> CommandProcessor::settle_refund(const store::RefundRecord& refund,
                                                const RefundSettlement& settlement) {
  const auto topics = deps_.topics;
  auto event = [topics](const store::PaymentRecord& p, const store::RefundRecord& r) {
    return refund_event(topics, p, r);
  };
  auto settled = co_await runtime::run_blocking(deps_.blocking, [&] {
    return deps_.refunds.settle(refund.id, settlement.outcome, settlement.stripe_refund_id, settlement.failure_code,
                                settlement.failure_message, event);
  });
  if (!settled) co_return std::move(settled).error();
  if (settled.value()) {
    log::info("refund settled", {{"refund_id", refund.id}, {"status", to_string(settlement.outcome)},
                                 {"failure_code", settlement.failure_code}});
  }
  co_return Ok{};
}

}  // namespace payments::worker
