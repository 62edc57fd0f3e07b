#pragma once
// The worker's consumer loop: reads payment-commands (and the Stripe events the API verified), runs up to
// `max_in_flight` commands at once (those of one payment strictly one after another, in offset order), stores
// for each partition only the offset below which every command is done, stops taking records while at the
// in-flight bound (pausing its partitions if that lasts), drains a partition's running commands before the
// partition goes to another worker, and drains everything on stop.

#include <boost/asio/io_context.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>

#include "payments/core/metrics.hpp"
#include "payments/events/kafka.hpp"
#include "payments/events/record_signature.hpp"
#include "payments/worker/command_processor.hpp"
#include "payments/worker/failure_policy.hpp"

namespace payments::worker {

struct WorkerOptions {
  std::size_t max_in_flight = 512;
  std::chrono::milliseconds drain_timeout{30'000};
  // On a rebalance, how long the revoked partitions' running commands may take to finish before the
  // partitions go to their new owner (WORKER_REVOKE_DRAIN_SECONDS). Their commands not yet started never start.
  std::chrono::milliseconds revoke_drain_timeout{10'000};
  // When a failed command is run again, and when it is given up (failure_policy.hpp).
  RetryPolicy retry_policy;
  std::chrono::milliseconds poll_interval{100};
  // How long the worker may sit at max_in_flight without polling before it pauses its partitions and goes
  // on polling (far below the consumer's max.poll.interval.ms of 300 s).
  std::chrono::milliseconds pause_after{5'000};
  // The usual model of payment services, kept as the benchmark's baseline: one command at a time per
  // partition (commands of a partition wait for each other, whatever their payment).
  bool sequential_per_partition = false;
  // Records from this topic are Stripe events (keyed by payment id), not commands. Only records the API
  // signed (see events/record_signature.hpp) are applied; any other is dead-lettered.
  std::string stripe_events_topic;
  std::optional<events::RecordSigner> stripe_events_signer;
};

class Worker {
 public:
  // `io` runs the command coroutines; run it on its own thread(s).
  Worker(boost::asio::io_context& io, CommandProcessor& processor, MetricsRegistry& metrics, WorkerOptions options);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // The partitions-revoked hook to pass in ConsumerOptions::on_revoked. Commands of these partitions not yet
  // started are dropped (the new owner reads them again), and ones waiting to be retried stop; it waits up to
  // revoke_drain_timeout for the running ones, commits what finished, and only then returns, so the new
  // owner never runs a command this worker is still running, unless it outlasted the drain (logged).
  void on_revoked(const std::vector<events::TopicPartition>& partitions);

  // Polls on the calling thread until `stop` is set, then drains in-flight work (up to drain_timeout),
  // leaving stored offsets for the consumer's close() to commit.
  void run(events::MessageSource& consumer, const std::atomic<bool>& stop);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace payments::worker
