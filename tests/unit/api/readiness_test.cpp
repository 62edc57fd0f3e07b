// /ready's view of the dependencies: checks run off the caller's thread, their answers follow the dependency
// both ways within a check interval or two, and a check that hangs neither blocks the reader nor stays "ok".
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <thread>

#include "payments/api/readiness.hpp"

using namespace payments;
using namespace payments::api;
using namespace std::chrono_literals;

namespace {

// Polls `condition` until it holds or `timeout` passes.
template <typename F>
bool within(std::chrono::milliseconds timeout, F condition) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return condition();
}

}  // namespace

TEST_CASE("the first answer is there at once, and the answers follow a dependency going down and coming back") {
  std::atomic<bool> up{true};
  Readiness readiness({{"mysql", [&]() -> Status { return up ? Status(Ok{}) : Error::unavailable("mysql down"); }},
                       {"kafka", {}}},
                      {.interval = 20ms, .stale_after = 5s});
  auto answers = readiness.answers();
  REQUIRE(answers.size() == 2);
  CHECK(answers[0].name == "mysql");
  CHECK(answers[0].status);
  CHECK(answers[1].name == "kafka");
  CHECK(answers[1].status);  // no check: nothing to wait for

  up = false;
  CHECK(within(1s, [&] {
    const auto now = readiness.answers();
    return !now[0].status && now[0].status.error().message == "mysql down";
  }));
  CHECK(readiness.answers()[1].status);  // one dependency down says nothing about the other
  up = true;
  CHECK(within(1s, [&] { return readiness.answers()[0].status.has_value(); }));
}

TEST_CASE("a check that hangs blocks neither the reader nor the other checks, and turns into a failure") {
  std::atomic<int> calls{0};
  std::promise<void> release;
  const std::shared_future<void> released = release.get_future().share();
  std::atomic<int> other_calls{0};
  Readiness readiness({{"mysql",
                        [&]() -> Status {
                          if (calls++ > 0) released.wait();  // the first answer comes; the next check hangs
                          return Ok{};
                        }},
                       {"kafka", [&]() -> Status {
                          ++other_calls;
                          return Ok{};
                        }}},
                      {.interval = 10ms, .stale_after = 600ms});
  CHECK(within(1s, [&] { return calls.load() >= 2; }));  // hanging now

  const auto before = std::chrono::steady_clock::now();
  CHECK(readiness.answers()[0].status);  // still fresh
  CHECK(std::chrono::steady_clock::now() - before < 250ms);  // the hung check would take forever

  const int seen = other_calls.load();
  CHECK(within(1s, [&] { return other_calls.load() > seen + 3; }));
  CHECK(within(2s, [&] {
    const auto now = readiness.answers();
    return !now[0].status && now[0].status.error().code == ErrorCode::unavailable;
  }));
  CHECK(readiness.answers()[0].status.error().message.find("no answer from the mysql check") != std::string::npos);
  CHECK(readiness.answers()[1].status);
  release.set_value();
  CHECK(within(1s, [&] { return readiness.answers()[0].status.has_value(); }));
}
