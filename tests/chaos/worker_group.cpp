#include "chaos/worker_group.hpp"

#include <doctest/doctest.h>

#include <csignal>
#include <string>

namespace payments::testing {

WorkerGroup::WorkerGroup(Stack& stack, int size) : stack_(stack) {
  for (int i = 0; i < size; ++i) workers_.push_back(stack_.start_extra_worker());
}

WorkerGroup::~WorkerGroup() {
  for (auto& worker : workers_) worker.process->stop(SIGTERM);
}

void WorkerGroup::kill_one_and_replace(std::mt19937& random) {
  std::uniform_int_distribution<std::size_t> pick(0, workers_.size() - 1);
  auto& victim = workers_[pick(random)];
  kill_statuses_.push_back(victim.process->stop(SIGKILL));
  victim = stack_.start_extra_worker();
}

void WorkerGroup::check_only_killed_died() {
  for (const int status : kill_statuses_) CHECK(status == 128 + SIGKILL);
  for (auto& worker : workers_) {
    const std::string log = worker.process->output();
    CAPTURE(worker.metrics_port);
    INFO("the end of its log: " << log.substr(log.size() > 3000 ? log.size() - 3000 : 0));
    CHECK(worker.process->running());
    CHECK(worker.process->stop(SIGTERM) == 0);
  }
}

}  // namespace payments::testing
