#pragma once
// Readiness as last seen. Each dependency's check is a blocking call (a metadata request over the producer's
// connections, the database pool's health); each runs on a thread of its own, once per `interval`, and /ready
// only reads the answers. So /ready never waits on Kafka or MySQL on an I/O thread, and a check that hangs (a
// server that stopped answering without closing the connection) holds up neither /ready nor the other checks:
// an answer older than `stale_after` counts as a failure.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "payments/core/result.hpp"

namespace payments::api {

class Readiness {
 public:
  struct Check {
    std::string name;              // "kafka", "mysql": the key in the admin listener's /ready
    std::function<Status()> test;  // blocking; Ok when the dependency answers; none: always Ok
  };
  struct Options {
    std::chrono::milliseconds interval{1000};
    std::chrono::milliseconds stale_after{10'000};
  };
  struct Answer {
    std::string name;
    Status status;
  };

  // Runs every check once before returning, so the first /ready already knows, then keeps them running.
  Readiness(std::vector<Check> checks, Options options);
  // Stops the checks; waits for one running to return.
  ~Readiness();
  Readiness(const Readiness&) = delete;
  Readiness& operator=(const Readiness&) = delete;

  // The latest answer of each check, in the order given. Never blocks on a check.
  [[nodiscard]] std::vector<Answer> answers() const;

 private:
  struct Slot {
    Check check;
    Status last = Ok{};
    std::chrono::steady_clock::time_point at;
  };
  void keep_checking(Slot& slot);

  Options options_;
  std::vector<std::unique_ptr<Slot>> slots_;
  mutable std::mutex mutex_;
  std::condition_variable stop_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace payments::api
