#include "payments/worker/worker.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>

#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

#include "payments/core/ids.hpp"
#include "payments/core/log.hpp"
#include "payments/events/dlq.hpp"
#include "payments/stripe/stripe_json.hpp"
#include "payments/worker/offset_tracker.hpp"

namespace payments::worker {
namespace {

using boost::asio::awaitable;

struct Job {
  PartitionKey partition;
  std::int64_t offset = 0;
  std::uint64_t generation = 0;  // of the partition's ownership when the record arrived
  std::optional<events::CommandEnvelope> command;  // empty: dead-letter `raw` with `reason`
  events::IncomingMessage raw;
  std::string reason;
};

}  // namespace

struct Worker::Impl {
  boost::asio::io_context& io;
  CommandProcessor& processor;
  MetricsRegistry& metrics;
  WorkerOptions options;
  Metric& in_flight_gauge;

  std::mutex mutex;  // guards what follows, up to `queues`
  OffsetTracker tracker;
  events::MessageSource* consumer = nullptr;
  // Bumped each time a partition is revoked: a job of an older generation belongs to its new owner.
  std::map<PartitionKey, std::uint64_t> generations;
  std::map<PartitionKey, std::size_t> running;  // commands started and not yet ended, per partition
  std::condition_variable ended;                // a running command ended

  // Per payment, the commands waiting behind the one running. Touched only on the io thread.
  std::map<std::string, std::deque<Job>> queues;

  Impl(boost::asio::io_context& i, CommandProcessor& p, MetricsRegistry& m, WorkerOptions o)
      : io(i), processor(p), metrics(m), options(o),
        in_flight_gauge(m.gauge("payments_worker_in_flight", "Commands received and not yet done")) {}

  // io thread: queue behind the payment's running command, or start it.
  void submit(std::string key, Job job) {
    auto& queue = queues[key];
    queue.push_back(std::move(job));
    if (queue.size() == 1) boost::asio::co_spawn(io, run_queue(std::move(key)), boost::asio::detached);
  }

  awaitable<void> run_queue(std::string key) {
    for (;;) {
      auto it = queues.find(key);
      if (it == queues.end() || it->second.empty()) co_return;
      Job job = it->second.front();  // copied: `queues` may rehash while this coroutine waits
      co_await run_to_outcome(job);
      it = queues.find(key);
      it->second.pop_front();
      if (it->second.empty()) {
        queues.erase(it);
        co_return;
      }
    }
  }

  bool owned_locked(const Job& job) {
    const auto it = generations.find(job.partition);
    return job.generation == (it == generations.end() ? 0 : it->second);
  }

  // Whether the job may run (again): not when its partition was revoked since it arrived (its new owner runs
  // it). While it runs, a revocation of its partition waits for it.
  bool begin(const Job& job) {
    std::lock_guard lock(mutex);
    if (!owned_locked(job)) return false;
    ++running[job.partition];
    return true;
  }

  // The job stopped running: done (its offset may now be committed), or waiting to be retried.
  void end(const Job& job, bool completed) {
    {
      std::lock_guard lock(mutex);
      if (completed) finished_locked(job);
      if (auto it = running.find(job.partition); it != running.end() && --it->second == 0) running.erase(it);
    }
    ended.notify_all();
  }

  // Runs one command until it is done or given up (failure_policy.hpp): retried while the policy says so,
  // the payment's later commands waiting behind it, other payments going on. It counts as running except
  // while it waits to be retried, so a revocation waits for a round in progress, never for a backoff. False
  // when its partition was revoked before it started or while it waited: the new owner runs it afresh.
  awaitable<bool> run_to_outcome(const Job& job) {
    if (!begin(job)) co_return false;
    // Seeded by the record's position, so that commands failing together do not come back together.
    const auto seed = std::hash<std::string>{}(job.partition.topic) ^ static_cast<std::uint64_t>(job.offset) ^
                      (static_cast<std::uint64_t>(job.partition.partition) << 48U);
    CommandRetries retries(options.retry_policy, seed);
    std::optional<Error> given_up;  // set once the policy gave up: only the give-up itself is retried then
    for (;;) {
      // One co_await per statement, its result a named local: GCC miscompiles co_await inside a conditional
      // expression (the result read here was a default Error, so every command was given up at once).
      Status step = Ok{};
      if (!job.command) {
        step = co_await processor.dead_letter(job.raw, job.reason);
      } else if (given_up) {
        step = co_await processor.give_up(*job.command, *given_up, retries.failed_rounds());
      } else {
        step = co_await processor.process(*job.command);
      }
      if (step) {
        end(job, true);
        co_return true;
      }
      auto decision = retries.after(step.error());
      if (decision.give_up && !given_up && job.command) {
        given_up = step.error();
        continue;
      }
      if (decision.give_up) decision = {false, options.retry_policy.transient.max_delay};  // DLQ write failed
      metrics.counter("payments_worker_retries_total", "Command rounds retried after a failure",
                      "class=\"" + std::string(to_string(classify(step.error().code))) + "\"")
          .add();
      if (retries.failed_rounds() == 1 || retries.failed_rounds() % 20 == 0) {
        log::warn("command failed; retrying",
                  {{"payment_id", job.command ? job.command->payment_id : std::string()},
                   {"offset", std::to_string(job.offset)}, {"code", to_string(step.error().code)},
                   {"rounds", std::to_string(retries.failed_rounds())}, {"error", step.error().message}});
      }
      end(job, false);
      boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor, decision.delay);
      co_await timer.async_wait(boost::asio::use_awaitable);
      if (!begin(job)) co_return false;  // revoked while waiting: the new owner retries it
    }
  }

  void finished_locked(const Job& job) {
    if (auto commit = tracker.finished(job.partition, job.offset); commit && consumer != nullptr) {
      if (auto stored = consumer->store_offset(job.partition.topic, job.partition.partition, *commit); !stored) {
        log::debug("offset not stored", {{"error", stored.error().message}});
      }
    }
    in_flight_gauge.set(static_cast<std::int64_t>(tracker.in_flight()));
  }

  std::size_t in_flight() {
    std::lock_guard lock(mutex);
    return tracker.in_flight();
  }

  std::size_t running_in_locked(const std::vector<PartitionKey>& partitions) const {
    std::size_t count = 0;
    for (const auto& partition : partitions) {
      if (auto it = running.find(partition); it != running.end()) count += it->second;
    }
    return count;
  }

  // A record of the stripe-events topic as the command that applies it.
  // The reason, when there is none, reads as a whole sentence (no field prefix).
  Result<events::CommandEnvelope> stripe_event(const events::IncomingMessage& message) const {
    if (!options.stripe_events_signer || !options.stripe_events_signer->verify(message)) {
      log::warn("stripe event record not signed by payments-api",
                {{"partition", std::to_string(message.partition)}, {"offset", std::to_string(message.offset)}});
      metrics.counter("payments_worker_unsigned_stripe_records_total",
                      "Records on the Stripe events topic without a valid payments-api signature (dead-lettered)")
          .add();
      return Error{ErrorCode::validation_error,
                   "Stripe event record without a valid payments-signature: not written by payments-api", {}};
    }
    if (!is_valid_external_id(message.key)) {
      return Error{ErrorCode::validation_error, "Stripe event without a payment id key", {}};
    }
    auto event = stripe::parse_event(message.value);
    if (!event) {
      return Error{ErrorCode::validation_error, events::dlq_reason("unreadable Stripe event", event.error()), {}};
    }
    auto command = events::stripe_event_command(message.key, event->id, message.value);
    command.source = message.value;
    return command;
  }

  void dispatch(events::IncomingMessage message) {
    Job job;
    job.partition = {message.topic, message.partition};
    job.offset = message.offset;
    {
      std::lock_guard lock(mutex);
      tracker.started(job.partition, job.offset);
      in_flight_gauge.set(static_cast<std::int64_t>(tracker.in_flight()));
      if (auto it = generations.find(job.partition); it != generations.end()) job.generation = it->second;
    }
    std::string key = message.key;
    if (message.value.size() > events::kMaxCommandBytes) {
      job.reason = "command over the " + std::to_string(events::kMaxCommandBytes) + "-byte limit";
    } else if (auto envelope = message.topic == options.stripe_events_topic
                                   ? stripe_event(message)
                                   : events::parse_command_envelope(message.value)) {
      key = envelope->payment_id;
      job.command = std::move(envelope).value();
      job.command->replays = events::replay_count(message.headers).value_or(0);
      job.command->source_topic = message.topic;
      job.command->source_partition = message.partition;
      job.command->source_offset = message.offset;
    } else {
      // In the project's own words: the error's message may quote the input (an unknown type, say).
      const auto& e = envelope.error();
      job.reason = message.topic == options.stripe_events_topic ? e.message
                   : e.field.empty() ? "command is not a JSON object within the limits"
                                     : events::dlq_reason("command envelope invalid", e);
    }
    if (!job.command) job.raw = std::move(message);
    // Commands without a usable payment id still keep their partition's order among themselves.
    if (key.empty() || options.sequential_per_partition) {
      key = "partition:" + job.partition.topic + "/" + std::to_string(job.partition.partition);
    }
    boost::asio::post(io, [this, key = std::move(key), job = std::move(job)]() mutable {
      submit(std::move(key), std::move(job));
    });
  }
};

Worker::Worker(boost::asio::io_context& io, CommandProcessor& processor, MetricsRegistry& metrics,
               WorkerOptions options)
    : impl_(std::make_unique<Impl>(io, processor, metrics, options)) {}
Worker::~Worker() = default;

void Worker::on_revoked(const std::vector<events::TopicPartition>& partitions) {
  auto& impl = *impl_;
  std::vector<PartitionKey> keys;
  keys.reserve(partitions.size());
  for (const auto& p : partitions) keys.push_back({p.topic, p.partition});

  std::unique_lock lock(impl.mutex);
  for (const auto& key : keys) ++impl.generations[key];  // nothing more of theirs starts here
  events::MessageSource* consumer = impl.consumer;
  if (consumer == nullptr) {
    // The consumer closing after run() returned: the shutdown drain has waited and said what it left.
    for (const auto& key : keys) impl.tracker.forget(key);
    return;
  }
  const auto running = impl.running_in_locked(keys);
  if (running > 0) {
    impl.ended.wait_for(lock, impl.options.revoke_drain_timeout,
                        [&] { return impl.running_in_locked(keys) == 0; });
  }
  const auto left = impl.running_in_locked(keys);
  for (const auto& key : keys) impl.tracker.forget(key);
  impl.in_flight_gauge.set(static_cast<std::int64_t>(impl.tracker.in_flight()));
  lock.unlock();

  // The commit points of what finished are stored; commit them before the partitions go.
  if (auto committed = consumer->commit(); !committed) {
    log::warn("offsets of revoked partitions not committed; the new owner may repeat finished commands "
              "(they are idempotent)",
              {{"error", committed.error().message}});
  }
  std::string names;
  for (const auto& key : keys) names += (names.empty() ? "" : ",") + key.topic + "/" + std::to_string(key.partition);
  log::info("partitions revoked", {{"partitions", names},
                                   {"waited_for", std::to_string(running)},
                                   {"still_running", std::to_string(left)}});
  if (left > 0) {
    impl.metrics.counter("payments_worker_revoke_drain_left_total",
                         "Commands still running when a revoked partition's drain ran out")
        .add(static_cast<std::int64_t>(left));
    log::warn("revoke drain timed out; commands still running may overlap their new owner's",
              {{"still_running", std::to_string(left)},
               {"drain_ms", std::to_string(impl.options.revoke_drain_timeout.count())}});
  }
}

void Worker::run(events::MessageSource& consumer, const std::atomic<bool>& stop) {
  {
    std::lock_guard lock(impl_->mutex);
    impl_->consumer = &consumer;
  }
  // At the in-flight bound the loop first just stops taking records: librdkafka keeps what it prefetched
  // (bounded by queued.max.messages.kbytes), so work resumes the moment a command finishes. Pausing the
  // partitions would throw that prefetch away and cost a fetch round trip per resume, which made the worker
  // run in bursts of `max_in_flight` per second. Only a stall longer than `pause_after` (a dependency down)
  // pauses, so that polling can go on and the group keeps the worker.
  bool paused = false;
  std::optional<std::chrono::steady_clock::time_point> full_since;
  while (!stop.load()) {
    const auto in_flight = impl_->in_flight();
    const auto now = std::chrono::steady_clock::now();
    if (in_flight >= impl_->options.max_in_flight) {
      if (!full_since) full_since = now;
      if (!paused && now - *full_since >= impl_->options.pause_after) {
        consumer.pause();
        paused = true;
      }
      if (!paused) {
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
        continue;
      }
    } else {
      full_since.reset();
      if (paused && in_flight < impl_->options.max_in_flight / 2) {
        consumer.resume();
        paused = false;
      }
    }
    auto polled = consumer.poll(impl_->options.poll_interval);
    if (!polled) {
      log::warn("kafka poll failed", {{"error", polled.error().message}});
      continue;
    }
    if (polled.value()) impl_->dispatch(std::move(*polled.value()));
  }

  // Drain: stop fetching, keep polling (so the group keeps us), wait for in-flight commands to finish.
  consumer.pause();
  const auto deadline = std::chrono::steady_clock::now() + impl_->options.drain_timeout;
  while (impl_->in_flight() > 0 && std::chrono::steady_clock::now() < deadline) {
    auto polled = consumer.poll(std::chrono::milliseconds(50));
    if (polled && polled.value()) {
      // Fetched before the pause took effect: not started, so not stored; the next owner reads it again.
      log::debug("record left for redelivery during drain");
    }
  }
  const auto left = impl_->in_flight();
  if (left > 0) {
    log::warn("drain timed out; commands left to redelivery", {{"left", std::to_string(left)}});
  } else {
    log::info("drain finished; commands left to redelivery", {{"left", "0"}});
  }
  std::lock_guard lock(impl_->mutex);
  impl_->consumer = nullptr;
}

}  // namespace payments::worker
