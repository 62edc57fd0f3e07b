// The consumer loop (Worker) over a scripted MessageSource and the processor's fakes: what a rebalance does
// to the commands of the partitions it takes away, and which offsets get stored and committed.
#include <doctest/doctest.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "fakes.hpp"
#include "harness.hpp"
#include "payments/core/metrics.hpp"
#include "payments/events/kafka.hpp"
#include "payments/worker/command_processor.hpp"
#include "payments/worker/worker.hpp"

using namespace payments;
using namespace payments::worker;
using namespace payments::worker::testing;
using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

namespace {

const std::string kTopic = "payment-commands";

// Hands out the records it is given, and on request runs the rebalance hook inside poll(), as librdkafka does.
class ScriptedSource final : public events::MessageSource {
 public:
  using RevokeHook = std::function<void(const std::vector<events::TopicPartition>&)>;

  void add(std::int32_t partition, std::int64_t offset, const std::string& payment_id, const std::string& command_id) {
    std::lock_guard lock(mutex_);
    records_.push_back({kTopic, partition, offset, payment_id,
                        R"({"command_id":")" + command_id + R"(","type":"payment.create","payment_id":")" + payment_id +
                            R"(","issued_at":"2026-01-01T00:00:00Z","merchant_id":"m1","data":)" + payment_data() + "}",
                        {}});
  }
  // The next poll() revokes `partition` (through `hook`) before it returns.
  void revoke_on_next_poll(std::int32_t partition, RevokeHook hook) {
    std::lock_guard lock(mutex_);
    revoke_ = partition;
    hook_ = std::move(hook);
  }

  Result<std::optional<events::IncomingMessage>> poll(std::chrono::milliseconds timeout) override {
    std::optional<std::int32_t> revoke;
    RevokeHook hook;
    {
      std::lock_guard lock(mutex_);
      std::swap(revoke, revoke_);
      std::swap(hook, hook_);
      if (!revoke && !records_.empty()) {
        auto record = std::move(records_.front());
        records_.pop_front();
        return std::optional<events::IncomingMessage>(std::move(record));
      }
    }
    if (revoke) {
      revoke_started = SteadyClock::now();
      hook({{kTopic, *revoke}});
      revoke_ended = SteadyClock::now();
      return std::optional<events::IncomingMessage>{};
    }
    std::this_thread::sleep_for(std::min(timeout, std::chrono::milliseconds(5)));
    return std::optional<events::IncomingMessage>{};
  }
  Status store_offset(const std::string&, std::int32_t partition, std::int64_t next_offset) override {
    std::lock_guard lock(mutex_);
    log_.push_back("store " + std::to_string(partition) + ":" + std::to_string(next_offset));
    return Ok{};
  }
  Status commit() override {
    std::lock_guard lock(mutex_);
    log_.push_back("commit");
    return Ok{};
  }
  void pause() override {}
  void resume() override {}

  // store P:N and commit, in the order they happened.
  std::vector<std::string> log() {
    std::lock_guard lock(mutex_);
    return log_;
  }

  std::atomic<SteadyClock::time_point> revoke_started{};
  std::atomic<SteadyClock::time_point> revoke_ended{};

 private:
  std::mutex mutex_;
  std::deque<events::IncomingMessage> records_;
  std::optional<std::int32_t> revoke_;
  RevokeHook hook_;
  std::vector<std::string> log_;
};

// A gateway whose payment-intent calls wait until the test lets them through (then FakeStripe answers them).
class GatedStripe final : public StripeGateway {
 public:
  explicit GatedStripe(boost::asio::io_context& io) : inner_(io) {}

  void create_payment_intent(PaymentIntentRequest request, StripeCallback<PaymentIntent> done) override {
    {
      std::lock_guard lock(mutex_);
      held_.push_back([this, request = std::move(request), done = std::move(done)]() mutable {
        inner_.create_payment_intent(std::move(request), std::move(done));
      });
    }
    arrived_.notify_all();
  }
  void retrieve_payment_intent(std::string id, StripeCallback<PaymentIntent> done) override {
    inner_.retrieve_payment_intent(std::move(id), std::move(done));
  }
  void cancel_payment_intent(std::string id, std::string reason, std::string key,
                             StripeCallback<PaymentIntent> done) override {
    inner_.cancel_payment_intent(std::move(id), std::move(reason), std::move(key), std::move(done));
  }
  void search_payment_intents_by_metadata(std::string key, std::string value,
                                          StripeCallback<std::vector<PaymentIntent>> done) override {
    inner_.search_payment_intents_by_metadata(std::move(key), std::move(value), std::move(done));
  }
  void create_refund(RefundRequest request, StripeCallback<Refund> done) override {
    inner_.create_refund(std::move(request), std::move(done));
  }
  void retrieve_refund(std::string id, StripeCallback<Refund> done) override {
    inner_.retrieve_refund(std::move(id), std::move(done));
  }

  // Waits until `count` calls are held.
  void wait_for_held(std::size_t count) {
    std::unique_lock lock(mutex_);
    REQUIRE(arrived_.wait_for(lock, 5s, [&] { return held_.size() + released_ >= count; }));
  }
  void release_all() {
    std::vector<std::function<void()>> calls;
    {
      std::lock_guard lock(mutex_);
      calls.swap(held_);
      released_ += calls.size();
    }
    for (auto& call : calls) call();
  }

 private:
  FakeStripe inner_;
  std::mutex mutex_;
  std::condition_variable arrived_;
  std::vector<std::function<void()>> held_;
  std::size_t released_ = 0;
};

// A Worker over the fakes, its command coroutines on a thread of their own and its loop on another.
struct LoopHarness {
  explicit LoopHarness(std::chrono::milliseconds revoke_drain) : revoke_drain_timeout(revoke_drain) {}

  std::chrono::milliseconds revoke_drain_timeout;
  boost::asio::io_context io;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work = boost::asio::make_work_guard(io);
  boost::asio::thread_pool pool{2};
  FakeStores stores;
  FakePublisher publisher{io};
  GatedStripe stripe{io};
  FixedClock clock;
  CountingRandom random;
  MetricsRegistry metrics;
  OtpHasher hasher = test_hasher();
  events::TopicNames topics;
  CommandProcessor processor{
      ProcessorDependencies{stores.payments, stores.refunds, stores.otps, hasher, random, stripe, publisher, pool,
                            metrics, topics, clock},
      ProcessorOptions{.default_merchant = "m1", .environment = "unit"}};
  Worker worker{io, processor, metrics,
                WorkerOptions{.max_in_flight = 16, .drain_timeout = 2s, .revoke_drain_timeout = revoke_drain_timeout,
                              .poll_interval = 5ms}};
  ScriptedSource source;
  std::atomic<bool> stop{false};
  std::thread io_thread{[this] { io.run(); }};
  std::thread loop_thread{[this] { worker.run(source, stop); }};

  ~LoopHarness() {
    stop = true;
    stripe.release_all();
    loop_thread.join();
    work.reset();
    io.stop();
    io_thread.join();
    pool.join();
  }

  void revoke(std::int32_t partition) {
    source.revoke_on_next_poll(partition, [this](const auto& partitions) { worker.on_revoked(partitions); });
  }
  bool revocation_done() { return source.revoke_ended.load() != SteadyClock::time_point{}; }
  bool processed(const std::string& command_id) {
    std::lock_guard lock(stores.state.mutex);
    return stores.state.processed.contains(command_id);
  }
};

bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout = 5s) {
  const auto until = SteadyClock::now() + timeout;
  while (!condition()) {
    if (SteadyClock::now() > until) return false;
    std::this_thread::sleep_for(2ms);
  }
  return true;
}

}  // namespace

TEST_CASE("a revocation waits for the partition's running command, commits it, and never starts the next") {
  LoopHarness h(5s);
  h.source.add(0, 10, "pay_A", "cmd-1");
  h.source.add(0, 11, "pay_A", "cmd-2");  // queued behind cmd-1: the same payment
  h.source.add(1, 20, "pay_B", "cmd-3");  // another partition, which stays
  h.stripe.wait_for_held(2);              // cmd-1 and cmd-3 are at Stripe

  h.revoke(0);
  REQUIRE(eventually([&] { return h.source.revoke_started.load() != SteadyClock::time_point{}; }));
  std::this_thread::sleep_for(200ms);
  CHECK_FALSE(h.revocation_done());  // still waiting for cmd-1
  h.stripe.release_all();
  REQUIRE(eventually([&] { return h.revocation_done(); }));

  CHECK(h.processed("cmd-1"));
  CHECK(h.source.revoke_ended.load() - h.source.revoke_started.load() >= 200ms);
  // cmd-1's offset was stored (cmd-2, not started, is where the new owner begins) and committed, in that
  // order, before the revocation returned.
  const auto log = h.source.log();
  const auto stored = std::find(log.begin(), log.end(), "store 0:11");
  REQUIRE(stored != log.end());
  CHECK(std::find(stored, log.end(), "commit") != log.end());
  // cmd-2 is the new owner's: it never runs here, while the kept partition's command finishes.
  REQUIRE(eventually([&] { return h.processed("cmd-3"); }));
  std::this_thread::sleep_for(100ms);
  CHECK_FALSE(h.processed("cmd-2"));
  CHECK(h.metrics.counter("payments_worker_revoke_drain_left_total", "").value() == 0);
}

TEST_CASE("a command that outlasts the revoke drain is left to the new owner, counted, and its offset not stored") {
  LoopHarness h(100ms);
  h.source.add(0, 5, "pay_C", "cmd-slow");
  h.stripe.wait_for_held(1);

  h.revoke(0);
  REQUIRE(eventually([&] { return h.revocation_done(); }));
  const auto waited = h.source.revoke_ended.load() - h.source.revoke_started.load();
  CHECK(waited >= 100ms);
  CHECK(waited < 2s);
  CHECK(h.metrics.counter("payments_worker_revoke_drain_left_total", "").value() == 1);

  // When it ends at last, nothing of the partition is stored any more: the new owner decides.
  h.stripe.release_all();
  REQUIRE(eventually([&] { return h.processed("cmd-slow"); }));
  std::this_thread::sleep_for(50ms);
  for (const auto& entry : h.source.log()) CHECK(entry.rfind("store 0:", 0) != 0);
}

TEST_CASE("a revocation does not wait for a command waiting to be retried, which then stops") {
  LoopHarness h(5s);
  h.stores.state.faults.fail("payments.lookup_all", Error::unavailable("MySQL is down"));
  h.source.add(0, 7, "pay_D", "cmd-failing");
  REQUIRE(eventually([&] {
    return h.metrics.counter("payments_worker_retries_total", "", "class=\"transient\"").value() >= 1;
  }));

  h.revoke(0);
  REQUIRE(eventually([&] { return h.revocation_done(); }));
  CHECK(h.source.revoke_ended.load() - h.source.revoke_started.load() < 1s);  // not the 5 s drain
  CHECK(h.metrics.counter("payments_worker_revoke_drain_left_total", "").value() == 0);
  // Its next round finds the partition gone and stops: with the store back, the command still does not run.
  h.stores.state.faults.clear();
  std::this_thread::sleep_for(1500ms);  // longer than the first retry delays
  CHECK_FALSE(h.processed("cmd-failing"));
}
