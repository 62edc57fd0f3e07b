#include "stripe_refunds.hpp"

#include "payments/core/log.hpp"
#include "payments/core/stripe_trust.hpp"
#include "payments/runtime/awaitable.hpp"
#include "owed_events.hpp"
#include "stripe_mismatch.hpp"

namespace payments::worker {

using boost::asio::awaitable;

StripeRefunds::StripeRefunds(store::RefundStore& refunds, StripeGateway& stripe, MetricsRegistry& metrics,
                             boost::asio::thread_pool& blocking, events::TopicNames topics)
    : refunds_(refunds), stripe_(stripe), metrics_(metrics), blocking_(blocking), topics_(std::move(topics)) {}

awaitable<Status> StripeRefunds::refund_at_stripe(const store::PaymentRecord& payment,
                                                  const store::RefundRecord& refund) {
  // Never a request without an amount, which Stripe reads as "refund everything not yet refunded". Only a reserved
  // refund comes here, and a reserved refund has its amount in its payment's currency.
  if (!refund.amount) co_return Error::internal("refund " + refund.id + " has no amount to send to Stripe");
  payments::RefundRequest request{.payment_intent = payment.stripe_payment_intent_id,
                                  .amount = refund.amount,
                                  .reason = refund.reason,
                                  .metadata = {{"payment_id", payment.id},
                                               {"refund_id", refund.id},
                                               {"merchant_id", payment.merchant_id}},
                                  .idempotency_key = refund.stripe_idempotency_key};
  auto call = [this, &request](std::function<void(StripeResult<Refund>)> done) {
    stripe_.create_refund(request, std::move(done));
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

awaitable<Status> StripeRefunds::apply_refund_progress(const store::RefundRecord& refund, const Refund& stripe_refund,
                                                       std::string_view payment_intent) {
  // Only a reserved refund reaches Stripe, and a reserved refund has its payment's currency.
  if (!refund.amount) co_return Error::internal("refund " + refund.id + " has no amount to compare Stripe's with");
  const RefundFacts facts{refund.stripe_refund_id, payment_intent, *refund.amount};
  if (const auto mismatch = refund_mismatch(facts, stripe_refund)) {
    note_stripe_mismatch(metrics_, *mismatch, refund.payment_id, stripe_refund.id);  // the refund stays as it is
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
          blocking_, [&] { return refunds_.note_stripe_refund(refund.id, stripe_id); });
      if (!noted) co_return std::move(noted).error();
      co_return Ok{};
    }
  }
  co_return Ok{};
}

awaitable<Status> StripeRefunds::settle_refund(const store::RefundRecord& refund,
                                               const RefundSettlement& settlement) {
  const auto topics = topics_;
  auto event = [topics](const store::PaymentRecord& p, const store::RefundRecord& r) {
    return refund_event(topics, p, r);
  };
  auto settled = co_await runtime::run_blocking(blocking_, [&] {
    return refunds_.settle(refund.id, settlement.outcome, settlement.stripe_refund_id, settlement.failure_code,
                                settlement.failure_message, event);
  });
  if (!settled) co_return std::move(settled).error();
  if (settled.value()) {
    log::info("refund settled", {{"refund_id", refund.id}, {"status", to_string(settlement.outcome)},
                                 {"failure_code", settlement.failure_code}});
  }
  co_return Ok{};
}

awaitable<Status> StripeRefunds::refresh_refund(const store::RefundRecord& refund) {
  auto call = [this, &refund](std::function<void(StripeResult<Refund>)> done) {
    stripe_.retrieve_refund(refund.stripe_refund_id, std::move(done));
  };
  StripeResult<Refund> found = co_await runtime::await_callback<StripeResult<Refund>>(std::move(call));
  if (!found) {
    log::warn("refund not retrieved; reconciliation will ask again",
              {{"refund_id", refund.id}, {"error", found.error().message}});
    co_return Ok{};
  }
  // Asked by its own Stripe id, which the match rules check; the payment's intent is not needed.
  co_return co_await apply_refund_progress(refund, found.value(), {});
}

}  // namespace payments::worker
