#pragma once
// A throwaway Kafka broker of a test's own (KRaft, single node, its own free ports and data directory under the
// build directory), for tests that kill the broker and start it again: the shared broker must stay up for
// every other test. It is the project's own broker, run by `tools/dev/kafka.sh run` with the jars that
// `kafka.sh fetch` keeps in .local/kafka/libs; plain text, no authentication.

#include <csignal>
#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include <doctest/doctest.h>

#include "payments/events/kafka.hpp"
#include "support/http_client.hpp"
#include "support/process.hpp"
#include "support/test_env.hpp"

namespace payments::testing {

class ScratchKafka {
 public:
  ScratchKafka()
      : dir_(std::filesystem::path(PAYMENTS_BINARY_DIR) / "scratch" / unique_name("kafka")),
        port_(free_port()),
        controller_port_(free_port()) {
    std::filesystem::create_directories(dir_ / "logs");
  }
  ~ScratchKafka() {
    broker_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  ScratchKafka(const ScratchKafka&) = delete;
  ScratchKafka& operator=(const ScratchKafka&) = delete;

  // Starts the broker (again, after kill(): same data, same ports) and waits until it answers a metadata
  // request. The first start formats the storage.
  void start() {
    // kafka.sh execs the JVM, so this process is the broker itself and kill() reaches it.
    broker_ = std::make_unique<ChildProcess>(
        "/bin/bash", std::vector<std::string>{source_dir() + "/tools/dev/kafka.sh", "run"},
        std::map<std::string, std::string>{
            {"KAFKA_DIR", dir_.string()},
            {"KAFKA_BROKERS", brokers()},
            {"KAFKA_CONTROLLER_PORT", std::to_string(controller_port_)},
            // Small and quick to start: a test's broker holds a few topics for a minute.
            {"KAFKA_JVM_OPTS", "-Xms64m -Xmx384m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xshare:auto"}},
        (dir_ / "logs" / "stdout.log").string());
    const events::KafkaConnection connection{brokers(), {}};
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(90);
    while (std::chrono::steady_clock::now() < until) {
      REQUIRE_MESSAGE(broker_->running(), "the scratch Kafka broker exited: " << log_tail());
      if (events::probe(connection, std::chrono::seconds(1))) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    FAIL("the scratch Kafka broker on " << brokers() << " never answered: " << log_tail());
  }
  // SIGKILL: the broker dies mid-whatever, as in a crash or the loss of its machine.
  void kill() { broker_->stop(SIGKILL); }

  std::string brokers() const { return "127.0.0.1:" + std::to_string(port_); }
  // KAFKA_BROKERS for a Stack (StackOptions::kafka_env).
  std::map<std::string, std::string> env() const { return {{"KAFKA_BROKERS", brokers()}}; }

 private:
  std::string log_tail() const {
    const std::string out = broker_ ? broker_->output() : "";
    return out.size() > 2000 ? out.substr(out.size() - 2000) : out;
  }

  std::filesystem::path dir_;
  std::uint16_t port_;
  std::uint16_t controller_port_;
  std::unique_ptr<ChildProcess> broker_;
};

}  // namespace payments::testing
