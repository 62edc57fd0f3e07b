#include "payments/worker/command_processor.hpp"

#include "payments/core/card_number.hpp"
#include "payments/core/charge_outcome.hpp"
#include "payments/core/log.hpp"
#include "payments/core/stripe_keys.hpp"
#include "payments/events/dlq.hpp"
#include "payments/events/payment_events.hpp"
#include "payments/events/publish.hpp"
#include "payments/events/topics.hpp"
#include "payments/json/json.hpp"
#include "payments/runtime/awaitable.hpp"
#include "owed_events.hpp"

namespace payments::worker {
namespace {

using boost::asio::awaitable;

constexpr int kMaxSteps = 8;  // status moves one command may drive; a guard against a loop, never reached
// Writes per group commit: enough to share one commit among a busy second's worth, few enough that one
// transaction holds its row locks briefly.
constexpr std::size_t kMaxBatch = 128;

// A batch's store call, made unable to throw: Batcher runs it on a pool thread, where an exception would end
// the process. One that escapes the store (a conversion, an allocation) fails each command of the batch as
// internal, which the failure policy retries a few times and then gives up.
template <typename Outcome, typename Item, typename Flush>
auto never_throwing(Flush flush) {
  return [flush = std::move(flush)](const std::vector<Item>& items) -> std::vector<Outcome> {
    try {
      return flush(items);
    } catch (const std::exception& e) {
      return std::vector<Outcome>(items.size(), Outcome(Error::internal(std::string("store call threw: ") + e.what())));
    }
  };
}

}  // namespace

CommandProcessor::CommandProcessor(ProcessorDependencies dependencies, ProcessorOptions options)
    : deps_(dependencies),
      options_(options),
      lookups_(
          deps_.blocking,
          never_throwing<Result<store::CommandLookup>, std::pair<std::string, std::string>>(
              [&payments = deps_.payments](const std::vector<std::pair<std::string, std::string>>& commands) {
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
          deps_.blocking,
          never_throwing<Result<store::CreateResult>, store::NewPayment>(
              [&payments = deps_.payments](const std::vector<store::NewPayment>& rows) {
                return payments.create_all(rows);
              }),
          kMaxBatch),
      transitions_(
          deps_.blocking,
          never_throwing<Result<bool>, store::TransitionWrite>(
              [&payments = deps_.payments](const std::vector<store::TransitionWrite>& w) {
                return payments.apply_all(w);
              }),
          kMaxBatch),
      published_(
          deps_.blocking,
          never_throwing<Status, std::string>([&payments = deps_.payments](const std::vector<std::string>& ids) {
            return std::vector<Status>(ids.size(), payments.mark_published(ids));
          }),
          kMaxBatch) {}

awaitable<Status> CommandProcessor::publish(events::OutgoingMessage message) {
  co_return co_await events::publish(deps_.producer, std::move(message));
}

awaitable<Status> CommandProcessor::process(events::CommandEnvelope command) {
  try {
    // A payment.create reads its processed mark together with its payment.
    if (command.type == events::CommandType::payment_create) co_return co_await create_payment(command);
    auto processed = co_await runtime::run_blocking(deps_.blocking,
                                                    [&] { return deps_.payments.is_processed(command.command_id); });
    if (!processed) co_return std::move(processed).error();
    if (processed.value()) {
      count(command, "duplicate");
      co_return Ok{};
    }
    switch (command.type) {
      case events::CommandType::payment_create: co_return co_await create_payment(command);
      case events::CommandType::refund_create: co_return co_await create_refund(command);
      case events::CommandType::payment_otp_send: co_return co_await send_otp(command);
      case events::CommandType::payment_otp_verify: co_return co_await verify_otp_code(command);
      case events::CommandType::stripe_event: co_return co_await apply_stripe_event(command);
    }
    co_return co_await dead_letter_command(command, "command type " + std::string(to_string(command.type)) +
                                                        " is not handled by this worker version");
  } catch (const std::exception& e) {
    // A fault of this code, not of the command's dependencies: the failure policy retries it a few times.
    co_return Error::internal(std::string("command processing threw: ") + e.what());
  }
}

awaitable<Status> CommandProcessor::create_payment(const events::CommandEnvelope& command) {
  auto request = events::parse_payment_request(command.data_json);
  std::pair<std::string, std::string> ids{command.command_id, command.payment_id};
  Result<store::CommandLookup> lookup = co_await lookups_.submit(std::move(ids));
  if (!lookup) co_return std::move(lookup).error();
  if (lookup->processed) {
    // Applied already; after a crash between the outcome's commit and its event, the event is still owed.
    if (auto flushed = co_await flush_outbox(command.payment_id); !flushed) co_return flushed;
    count(command, "duplicate");
    co_return Ok{};
  }
  std::optional<store::PaymentRecord> known = std::move(lookup->payment);
  const std::string& merchant = merchant_of(command);

  if (!request) {
    if (known) {
      // The payment is fine; this command is not. Do not fail a good payment over a bad duplicate.
      if (request.error().code == ErrorCode::raw_card_data) co_return co_await finish(command, "rejected");
      co_return co_await dead_letter_command(
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
      record.stripe_idempotency_key = charge_idempotency_key(key_owner(merchant), record.id);
    }
    store::NewPayment row{record, std::nullopt};
    Result<store::CreateResult> created = co_await creates_.submit(std::move(row));
    if (!created) co_return std::move(created).error();
    if (created->outcome == store::CreateOutcome::created) known = std::move(record);
  } else if (known->merchant_id != merchant || known->request_hash != events::request_fingerprint(request.value())) {
    // The same words for another merchant's payment as for a different one of this merchant's: no oracle.
    co_return co_await dead_letter_command(command, "payment_id already belongs to a different payment");
  }

  Completion completion{{command.command_id, command.payment_id, std::string(to_string(command.type)), "applied"}};
  if (auto driven = co_await drive(command.payment_id, std::move(known), &completion); !driven) co_return driven;
  co_return co_await finish(command, "applied", completion.recorded);
}

awaitable<Status> CommandProcessor::drive(const std::string& payment_id, std::optional<store::PaymentRecord> known,
                                        Completion* completion) {
  for (int step = 0; step < kMaxSteps; ++step) {
    if (!known) {
      auto found = co_await runtime::run_blocking(deps_.blocking, [&] { return deps_.payments.find(payment_id); });
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
        if (auto started = co_await start_otp(payment, *request->otp); !started) co_return started;
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
      if (auto delivered = co_await deliver_otp(payment); !delivered) co_return delivered;
    }
    break;  // otp_required, requires_action or final: nothing for a command to do but publish what is owed
  }
  co_return co_await flush_outbox(payment_id);
}

awaitable<Result<CommandProcessor::Progress>> CommandProcessor::charge(const store::PaymentRecord& payment,
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
  if (!options_.environment.empty()) intent.metadata.emplace_back("environment", options_.environment);
  // A Stripe customer id goes to Stripe as the customer; any other caller-side id travels as metadata.
  if (r.customer_id) {
    if (r.customer_id->rfind("cus_", 0) == 0) {
      intent.customer = r.customer_id;
    } else {
      intent.metadata.emplace_back("customer_id", *r.customer_id);
    }
  }

  auto call = [this, &intent](std::function<void(StripeResult<PaymentIntent>)> done) {
    deps_.stripe.create_payment_intent(intent, std::move(done));
  };
  StripeResult<PaymentIntent> result = co_await runtime::await_callback<StripeResult<PaymentIntent>>(std::move(call));
  const ChargeOutcome outcome = charge_outcome(result);
  if (outcome.kind == ChargeOutcome::Kind::settled) co_return co_await record_outcome(payment, outcome, completion);
  // The client retried as long as STRIPE_RETRY_DEADLINE_SECONDS allowed. Stripe may have charged: the payment
  // stays processing, with its idempotency key, for reconciliation to ask again. Never guessed.
  log::warn("payment outcome unresolved; left processing for reconciliation",
            {{"payment_id", payment.id}, {"reason", outcome.reason}});
  deps_.metrics.counter("payments_worker_unresolved_total", "Charges left processing for reconciliation").add();
  co_return Progress::stuck;
}

awaitable<Result<CommandProcessor::Progress>> CommandProcessor::record_outcome(const store::PaymentRecord& payment,
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
                      .event = payment_event(deps_.topics, payment, outcome.status, outcome.payment_intent_id,
                                             {outcome.failure_code, outcome.failure_decline_code,
                                              outcome.failure_message})};
  auto applied = co_await write_transition(payment, t, completion);
  if (!applied) co_return std::move(applied).error();
  if (!applied.value()) co_return Progress::raced;
  deps_.metrics
      .counter("payments_worker_charges_total", "Charge outcomes",
               "status=\"" + std::string(to_string(outcome.status)) + "\"")
      .add();
  log::info("payment settled", {{"payment_id", payment.id}, {"status", to_string(outcome.status)},
                                {"failure_code", outcome.failure_code}});
  // The event this write owes, published straight away; if that fails it stays in the outbox for the relay.
  if (t.event) {
    if (auto published = co_await publish_owed(*t.event); !published) co_return std::move(published).error();
  }
  co_return Progress::moved;
}

awaitable<Result<bool>> CommandProcessor::write_transition(const store::PaymentRecord& from,
                                                          store::Transition transition, Completion* completion) {
  store::TransitionWrite write{from, std::move(transition), {}};
  if (completion) write.command = completion->command;
  Result<bool> applied = co_await transitions_.submit(std::move(write));
  if (completion && applied && applied.value()) completion->recorded = true;
  co_return applied;
}

awaitable<Status> CommandProcessor::publish_owed(const store::OutboxEvent& event) {
  events::OutgoingMessage message{event.topic, event.payment_id, event.payload, {}};
  auto delivered = co_await publish(std::move(message));
  if (!delivered) {
    log::warn("event not delivered", {{"event_id", event.event_id}, {"error", delivered.error().message}});
    co_return delivered;
  }
  co_return co_await published_.submit(event.event_id);
}

awaitable<Status> CommandProcessor::flush_outbox(const std::string& payment_id) {
  auto pending = co_await runtime::run_blocking(deps_.blocking,
                                                [&] { return deps_.payments.unpublished_events(payment_id); });
  if (!pending) co_return std::move(pending).error();
  for (const auto& event : pending.value()) {
    if (auto published = co_await publish_owed(event); !published) co_return published;
  }
  co_return Ok{};
}

events::OutgoingMessage CommandProcessor::failed_event(const events::CommandEnvelope& command, std::string_view step,
                                                       events::Failure failure, bool echo_request) const {
  events::PaymentEvent e;
  e.event_id = events::event_id_for(command.payment_id, std::string(step) + "/" + command.command_id);
  e.type = events::event_type::kFailed;
  e.merchant_id = merchant_of(command);
  e.payment_id = command.payment_id;
  e.status = "failed";
  e.occurred_at = rfc3339_now();
  e.failure = std::move(failure);
  if (echo_request) {
    // Echo what identifies the order back to its producer, when those fields have the right types.
    if (auto data = json::parse(command.data_json)) {
      json::ObjectReader reader(data.value());
      if (auto order = reader.string("order_id")) e.order_id = order.value().substr(0, 255);
      if (auto amount = reader.integer("amount")) e.amount = amount.value();
      if (auto currency = reader.string("currency"); currency && Currency::from_code(currency.value())) {
        e.currency = currency.value();
      }
    }
  }
  return {deps_.topics.failed, command.payment_id, events::serialize(e), {}};
}

awaitable<Status> CommandProcessor::reject(const events::CommandEnvelope& command, const Error& error) {
  std::string message = error.message;
  if (!error.field.empty() && message.rfind(error.field, 0) != 0) message = error.field + ": " + message;
  events::Failure failure{std::string(to_string(error.code)), "", message};
  // A command that held a card number is not echoed at all.
  auto event = failed_event(command, "rejected", std::move(failure), error.code != ErrorCode::raw_card_data);
  if (auto delivered = co_await publish(std::move(event)); !delivered) co_return delivered;
  log::info("payment command rejected", {{"payment_id", command.payment_id}, {"code", to_string(error.code)},
                                         {"field", error.field}});
  co_return co_await finish(command, "rejected");
}

awaitable<Status> CommandProcessor::finish(const events::CommandEnvelope& command, std::string outcome,
                                           bool recorded) {
  if (!recorded) {
    store::ProcessedCommand done{command.command_id, command.payment_id, std::string(to_string(command.type)),
                                 outcome};
    auto written = co_await runtime::run_blocking(deps_.blocking,
                                                  [&] { return deps_.payments.record_processed(done); });
    if (!written) co_return std::move(written).error();
  }
  count(command, outcome);
  co_return Ok{};
}

void CommandProcessor::count(const events::CommandEnvelope& command, const std::string& outcome) {
  deps_.metrics.counter("payments_worker_commands_total", "Commands by type and outcome",
                        "type=\"" + std::string(to_string(command.type)) + "\",outcome=\"" + outcome + "\"")
      .add();
}

awaitable<Status> CommandProcessor::dead_letter_command(const events::CommandEnvelope& command, std::string reason) {
  if (auto sent = co_await dead_letter(original_of(command), std::move(reason)); !sent) co_return sent;
  co_return co_await finish(command, "dead_lettered");
}

events::IncomingMessage CommandProcessor::original_of(const events::CommandEnvelope& command) const {
  // The exact bytes read from Kafka when there are some; else (a command built here) its serialized form.
  events::IncomingMessage original{command.source_topic.empty() ? deps_.topics.commands : command.source_topic,
                                   command.source_partition, command.source_offset, command.payment_id,
                                   command.source.empty() ? events::serialize_command(command) : command.source,
                                   {}};
  if (command.replays > 0) original.headers.emplace_back(events::kDlqReplayedHeader, std::to_string(command.replays));
  return original;
}

awaitable<Status> CommandProcessor::give_up(const events::CommandEnvelope& command, const Error& cause, int rounds) {
  // The cause's own message may quote the input: it goes to the log, the DLQ gets the project's words.
  log::error("command given up", {{"command_id", command.command_id}, {"payment_id", command.payment_id},
                                  {"type", to_string(command.type)}, {"code", to_string(cause.code)},
                                  {"rounds", std::to_string(rounds)}, {"error", cause.message}});
  const std::string what = rounds > 1 ? "gave up after " + std::to_string(rounds) + " rounds failing with " +
                                            std::string(to_string(cause.code))
                                      : "cannot be applied: " + std::string(to_string(cause.code));
  if (auto sent = co_await dead_letter(original_of(command), events::dlq_reason(what, cause), cause.code); !sent) {
    co_return sent;
  }
  count(command, "gave_up");
  if (command.type == events::CommandType::payment_create) co_await fail_unasked(command);
  co_return Ok{};
}

awaitable<void> CommandProcessor::fail_unasked(const events::CommandEnvelope& command) {
  // Best effort, once: the DLQ record is written and the offset moves on whatever happens here. What could
  // not be done is logged; reconciliation republishes a payment left pending.
  auto found = co_await runtime::run_blocking(deps_.blocking,
                                              [&] { return deps_.payments.find(command.payment_id); });
  if (!found) {
    log::warn("given-up payment not read; left as it is",
              {{"payment_id", command.payment_id}, {"error", found.error().message}});
    co_return;
  }
  const std::string message = "the payment could not be processed";
  if (!found.value()) {
    // No payment row: its producer still learns the outcome.
    auto event = failed_event(command, "gave-up", {"internal_error", "", message}, true);
    if (auto told = co_await publish(std::move(event)); !told) {
      log::warn("given-up payment's failure not published", {{"payment_id", command.payment_id}});
    }
    co_return;
  }
  const store::PaymentRecord& payment = *found.value();
  if (payment.merchant_id != merchant_of(command)) co_return;  // another merchant's payment: not this command's
  if (payment.status != PaymentStatus::pending && payment.status != PaymentStatus::otp_required) {
    // processing or requires_action: Stripe may have been asked; reconciliation finds out. Final: nothing owed.
    co_return;
  }
  store::Transition failed{.payment_id = payment.id,
                           .expected_version = payment.version,
                           .to = PaymentStatus::failed,
                           .failure_code = "internal_error",
                           .failure_message = message,
                           .event = payment_event(deps_.topics, payment, PaymentStatus::failed, "",
                                                  {"internal_error", "", message})};
  auto applied = co_await write_transition(payment, failed);
  if (!applied || !applied.value()) {
    log::warn("given-up payment not failed; left for reconciliation", {{"payment_id", payment.id}});
    co_return;
  }
  log::info("payment failed: its command was given up before Stripe was asked", {{"payment_id", payment.id}});
  if (auto published = co_await publish_owed(*failed.event); !published) {
    log::warn("given-up payment's event left to the outbox relay", {{"payment_id", payment.id}});
  }
}

awaitable<Status> CommandProcessor::dead_letter(events::IncomingMessage message, std::string reason, ErrorCode code) {
  // Redacted before it leaves: a card number or a one-time code in the command (or a card number as its
  // key) must not land in another topic. `reason` is in the project's own words (events::dlq_reason).
  const events::DlqPayload payload = events::redact_for_dlq(message.value);
  events::Headers headers{{std::string(events::kDlqReasonHeader), reason},
                          {std::string(events::kDlqErrorCodeHeader), std::string(to_string(code))},
                          {std::string(events::kDlqOriginalTopicHeader), message.topic},
                          {std::string(events::kDlqOriginalBytesHeader), std::to_string(payload.original_bytes)}};
  if (payload.redacted) headers.emplace_back(events::kDlqRedactedHeader, "true");
  if (message.offset >= 0) {
    headers.emplace_back(events::kDlqOriginalPartitionHeader, std::to_string(message.partition));
    headers.emplace_back(events::kDlqOriginalOffsetHeader, std::to_string(message.offset));
  }
  if (const int replays = events::replay_count(message.headers); replays > 0) {
    headers.emplace_back(events::kDlqReplayedHeader, std::to_string(replays));
  }
  headers.emplace_back(events::kDlqFailedAtHeader, rfc3339_now());
  events::OutgoingMessage out{deps_.topics.commands_dlq, redact_card_numbers(message.key, events::kRedacted),
                              payload.value, std::move(headers)};
  if (auto delivered = co_await publish(std::move(out)); !delivered) co_return delivered;
  deps_.metrics.counter("payments_worker_dead_letters_total", "Commands sent to payment-commands-dlq").add();
  log::warn("command dead-lettered", {{"key", redact_card_numbers(message.key.substr(0, 64), events::kRedacted)},
                                      {"reason", reason}});
  co_return Ok{};
}

}  // namespace payments::worker
