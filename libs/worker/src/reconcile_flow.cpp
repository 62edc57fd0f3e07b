#include "reconcile_flow.hpp"

#include "payments/core/ids.hpp"
#include "payments/core/log.hpp"
#include "payments/core/stripe_keys.hpp"
#include "payments/core/time.hpp"
#include "payments/runtime/awaitable.hpp"

namespace payments::worker {
namespace {

using boost::asio::awaitable;

// Stripe keeps an idempotency key for at least 24 hours; past that, a request sent again with it could charge
// a second time, so an older payment is looked up by its metadata instead.
constexpr auto kIdempotencyKeyLifetime = std::chrono::hours(23);

// A row reconciliation could not finish is looked at again at its next check (claim_for_check's backoff).
void note_failure(const Status& step) {
  if (!step) log::warn("reconciliation step failed; tried again later", {{"error", step.error().message}});
}

bool older_than(const std::string& rfc3339, std::chrono::system_clock::duration age,
                std::chrono::system_clock::time_point now) {
  const auto at = parse_rfc3339(rfc3339);
  return at && now - *at > age;
}

}  // namespace

Reconciliation::Reconciliation(store::PaymentStore& payments, store::RefundStore& refunds, StripeGateway& stripe,
                               RandomSource& random, const Clock& clock, MetricsRegistry& metrics,
                               ReconcileOptions options, boost::asio::thread_pool& blocking, Outbox& outbox,
                               PaymentDriver& driver, StripeRefunds& stripe_refunds)
    : payments_(payments), refunds_(refunds), stripe_(stripe), random_(random), clock_(clock), metrics_(metrics),
      options_(options), blocking_(blocking), outbox_(outbox), driver_(driver), stripe_refunds_(stripe_refunds) {}

awaitable<int> Reconciliation::reconcile_once() {
  const ReconcileOptions& o = options_;
  int looked_at = 0;
  try {
    auto claim = [this, &o](PaymentStatus status, std::chrono::seconds min_age) {
      return runtime::run_blocking(blocking_, [this, &o, status, min_age] {
        return payments_.claim_for_check(status, min_age, o.batch, o.first_retry, o.max_retry);
      });
    };
    auto processing = co_await claim(PaymentStatus::processing, o.unsettled_after);
    if (processing) {
      for (const auto& payment : processing.value()) {
        ++looked_at;
        note_failure(co_await reconcile_processing(payment));
      }
    }
    auto abandoned = co_await claim(PaymentStatus::requires_action, o.requires_action_timeout);
    if (abandoned) {
      for (const auto& payment : abandoned.value()) {
        ++looked_at;
        note_failure(co_await expire_requires_action(payment));
      }
    }
    auto unqueued = co_await claim(PaymentStatus::pending, o.unsettled_after);
    if (unqueued) {
      for (const auto& payment : unqueued.value()) {
        ++looked_at;
        note_failure(co_await republish(payment.id, payment.merchant_id, events::CommandType::payment_create,
                                        payment.request_json));
      }
    }
    auto refunds = co_await runtime::run_blocking(blocking_, [this, &o] {
      return refunds_.claim_for_check(o.unsettled_after, o.batch, o.first_retry, o.max_retry);
    });
    if (refunds) {
      for (const auto& refund : refunds.value()) {
        ++looked_at;
        note_failure(co_await reconcile_refund(refund));
      }
    }
  } catch (const std::exception& e) {
    log::error("reconciliation round failed", {{"error", e.what()}});
  }
  if (looked_at > 0) {
    metrics_.counter("payments_worker_reconciled_total", "Payments and refunds reconciliation looked at")
        .add(looked_at);
  }
  co_return looked_at;
}

awaitable<Status> Reconciliation::reconcile_processing(const store::PaymentRecord& payment) {
  log::info("reconciling a payment left processing", {{"payment_id", payment.id}});
  if (!payment.stripe_payment_intent_id.empty()) {
    StripeResult<PaymentIntent> intent = co_await retrieve_intent(payment.stripe_payment_intent_id);
    if (!intent) co_return Ok{};  // asked again at the next check
    co_return co_await driver_.apply_intent(payment.id, intent.value());
  }
  if (!older_than(payment.updated_at, kIdempotencyKeyLifetime, clock_.now())) {
    // No answer was recorded. Sent again with the same idempotency key, the request returns the first one's
    // result if it reached Stripe, or runs now if it never did: either way, one charge at most.
    auto progress = co_await driver_.charge(payment);
    if (!progress) co_return std::move(progress).error();
    co_return Ok{};
  }
  auto call = [this, id = payment.id](std::function<void(StripeResult<std::vector<PaymentIntent>>)> done) {
    stripe_.search_payment_intents_by_metadata("payment_id", id, std::move(done));
  };
  auto found = co_await runtime::await_callback<StripeResult<std::vector<PaymentIntent>>>(std::move(call));
  if (!found) co_return Ok{};
  if (found.value().size() != 1) {
    // None: the charge never reached Stripe; several: not ours to pick. An operator decides either way.
    log::error("payment processing for over a day; Stripe holds " + std::to_string(found.value().size()) +
                   " intents for it; an operator must decide",
               {{"payment_id", payment.id}});
    metrics_.counter("payments_worker_unresolvable_total", "Payments reconciliation cannot decide").add();
    co_return Ok{};
  }
  co_return co_await driver_.apply_intent(payment.id, found.value().front());
}

awaitable<Status> Reconciliation::expire_requires_action(const store::PaymentRecord& payment) {
  // The customer may have finished after all (and the webhook been lost): Stripe's word first.
  StripeResult<PaymentIntent> now = co_await retrieve_intent(payment.stripe_payment_intent_id);
  if (!now) co_return Ok{};
  if (classify_payment_intent(now.value()) != IntentProgress::requires_action) {
    co_return co_await driver_.apply_intent(payment.id, now.value());
  }

  auto cancel = [this, &payment](std::function<void(StripeResult<PaymentIntent>)> done) {
    stripe_.cancel_payment_intent(payment.stripe_payment_intent_id, "abandoned",
                                       cancel_idempotency_key(driver_.key_owner(payment.merchant_id), payment.id),
                                       std::move(done));
  };
  StripeResult<PaymentIntent> canceled =
      co_await runtime::await_callback<StripeResult<PaymentIntent>>(std::move(cancel));
  if (!canceled) {
    // E.g. the customer finished a moment ago and the intent can no longer be canceled: the next check sees it.
    log::warn("abandoned payment not canceled at Stripe",
              {{"payment_id", payment.id}, {"error", canceled.error().message}});
    co_return Ok{};
  }
  // Stripe's canceled intent (cancellation_reason abandoned) says why, whether this or its webhook lands first.
  log::info("abandoned payment canceled at Stripe", {{"payment_id", payment.id}});
  co_return co_await driver_.apply_intent(payment.id, canceled.value());
}

awaitable<StripeResult<PaymentIntent>> Reconciliation::retrieve_intent(std::string payment_intent_id) {
  auto call = [this, &payment_intent_id](std::function<void(StripeResult<PaymentIntent>)> done) {
    stripe_.retrieve_payment_intent(payment_intent_id, std::move(done));
  };
  StripeResult<PaymentIntent> intent = co_await runtime::await_callback<StripeResult<PaymentIntent>>(std::move(call));
  co_return intent;
}

awaitable<Status> Reconciliation::republish(const std::string& payment_id, const std::string& merchant_id,
                                            events::CommandType type, std::string data_json) {
  events::CommandEnvelope command;
  command.command_id = new_uuid_v4(random_);
  command.type = type;
  command.payment_id = payment_id;
  command.merchant_id = merchant_id;
  command.issued_at = rfc3339_now();
  command.data_json = std::move(data_json);
  events::OutgoingMessage message{outbox_.topics().commands, payment_id, events::serialize_command(command), {}};
  if (auto delivered = co_await outbox_.publish(std::move(message)); !delivered) co_return delivered;
  // Harmless if the first command was only late: applying the same request twice has one effect.
  log::warn("re-published a command that never reached Kafka",
            {{"payment_id", payment_id}, {"type", to_string(type)}});
  metrics_.counter("payments_worker_republished_total", "Commands recorded but never queued, published again")
      .add();
  co_return Ok{};
}

awaitable<Status> Reconciliation::reconcile_refund(const store::RefundRecord& refund) {
  if (!refund.reserved) {
    const RefundCommandData data{refund.id, refund.requested_amount, refund.reason};
    co_return co_await republish(refund.payment_id, refund.merchant_id, events::CommandType::refund_create,
                                 events::refund_request_json(data));
  }
  log::info("reconciling a pending refund", {{"refund_id", refund.id}});
  if (!refund.stripe_refund_id.empty()) {
    if (auto refreshed = co_await stripe_refunds_.refresh_refund(refund); !refreshed) co_return refreshed;
    co_return co_await outbox_.flush_outbox(refund.payment_id);
  }
  auto payment = co_await runtime::run_blocking(blocking_, [&] { return payments_.find(refund.payment_id); });
  if (!payment) co_return std::move(payment).error();
  if (!payment.value()) co_return Error::internal("the refunded payment " + refund.payment_id + " vanished");
  // As for charges: the same idempotency key returns the first request's refund, or makes it now.
  auto refunded = co_await stripe_refunds_.refund_at_stripe(*payment.value(), refund);
  if (!refunded) co_return refunded;
  co_return co_await outbox_.flush_outbox(refund.payment_id);
}

}  // namespace payments::worker
