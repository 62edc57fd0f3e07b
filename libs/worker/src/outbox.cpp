#include "outbox.hpp"

#include "payments/core/card_number.hpp"
#include "payments/core/log.hpp"
#include "payments/events/dlq.hpp"
#include "payments/events/payment_events.hpp"
#include "payments/events/publish.hpp"
#include "payments/runtime/awaitable.hpp"
#include "store_batch.hpp"

namespace payments::worker {

using boost::asio::awaitable;

Outbox::Outbox(store::PaymentStore& payments, events::EventPublisher& producer, boost::asio::thread_pool& blocking,
               MetricsRegistry& metrics, events::TopicNames topics, std::string default_merchant)
    : payments_(payments),
      producer_(producer),
      blocking_(blocking),
      metrics_(metrics),
      topics_(std::move(topics)),
      default_merchant_(std::move(default_merchant)),
      published_(
          blocking_,
          never_throwing<Status, std::string>([&payments](const std::vector<std::string>& ids) {
            return std::vector<Status>(ids.size(), payments.mark_published(ids));
          }),
          kMaxBatch) {}

awaitable<Status> Outbox::publish(events::OutgoingMessage message) {
  co_return co_await events::publish(producer_, std::move(message));
}

awaitable<Status> Outbox::publish_owed(const store::OutboxEvent& event) {
  events::OutgoingMessage message{event.topic, event.payment_id, event.payload, {}};
  auto delivered = co_await publish(std::move(message));
  if (!delivered) {
    log::warn("event not delivered", {{"event_id", event.event_id}, {"error", delivered.error().message}});
    co_return delivered;
  }
  co_return co_await published_.submit(event.event_id);
}

awaitable<Status> Outbox::flush_outbox(const std::string& payment_id) {
  auto pending = co_await runtime::run_blocking(blocking_, [&] { return payments_.unpublished_events(payment_id); });
  if (!pending) co_return std::move(pending).error();
  for (const auto& event : pending.value()) {
    if (auto published = co_await publish_owed(event); !published) co_return published;
  }
  co_return Ok{};
}

awaitable<Status> Outbox::finish(const events::CommandEnvelope& command, std::string outcome, bool recorded) {
  if (!recorded) {
    store::ProcessedCommand done{command.command_id, command.payment_id, std::string(to_string(command.type)),
                                 outcome};
    auto written = co_await runtime::run_blocking(blocking_, [&] { return payments_.record_processed(done); });
    if (!written) co_return std::move(written).error();
  }
  count(command, outcome);
  co_return Ok{};
}

void Outbox::count(const events::CommandEnvelope& command, const std::string& outcome) {
  metrics_.counter("payments_worker_commands_total", "Commands by type and outcome",
                   "type=\"" + std::string(to_string(command.type)) + "\",outcome=\"" + outcome + "\"")
      .add();
}

awaitable<Status> Outbox::dead_letter_command(const events::CommandEnvelope& command, std::string reason) {
  if (auto sent = co_await dead_letter(original_of(command), std::move(reason)); !sent) co_return sent;
  co_return co_await finish(command, "dead_lettered");
}

events::IncomingMessage Outbox::original_of(const events::CommandEnvelope& command) const {
  // The exact bytes read from Kafka when there are some; else (a command built here) its serialized form.
  events::IncomingMessage original{command.source_topic.empty() ? topics_.commands : command.source_topic,
                                   command.source_partition, command.source_offset, command.payment_id,
                                   command.source.empty() ? events::serialize_command(command) : command.source,
                                   {}};
  if (command.replays > 0) original.headers.emplace_back(events::kDlqReplayedHeader, std::to_string(command.replays));
  return original;
}

awaitable<Status> Outbox::dead_letter_given_up(const events::CommandEnvelope& command, const Error& cause,
                                               int rounds) {
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
  co_return Ok{};
}

awaitable<Status> Outbox::dead_letter(events::IncomingMessage message, std::string reason, ErrorCode code) {
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
  if (const int replays = events::replay_count(message.headers).value_or(0); replays > 0) {
    headers.emplace_back(events::kDlqReplayedHeader, std::to_string(replays));
  }
  headers.emplace_back(events::kDlqFailedAtHeader, rfc3339_now());
  events::OutgoingMessage out{topics_.commands_dlq, redact_card_numbers(message.key, events::kRedacted),
                              payload.value, std::move(headers)};
  if (auto delivered = co_await publish(std::move(out)); !delivered) co_return delivered;
  metrics_.counter("payments_worker_dead_letters_total", "Commands sent to payment-commands-dlq").add();
  log::warn("command dead-lettered", {{"key", redact_card_numbers(message.key.substr(0, 64), events::kRedacted)},
                                      {"reason", reason}});
  co_return Ok{};
}

}  // namespace payments::worker
