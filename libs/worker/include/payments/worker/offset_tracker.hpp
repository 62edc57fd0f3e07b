#pragma once
// Which offset of each partition may be committed while records finish out of order: the lowest offset
// not yet done. A record finishing never lets the commit point pass one still in flight, so a crash
// redelivers every unfinished record (and possibly some finished ones, which handlers treat idempotently).

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>

namespace payments::worker {

struct PartitionKey {
  std::string topic;
  std::int32_t partition = 0;
  friend auto operator<=>(const PartitionKey&, const PartitionKey&) = default;
};

class OffsetTracker {
 public:
  // A record was handed out for processing.
  void started(const PartitionKey& partition, std::int64_t offset);
  // The record is fully done. Returns the new commit point of its partition when it moved.
  std::optional<std::int64_t> finished(const PartitionKey& partition, std::int64_t offset);
  // The partition was revoked: forget it (its new owner resumes from the last stored commit point).
  void forget(const PartitionKey& partition);

  [[nodiscard]] std::size_t in_flight() const noexcept { return in_flight_; }
  [[nodiscard]] std::size_t in_flight(const PartitionKey& partition) const;

 private:
  struct State {
    std::set<std::int64_t> pending;
    std::int64_t next = -1;       // one past the highest offset handed out
    std::int64_t committed = -1;  // last commit point returned
  };
  std::map<PartitionKey, State> partitions_;
  std::size_t in_flight_ = 0;
};

}  // namespace payments::worker
