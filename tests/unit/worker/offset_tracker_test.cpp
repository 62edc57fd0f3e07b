#include <doctest/doctest.h>

#include "payments/worker/offset_tracker.hpp"

using payments::worker::OffsetTracker;
using payments::worker::PartitionKey;

TEST_CASE("the commit point never passes a record still in flight") {
  OffsetTracker t;
  const PartitionKey p{"payment-commands", 0};
  for (std::int64_t o = 10; o < 15; ++o) t.started(p, o);
  CHECK(t.in_flight() == 5);

  CHECK_FALSE(t.finished(p, 12).has_value());  // 10 and 11 still running
  CHECK_FALSE(t.finished(p, 14).has_value());
  CHECK(t.finished(p, 10) == 11);              // 11 is the lowest unfinished
  CHECK(t.finished(p, 11) == 13);              // 12 was done already
  CHECK(t.finished(p, 13) == 15);              // all done: one past the highest handed out
  CHECK(t.in_flight() == 0);
}

TEST_CASE("partitions are tracked apart, and a revoked one is forgotten") {
  OffsetTracker t;
  const PartitionKey a{"t", 0};
  const PartitionKey b{"t", 1};
  t.started(a, 1);
  t.started(b, 7);
  CHECK(t.finished(b, 7) == 8);
  t.forget(a);
  CHECK(t.in_flight() == 0);
  CHECK_FALSE(t.finished(a, 1).has_value());  // finishing after revocation stores nothing
}

TEST_CASE("finishing the same record twice changes nothing") {
  OffsetTracker t;
  const PartitionKey p{"t", 0};
  t.started(p, 0);
  CHECK(t.finished(p, 0) == 1);
  CHECK_FALSE(t.finished(p, 0).has_value());
}
