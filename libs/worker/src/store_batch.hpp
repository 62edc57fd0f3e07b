#pragma once
// What the flows' group commits (runtime::Batcher) share: their size, and store calls made unable to throw.

#include <cstddef>
#include <exception>
#include <string>
#include <utility>
#include <vector>

#include "payments/core/result.hpp"

namespace payments::worker {

// Writes per group commit: enough to share one commit among a busy second's worth, few enough that one
// transaction holds its row locks briefly.
constexpr std::size_t kMaxBatch = 128;

// A batch's store call, made unable to throw: Batcher runs it on a pool thread, where an exception would end
// the process. One that escapes the store (a conversion, an allocation) fails each command of the batch as
// internal, which the failure policy retries a few times and then gives up.
template <typename Outcome, typename Item, typename Flush>
auto never_throwing(Flush flush) {
  return [flush = std::move(flush)](const std::vector<Item>& items) -> std::vector<Outcome> {
    try {
      return flush(items);
    } catch (const std::exception& e) {
      return std::vector<Outcome>(items.size(), Outcome(Error::internal(std::string("store call threw: ") + e.what())));
    }
  };
}

}  // namespace payments::worker
