#include "payments/worker/offset_tracker.hpp"

namespace payments::worker {

void OffsetTracker::started(const PartitionKey& partition, std::int64_t offset) {
  auto& state = partitions_[partition];
  if (state.next < 0) state.committed = offset;  // the group's position when this worker took the partition
  if (state.pending.insert(offset).second) ++in_flight_;
  if (offset + 1 > state.next) state.next = offset + 1;
}

std::optional<std::int64_t> OffsetTracker::finished(const PartitionKey& partition, std::int64_t offset) {
  auto it = partitions_.find(partition);
  if (it == partitions_.end()) return std::nullopt;  // revoked meanwhile
  auto& state = it->second;
  if (state.pending.erase(offset) == 0) return std::nullopt;
  --in_flight_;
  const std::int64_t commit_point = state.pending.empty() ? state.next : *state.pending.begin();
  if (commit_point <= state.committed) return std::nullopt;
  state.committed = commit_point;
  return commit_point;
}

void OffsetTracker::forget(const PartitionKey& partition) {
  auto it = partitions_.find(partition);
  if (it == partitions_.end()) return;
  in_flight_ -= it->second.pending.size();
  partitions_.erase(it);
}

std::size_t OffsetTracker::in_flight(const PartitionKey& partition) const {
  auto it = partitions_.find(partition);
  return it == partitions_.end() ? 0 : it->second.pending.size();
}

}  // namespace payments::worker
