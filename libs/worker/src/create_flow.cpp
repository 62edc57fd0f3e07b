#include "create_flow.hpp"

#include "payments/core/log.hpp"
#include "payments/events/dlq.hpp"
#include "payments/core/stripe_keys.hpp"
#include "payments/json/json.hpp"
#include "payments/runtime/awaitable.hpp"
#include "owed_events.hpp"
#include "store_batch.hpp"

namespace payments::worker {

using boost::asio::awaitable;
using Completion = PaymentDriver::Completion;

CreateFlow::CreateFlow(store::PaymentStore& payments, boost::asio::thread_pool& blocking, Outbox& outbox,
                       PaymentDriver& driver)
    : payments_(payments),
      blocking_(blocking),
      outbox_(outbox),
      driver_(driver),
      lookups_(
          blocking_,
          never_throwing<Result<store::CommandLookup>, std::pair<std::string, std::string>>(
              [&payments](const std::vector<std::pair<std::string, std::string>>& commands) {
                auto found = payments.lookup_all(commands);
                if (found) return std::vector<Result<store::CommandLookup>>(found->begin(), found->end());
                if (found.error().code != ErrorCode::internal || commands.size() == 1) {
                  return std::vector<Result<store::CommandLookup>>(commands.size(), found.error());
                }
                // One payment that cannot be read (e.g. a value that fails to decrypt) must not fail the commands
                // it was batched with: each is looked up alone instead.
                std::vector<Result<store::CommandLookup>> each;
                for (const auto& command : commands) {
                  auto one = payments.lookup_all({command});
                  if (one) {
                    each.emplace_back(std::move(one->front()));
                  } else {
                    each.emplace_back(std::move(one).error());
                  }
                }
                return each;
              }),
          kMaxBatch),
      creates_(
          blocking_,
          never_throwing<Result<store::CreateResult>, store::NewPayment>(
              [&payments](const std::vector<store::NewPayment>& rows) { return payments.create_all(rows); }),
          kMaxBatch) {}

awaitable<Status> CreateFlow::create_payment(const events::CommandEnvelope& command) {
  auto request = events::parse_payment_request(command.data_json);
  std::pair<std::string, std::string> ids{command.command_id, command.payment_id};
  Result<store::CommandLookup> lookup = co_await lookups_.submit(std::move(ids));
  if (!lookup) co_return std::move(lookup).error();
  if (lookup->processed) {
    // Applied already; after a crash between the outcome's commit and its event, the event is still owed.
    if (auto flushed = co_await outbox_.flush_outbox(command.payment_id); !flushed) co_return flushed;
    outbox_.count(command, "duplicate");
    co_return Ok{};
  }
  std::optional<store::PaymentRecord> known = std::move(lookup->payment);
  const std::string& merchant = outbox_.merchant_of(command);

  if (!request) {
    if (known) {
      // The payment is fine; this command is not. Do not fail a good payment over a bad duplicate.
      if (request.error().code == ErrorCode::raw_card_data) co_return co_await outbox_.finish(command, "rejected");
      co_return co_await outbox_.dead_letter_command(
          command, events::dlq_reason("invalid payment.create for an existing payment", request.error()));
    }
    co_return co_await reject(command, request.error());
  }

  if (!known) {
    auto record = store::pending_payment(command.payment_id, merchant, request.value(),
                                         events::payment_request_json(request.value()),
                                         events::request_fingerprint(request.value()));
    if (!request->otp) {
      // Written straight as processing with its Stripe idempotency key: the same recovery point as the
      // pending → processing write below, in the INSERT itself.
      record.status = PaymentStatus::processing;
      record.stripe_idempotency_key = charge_idempotency_key(driver_.key_owner(merchant), record.id);
    }
    store::NewPayment row{record, std::nullopt};
    Result<store::CreateResult> created = co_await creates_.submit(std::move(row));
    if (!created) co_return std::move(created).error();
    if (created->outcome == store::CreateOutcome::created) known = std::move(record);
  } else if (known->merchant_id != merchant || known->request_hash != events::request_fingerprint(request.value())) {
    // The same words for another merchant's payment as for a different one of this merchant's: no oracle.
    co_return co_await outbox_.dead_letter_command(command, "payment_id already belongs to a different payment");
  }

  Completion completion{{command.command_id, command.payment_id, std::string(to_string(command.type)), "applied"}};
  auto driven = co_await driver_.drive(command.payment_id, std::move(known), &completion);
  if (!driven) co_return driven;
  co_return co_await outbox_.finish(command, "applied", completion.recorded);
}

events::OutgoingMessage CreateFlow::failed_event(const events::CommandEnvelope& command, std::string_view step,
                                                 events::Failure failure, bool echo_request) const {
  events::PaymentEvent e;
  e.event_id = events::event_id_for(command.payment_id, std::string(step) + "/" + command.command_id);
  e.type = events::event_type::kFailed;
  e.merchant_id = outbox_.merchant_of(command);
  e.payment_id = command.payment_id;
  e.status = "failed";
  e.occurred_at = rfc3339_now();
  e.failure = std::move(failure);
  if (echo_request) {
    // Echo what identifies the order back to its producer, when those fields have the right types.
    if (auto data = json::parse(command.data_json)) {
      json::ObjectReader reader(data.value());
      if (auto order = reader.string("order_id")) e.order_id = order.value().substr(0, 255);
      events::EchoedAmount echoed;
      if (auto amount = reader.integer("amount")) echoed.minor = amount.value();
      if (auto currency = reader.string("currency"); currency && Currency::from_code(currency.value())) {
        echoed.currency = currency.value();
      }
      e.amount = std::move(echoed);
    }
  }
  return {outbox_.topics().failed, command.payment_id, events::serialize(e), {}};
}

awaitable<Status> CreateFlow::reject(const events::CommandEnvelope& command, const Error& error) {
  std::string message = error.message;
  if (!error.field.empty() && message.rfind(error.field, 0) != 0) message = error.field + ": " + message;
  events::Failure failure{std::string(to_string(error.code)), "", message};
  // A command that held a card number is not echoed at all.
  auto event = failed_event(command, "rejected", std::move(failure), error.code != ErrorCode::raw_card_data);
  if (auto delivered = co_await outbox_.publish(std::move(event)); !delivered) co_return delivered;
  log::info("payment command rejected", {{"payment_id", command.payment_id}, {"code", to_string(error.code)},
                                         {"field", error.field}});
  co_return co_await outbox_.finish(command, "rejected");
}

awaitable<void> CreateFlow::fail_unasked(const events::CommandEnvelope& command) {
  // Best effort, once: the DLQ record is written and the offset moves on whatever happens here. What could
  // not be done is logged; reconciliation republishes a payment left pending.
  auto found = co_await runtime::run_blocking(blocking_,
                                              [&] { return payments_.find(command.payment_id); });
  if (!found) {
    log::warn("given-up payment not read; left as it is",
              {{"payment_id", command.payment_id}, {"error", found.error().message}});
    co_return;
  }
  const std::string message = "the payment could not be processed";
  if (!found.value()) {
    // No payment row: its producer still learns the outcome.
    auto event = failed_event(command, "gave-up", {"internal_error", "", message}, true);
    if (auto told = co_await outbox_.publish(std::move(event)); !told) {
      log::warn("given-up payment's failure not published", {{"payment_id", command.payment_id}});
    }
    co_return;
  }
  const store::PaymentRecord& payment = *found.value();
  // Another merchant's payment: not this command's.
  if (payment.merchant_id != outbox_.merchant_of(command)) co_return;
  if (payment.status != PaymentStatus::pending && payment.status != PaymentStatus::otp_required) {
    // processing or requires_action: Stripe may have been asked; reconciliation finds out. Final: nothing owed.
    co_return;
  }
  store::Transition failed{.payment_id = payment.id,
                           .expected_version = payment.version,
                           .to = PaymentStatus::failed,
                           .failure_code = "internal_error",
                           .failure_message = message,
                           .event = payment_event(outbox_.topics(), payment, PaymentStatus::failed, "",
                                                  {"internal_error", "", message})};
  auto applied = co_await driver_.write_transition(payment, failed);
  if (!applied || !applied.value()) {
    log::warn("given-up payment not failed; left for reconciliation", {{"payment_id", payment.id}});
    co_return;
  }
  log::info("payment failed: its command was given up before Stripe was asked", {{"payment_id", payment.id}});
  if (auto published = co_await outbox_.publish_owed(*failed.event); !published) {
    log::warn("given-up payment's event left to the outbox relay", {{"payment_id", payment.id}});
  }
}

}  // namespace payments::worker
