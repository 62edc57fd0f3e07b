#include "support/topic_reader.hpp"

#include <doctest/doctest.h>

#include "support/test_env.hpp"

namespace payments::testing {

std::vector<events::IncomingMessage> read_topics_until(
    const events::KafkaConnection& kafka, const std::vector<std::string>& topics,
    const std::function<bool(const std::vector<events::IncomingMessage>&)>& enough, std::chrono::milliseconds timeout,
    std::chrono::milliseconds linger) {
  using namespace std::chrono_literals;
  auto consumer = events::Consumer::create({.brokers = kafka.brokers,
                                            .client_properties = kafka.client_properties,
                                            .group_id = unique_name("bb-reader"),
                                            .topics = topics});
  REQUIRE_MESSAGE(consumer, (consumer ? "" : consumer.error().message));
  std::vector<events::IncomingMessage> out;
  auto poll = [&](std::chrono::milliseconds wait) {
    auto polled = consumer.value()->poll(wait);
    if (polled && polled.value()) out.push_back(std::move(*polled.value()));
  };
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (!enough(out) && std::chrono::steady_clock::now() < until) poll(200ms);
  const auto lingered = std::chrono::steady_clock::now() + linger;
  while (std::chrono::steady_clock::now() < lingered) poll(100ms);
  consumer.value()->close();
  return out;
}

}  // namespace payments::testing
