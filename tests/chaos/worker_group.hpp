#pragma once
// The workers of a chaos case: several payments-worker processes in the stack's consumer group, some of which
// the case kills. Keeps each process's fate, for the promise "no worker died except the ones the test killed".

#include <random>
#include <vector>

#include "support/stack.hpp"

namespace payments::testing {

class WorkerGroup {
 public:
  WorkerGroup(Stack& stack, int size);
  ~WorkerGroup();
  WorkerGroup(const WorkerGroup&) = delete;
  WorkerGroup& operator=(const WorkerGroup&) = delete;

  // SIGKILL to one worker chosen by `random` (no drain, no commit), and a new one in its place.
  void kill_one_and_replace(std::mt19937& random);
  int kills() const { return static_cast<int>(kill_statuses_.size()); }

  // CHECKs that each worker the case killed was running until its SIGKILL (exit status 128 + 9, not an exit
  // of its own before it), that every other one still runs, and that each stops with 0 on SIGTERM.
  void check_only_killed_died();

 private:
  Stack& stack_;
  std::vector<Stack::ExtraWorker> workers_;
  std::vector<int> kill_statuses_;
};

}  // namespace payments::testing
