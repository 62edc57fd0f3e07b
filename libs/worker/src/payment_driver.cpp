#include "payment_driver.hpp"

#include "payments/core/log.hpp"
#include "payments/core/stripe_trust.hpp"
#include "payments/events/payment_events.hpp"
#include "payments/runtime/awaitable.hpp"
#include "owed_events.hpp"
#include "store_batch.hpp"
#include "stripe_mismatch.hpp"

namespace payments::worker {
namespace {

using boost::asio::awaitable;

constexpr int kMaxSteps = 8;     // status moves one command may drive; a guard against a loop, never reached
constexpr int kMaxAttempts = 4;  // compare-and-set races with a concurrent writer before giving up a report

}  // namespace

PaymentDriver::PaymentDriver(store::PaymentStore& payments, StripeGateway& stripe, MetricsRegistry& metrics,
                             boost::asio::thread_pool& blocking, Outbox& outbox, OtpIssuer& otp,
                             std::string environment, bool stripe_live)
    : payments_(payments),
      stripe_(stripe),
      metrics_(metrics),
      blocking_(blocking),
      outbox_(outbox),
      otp_(otp),
      environment_(std::move(environment)),
      stripe_live_(stripe_live),
      transitions_(
          blocking_,
          never_throwing<Result<bool>, store::TransitionWrite>(
              [&payments](const std::vector<store::TransitionWrite>& w) { return payments.apply_all(w); }),
          kMaxBatch) {}

awaitable<Status> PaymentDriver::drive(const std::string& payment_id, std::optional<store::PaymentRecord> known,
                                       Completion* completion) {
  for (int step = 0; step < kMaxSteps; ++step) {
    if (!known) {
      auto found = co_await runtime::run_blocking(blocking_, [&] { return payments_.find(payment_id); });
      if (!found) co_return std::move(found).error();
      if (!found.value()) co_return Error::internal("payment " + payment_id + " vanished while being processed");
      known = std::move(found).value();
    }
    const store::PaymentRecord payment = *known;
    known.reset();  // read again unless a step below knows where the payment now is

    if (payment.status == PaymentStatus::pending) {
      auto request = events::parse_payment_request(payment.request_json);
      if (!request) co_return Error::internal("stored payment request unreadable: " + request.error().message);
      if (request->otp) {
        if (auto started = co_await otp_.start(payment, *request->otp); !started) co_return started;
        continue;
      }
      // The recovery point before Stripe: the key is recorded first, so every later attempt sends it.
      store::Transition start{.payment_id = payment.id,
                              .expected_version = payment.version,
                              .to = PaymentStatus::processing,
                              .stripe_idempotency_key = charge_idempotency_key(key_owner(payment.merchant_id),
                                                                               payment.id)};
      auto applied = co_await write_transition(payment, start);
      if (!applied) co_return std::move(applied).error();
      if (applied.value()) known = store::after(payment, start);
      continue;
    }
    if (payment.status == PaymentStatus::processing) {
      auto progress = co_await charge(payment, completion);
      if (!progress) co_return std::move(progress).error();
      if (progress.value() == Progress::raced) continue;
      co_return Ok{};  // moved: settled and its event published; stuck: left processing for reconciliation
    }
    if (payment.status == PaymentStatus::otp_required) {
      if (auto delivered = co_await otp_.redeliver(payment); !delivered) co_return delivered;
    }
    break;  // otp_required, requires_action or final: nothing for a command to do but publish what is owed
  }
  co_return co_await outbox_.flush_outbox(payment_id);
}

awaitable<Result<PaymentDriver::Progress>> PaymentDriver::charge(const store::PaymentRecord& payment,
                                                                 Completion* completion) {
  auto request = events::parse_payment_request(payment.request_json);
  if (!request) co_return Error::internal("stored payment request unreadable: " + request.error().message);
  const auto& r = request.value();
  PaymentIntentRequest intent{.amount = r.amount,
                              .payment_method = r.payment_method,
                              .payment_id = payment.id,
                              .order_id = payment.order_id,
                              .description = r.description,
                              .metadata = r.metadata,
                              .idempotency_key = payment.stripe_idempotency_key.empty()
                                                     ? charge_idempotency_key(key_owner(payment.merchant_id),
                                                                              payment.id)
                                                     : payment.stripe_idempotency_key};
  // Whose payment it is travels to Stripe too, so a search by metadata or a look at the dashboard tells.
  intent.metadata.emplace_back("merchant_id", payment.merchant_id);
  if (!environment_.empty()) intent.metadata.emplace_back("environment", environment_);
  // A Stripe customer id goes to Stripe as the customer; any other caller-side id travels as metadata.
  if (r.customer_id) {
    if (r.customer_id->rfind("cus_", 0) == 0) {
      intent.customer = r.customer_id;
    } else {
      intent.metadata.emplace_back("customer_id", *r.customer_id);
    }
  }

  auto call = [this, &intent](std::function<void(StripeResult<PaymentIntent>)> done) {
    stripe_.create_payment_intent(intent, std::move(done));
  };
  StripeResult<PaymentIntent> result = co_await runtime::await_callback<StripeResult<PaymentIntent>>(std::move(call));
  const ChargeOutcome outcome = charge_outcome(result);
  if (outcome.kind == ChargeOutcome::Kind::settled) co_return co_await record_outcome(payment, outcome, completion);
  // The client retried as long as STRIPE_RETRY_DEADLINE_SECONDS allowed. Stripe may have charged: the payment
  // stays processing, with its idempotency key, for reconciliation to ask again. Never guessed.
  log::warn("payment outcome unresolved; left processing for reconciliation",
            {{"payment_id", payment.id}, {"reason", outcome.reason}});
  metrics_.counter("payments_worker_unresolved_total", "Charges left processing for reconciliation").add();
  co_return Progress::stuck;
}

awaitable<Result<PaymentDriver::Progress>> PaymentDriver::record_outcome(const store::PaymentRecord& payment,
                                                                         const ChargeOutcome& outcome,
                                                                         Completion* completion) {
  store::Transition t{.payment_id = payment.id,
                      .expected_version = payment.version,
                      .to = outcome.status,
                      .stripe_payment_intent_id = outcome.payment_intent_id,
                      .failure_code = outcome.failure_code,
                      .failure_decline_code = outcome.failure_decline_code,
                      .failure_message = outcome.failure_message,
                      .next_action_url = outcome.redirect_url,
                      .event = payment_event(outbox_.topics(), payment, outcome.status, outcome.payment_intent_id,
                                             {outcome.failure_code, outcome.failure_decline_code,
                                              outcome.failure_message})};
  auto applied = co_await write_transition(payment, t, completion);
  if (!applied) co_return std::move(applied).error();
  if (!applied.value()) co_return Progress::raced;
  metrics_
      .counter("payments_worker_charges_total", "Charge outcomes",
               "status=\"" + std::string(to_string(outcome.status)) + "\"")
      .add();
  log::info("payment settled", {{"payment_id", payment.id}, {"status", to_string(outcome.status)},
                                {"failure_code", outcome.failure_code}});
  // The event this write owes, published straight away; if that fails it stays in the outbox for the relay.
  if (t.event) {
    if (auto published = co_await outbox_.publish_owed(*t.event); !published) co_return std::move(published).error();
  }
  co_return Progress::moved;
}

awaitable<Result<bool>> PaymentDriver::write_transition(const store::PaymentRecord& from,
                                                        store::Transition transition, Completion* completion) {
  store::TransitionWrite write{from, std::move(transition), {}};
  if (completion) write.command = completion->command;
  Result<bool> applied = co_await transitions_.submit(std::move(write));
  if (completion && applied && applied.value()) completion->recorded = true;
  co_return applied;
}

awaitable<Status> PaymentDriver::apply_intent(const std::string& payment_id, const PaymentIntent& intent) {
  const ChargeOutcome outcome = charge_outcome(StripeResult<PaymentIntent>(intent));
  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    auto found = co_await runtime::run_blocking(blocking_, [&] { return payments_.find(payment_id); });
    if (!found) co_return std::move(found).error();
    if (!found.value()) {
      log::warn("Stripe reported on an unknown payment", {{"payment_id", payment_id}, {"intent", intent.id}});
      co_return Ok{};
    }
    const store::PaymentRecord payment = *found.value();
    const PaymentFacts facts{payment.id, payment.merchant_id, payment.stripe_payment_intent_id, payment.amount};
    if (const auto mismatch = intent_mismatch(facts, intent, stripe_live_)) {
      note_stripe_mismatch(metrics_, *mismatch, payment_id, intent.id);  // the payment stays as it is
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
  co_return co_await outbox_.flush_outbox(payment_id);
}

}  // namespace payments::worker
