#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <vector>

#include "faults.hpp"

using namespace payments::stripe_sim;

TEST_CASE("the same seed makes the same fault choices") {
  FaultSettings settings;
  settings.fail_rate = 0.2;
  settings.timeout_rate = 0.2;
  settings.rate_limit_rate = 0.2;
  FaultInjector a(settings, 7);
  FaultInjector b(settings, 7);
  std::vector<Fault> first;
  std::vector<Fault> second;
  int faults = 0;
  for (int i = 0; i < 1000; ++i) {
    first.push_back(a.next());
    second.push_back(b.next());
    if (first.back() != Fault::none) ++faults;
  }
  CHECK(first == second);
  CHECK(faults > 450);  // about 600 of 1000
  CHECK(faults < 750);
}

TEST_CASE("rates of 0 and 1 are exact") {
  FaultInjector none({}, 1);
  for (int i = 0; i < 100; ++i) CHECK(none.next() == Fault::none);
  FaultSettings always_429;
  always_429.rate_limit_rate = 1.0;
  always_429.fail_rate = 1.0;
  FaultInjector limited(always_429, 1);
  for (int i = 0; i < 100; ++i) CHECK(limited.next() == Fault::rate_limit);  // rate limiting comes first
}

TEST_CASE("fault settings change at runtime from JSON and restore to the start-up ones") {
  FaultSettings initial;
  initial.latency_ms = 5;
  FaultInjector injector(initial, 1);
  auto parsed = FaultInjector::parse_json(R"({"fail_rate":1,"latency_ms":20})", injector.settings());
  REQUIRE(parsed.has_value());
  injector.set(parsed.value());
  CHECK(injector.next() == Fault::fail);
  CHECK(injector.settings().latency_ms == 20);
  injector.restore_initial();
  CHECK(injector.next() == Fault::none);
  CHECK(injector.settings().latency_ms == 5);

  CHECK(FaultInjector::parse_json(R"({"fail_rate":1.5})", {}).error().field == "fail_rate");
  CHECK(FaultInjector::parse_json(R"({"latency_ms":-1})", {}).error().field == "latency_ms");
  CHECK(FaultInjector::parse_json(R"({"typo_rate":0.1})", {}).error().field == "typo_rate");
  CHECK_FALSE(FaultInjector::parse_json("not json", {}).has_value());
}

TEST_CASE("the rate limit answers 429 beyond N requests a second, like Stripe's") {
  using Clock = payments::TokenBucket::Clock;
  FaultSettings settings;
  settings.rate_limit = 50;
  FaultInjector injector(settings, 1);
  const auto t0 = Clock::now();
  int allowed = 0;
  for (int i = 0; i < 80; ++i) {
    if (injector.next(t0) == Fault::none) ++allowed;
  }
  CHECK(allowed == 50);  // a second's worth at once
  CHECK(injector.next(t0 + std::chrono::milliseconds(20)) == Fault::none);
  CHECK(injector.next(t0 + std::chrono::milliseconds(20)) == Fault::rate_limit);
  CHECK(injector.counts().rate_limited == 31);

  // Off at runtime, on again with a fresh limit; a reset forgets the counts.
  auto off = FaultInjector::parse_json(R"({"rate_limit":0})", injector.settings());
  REQUIRE(off.has_value());
  injector.set(off.value());
  for (int i = 0; i < 100; ++i) CHECK(injector.next(t0 + std::chrono::milliseconds(20)) == Fault::none);
  injector.restore_initial();
  CHECK(injector.counts().rate_limited == 0);
  CHECK(injector.settings().rate_limit == 50);

  CHECK(FaultInjector::parse_json(R"({"rate_limit":-1})", {}).error().field == "rate_limit");
  CHECK(FaultInjector::parse_json(R"({"rate_limit":1.5})", {}).error().field == "rate_limit");
  CHECK(FaultInjector::to_json(settings, FaultCounts{.rate_limited = 3}).find(R"("injected":{"rate_limited":3)") !=
        std::string::npos);
}
