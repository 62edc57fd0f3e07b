#pragma once
// A CommandProcessor over the fakes (fakes.hpp), and what a test needs to drive it: commands built from their
// data, and coroutines run to the end on an io_context with a small pool for the store calls.

#include <doctest/doctest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>

#include <optional>
#include <string>

#include "fakes.hpp"
#include "payments/core/metrics.hpp"
#include "payments/events/commands.hpp"
#include "payments/json/json.hpp"
#include "payments/worker/command_processor.hpp"

namespace payments::worker::testing {

inline OtpHasher test_hasher() {
  auto hasher = OtpHasher::create(Secret("unit-test-otp-secret-0123456789"),
                                  [](std::string_view key, std::string_view data) {
                                    return std::to_string(std::hash<std::string>{}(std::string(key) + "|" +
                                                                                   std::string(data)));
                                  });
  return std::move(hasher).value();
}

struct Harness {
  boost::asio::io_context io;
  boost::asio::thread_pool pool{2};
  FakeStores stores;
  FakePublisher publisher{io};
  FakeStripe stripe{io};
  FixedClock clock;
  CountingRandom random;
  MetricsRegistry metrics;
  OtpHasher hasher = test_hasher();
  events::TopicNames topics;
  CommandProcessor processor{
      ProcessorDependencies{stores.payments, stores.refunds, stores.otps, hasher, random, stripe, publisher, pool,
                            metrics, topics, clock},
      ProcessorOptions{.default_merchant = "m1", .environment = "unit"}};

  ~Harness() { pool.join(); }

  // Runs `work` to its end (and everything it started on the io_context).
  template <typename T>
  T run(boost::asio::awaitable<T> work) {
    std::optional<T> out;
    boost::asio::co_spawn(
        io, [&out, w = std::move(work)]() mutable -> boost::asio::awaitable<void> { out = co_await std::move(w); },
        boost::asio::detached);
    io.restart();
    io.run();
    return std::move(out).value();
  }

  Status process(const events::CommandEnvelope& command) { return run(processor.process(command)); }
  Status give_up(const events::CommandEnvelope& command, const Error& cause, int rounds) {
    return run(processor.give_up(command, cause, rounds));
  }
  [[nodiscard]] store::PaymentRecord payment(const std::string& id) { return stores.state.payment(id).value(); }
  [[nodiscard]] bool processed(const std::string& command_id) {
    std::lock_guard lock(stores.state.mutex);
    return stores.state.processed.contains(command_id);
  }
};

inline events::CommandEnvelope command(events::CommandType type, std::string command_id, std::string payment_id,
                                       std::string data_json) {
  events::CommandEnvelope c;
  c.command_id = std::move(command_id);
  c.type = type;
  c.payment_id = std::move(payment_id);
  c.issued_at = "2026-01-01T00:00:00.000Z";
  c.data_json = std::move(data_json);
  c.merchant_id = "m1";
  return c;
}

inline std::string payment_data(const std::string& order = "order-1", long amount = 1500) {
  return R"({"order_id":")" + order + R"(","amount":)" + std::to_string(amount) +
         R"(,"currency":"eur","payment_method":"pm_card_visa"})";
}

inline events::CommandEnvelope create_command(const std::string& payment_id, std::string command_id = "cmd-1") {
  return command(events::CommandType::payment_create, std::move(command_id), payment_id, payment_data());
}

// A top-level string field of a JSON object ("" when absent); REQUIREs that the text is JSON.
inline std::string field_of(const std::string& json_text, const char* field) {
  auto doc = json::parse(json_text);
  REQUIRE(doc);
  json::ObjectReader reader(doc.value());
  auto value = reader.string(field);
  return value ? value.value() : std::string();
}

}  // namespace payments::worker::testing
