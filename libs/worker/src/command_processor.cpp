#include "payments/worker/command_processor.hpp"

#include "create_flow.hpp"
#include "otp_flow.hpp"
#include "otp_issuer.hpp"
#include "outbox.hpp"
#include "payment_driver.hpp"
#include "payments/runtime/awaitable.hpp"
#include "reconcile_flow.hpp"
#include "refund_flow.hpp"
#include "stripe_event_flow.hpp"
#include "stripe_refunds.hpp"

namespace payments::worker {

using boost::asio::awaitable;

// Built in dependency order: the outbox first, which every flow uses; the flows that others call next.
struct CommandProcessor::Flows {
  Flows(const ProcessorDependencies& d, const ProcessorOptions& o)
      : outbox(d.payments, d.producer, d.blocking, d.metrics, d.topics, o.default_merchant),
        otp_issuer(d.otps, d.otp_hasher, d.random, d.clock, o.otp_policy, d.blocking, outbox),
        driver(d.payments, d.stripe, d.metrics, d.blocking, outbox, otp_issuer, o.environment, o.stripe_live),
        stripe_refunds(d.refunds, d.stripe, d.metrics, d.blocking, d.topics),
        create(d.payments, d.blocking, outbox, driver),
        refund(d.payments, d.refunds, d.blocking, o.environment, outbox, stripe_refunds),
        otp(d.payments, d.otps, d.otp_hasher, d.random, d.clock, o.otp_policy, o.environment, d.blocking, outbox,
            otp_issuer, driver),
        stripe_events(d.payments, d.refunds, d.metrics, d.blocking, outbox, driver, stripe_refunds),
        reconciliation(d.payments, d.refunds, d.stripe, d.random, d.clock, d.metrics, o.reconcile, d.blocking, outbox,
                       driver, stripe_refunds),
        payments(d.payments),
        blocking(d.blocking) {}

  Outbox outbox;
  OtpIssuer otp_issuer;
  PaymentDriver driver;
  StripeRefunds stripe_refunds;
  CreateFlow create;
  RefundFlow refund;
  OtpFlow otp;
  StripeEventFlow stripe_events;
  Reconciliation reconciliation;
  // For the processed mark every command but payment.create is checked against first.
  store::PaymentStore& payments;
  boost::asio::thread_pool& blocking;
};

CommandProcessor::CommandProcessor(ProcessorDependencies dependencies, ProcessorOptions options)
    : flows_(std::make_unique<Flows>(dependencies, options)) {}

CommandProcessor::~CommandProcessor() = default;

awaitable<Status> CommandProcessor::process(events::CommandEnvelope command) {
  Flows& f = *flows_;
  try {
    // A payment.create reads its processed mark together with its payment.
    if (command.type == events::CommandType::payment_create) co_return co_await f.create.create_payment(command);
    auto processed = co_await runtime::run_blocking(f.blocking,
                                                    [&] { return f.payments.is_processed(command.command_id); });
    if (!processed) co_return std::move(processed).error();
    if (processed.value()) {
      f.outbox.count(command, "duplicate");
      co_return Ok{};
    }
    switch (command.type) {
      case events::CommandType::payment_create: co_return co_await f.create.create_payment(command);
      case events::CommandType::refund_create: co_return co_await f.refund.create_refund(command);
      case events::CommandType::payment_otp_send: co_return co_await f.otp.send(command);
      case events::CommandType::payment_otp_verify: co_return co_await f.otp.verify(command);
      case events::CommandType::stripe_event: co_return co_await f.stripe_events.apply_stripe_event(command);
    }
    co_return co_await f.outbox.dead_letter_command(
        command, "command type " + std::string(to_string(command.type)) + " is not handled by this worker version");
  } catch (const std::exception& e) {
    // A fault of this code, not of the command's dependencies: the failure policy retries it a few times.
    co_return Error::internal(std::string("command processing threw: ") + e.what());
  }
}

awaitable<Status> CommandProcessor::give_up(const events::CommandEnvelope& command, const Error& cause, int rounds) {
  if (auto sent = co_await flows_->outbox.dead_letter_given_up(command, cause, rounds); !sent) co_return sent;
  if (command.type == events::CommandType::payment_create) co_await flows_->create.fail_unasked(command);
  co_return Ok{};
}

awaitable<int> CommandProcessor::expire_due_otps() { co_return co_await flows_->otp.expire_due(); }

awaitable<int> CommandProcessor::reconcile_once() { co_return co_await flows_->reconciliation.reconcile_once(); }

awaitable<Status> CommandProcessor::dead_letter(events::IncomingMessage message, std::string reason, ErrorCode code) {
  co_return co_await flows_->outbox.dead_letter(std::move(message), std::move(reason), code);
}

}  // namespace payments::worker
