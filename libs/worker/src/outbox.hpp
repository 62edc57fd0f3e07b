#pragma once
// What every flow does at its end, shared by all of them: publishing (an event straight away, or the ones a
// payment's outbox still owes), recording a command as processed and counting it, and dead-lettering a
// command to payment-commands-dlq.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>

#include <string>

#include "payments/core/metrics.hpp"
#include "payments/core/result.hpp"
#include "payments/events/commands.hpp"
#include "payments/events/event_publisher.hpp"
#include "payments/events/kafka.hpp"
#include "payments/events/topics.hpp"
#include "payments/runtime/batcher.hpp"
#include "payments/store/payment_store.hpp"

namespace payments::worker {

class Outbox {
 public:
  Outbox(store::PaymentStore& payments, events::EventPublisher& producer, boost::asio::thread_pool& blocking,
         MetricsRegistry& metrics, events::TopicNames topics, std::string default_merchant);

  boost::asio::awaitable<Status> publish(events::OutgoingMessage message);
  // Publishes one outbox event and marks it published (group-committed with other commands' marks).
  boost::asio::awaitable<Status> publish_owed(const store::OutboxEvent& event);
  // Publishes every event the payment's outbox still owes.
  boost::asio::awaitable<Status> flush_outbox(const std::string& payment_id);

  // Records the command as processed (unless `recorded` says that happened already) and counts it.
  boost::asio::awaitable<Status> finish(const events::CommandEnvelope& command, std::string outcome,
                                        bool recorded = false);
  void count(const events::CommandEnvelope& command, const std::string& outcome);

  // See CommandProcessor::dead_letter.
  boost::asio::awaitable<Status> dead_letter(events::IncomingMessage message, std::string reason,
                                             ErrorCode code = ErrorCode::validation_error);
  // Dead-letters a command that cannot be applied as it stands, and records it as processed.
  boost::asio::awaitable<Status> dead_letter_command(const events::CommandEnvelope& command, std::string reason);
  // give_up's DLQ part (see CommandProcessor::give_up): logged, dead-lettered with the reason and the error
  // code, counted; not recorded as processed, so that a replay runs it afresh.
  boost::asio::awaitable<Status> dead_letter_given_up(const events::CommandEnvelope& command, const Error& cause,
                                                      int rounds);

  [[nodiscard]] const std::string& merchant_of(const events::CommandEnvelope& command) const {
    return command.merchant_or(default_merchant_);
  }
  [[nodiscard]] const events::TopicNames& topics() const { return topics_; }

 private:
  // The Kafka record a command was read from (or its serialized form), with its replay count, for the DLQ.
  [[nodiscard]] events::IncomingMessage original_of(const events::CommandEnvelope& command) const;

  store::PaymentStore& payments_;
  events::EventPublisher& producer_;
  boost::asio::thread_pool& blocking_;
  MetricsRegistry& metrics_;
  events::TopicNames topics_;
  std::string default_merchant_;
  // Events marked published, batched across commands (see runtime::Batcher).
  runtime::Batcher<std::string, Status> published_;
};

}  // namespace payments::worker
