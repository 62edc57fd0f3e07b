#pragma once
// The named lock every schema change and data step takes, so that two `payments-admin migrate` runs never
// interleave: held from construction (waiting up to 60 s for another run) until destruction.

#include <soci/soci.h>

#include "payments/core/result.hpp"

namespace payments::store::detail {

class MigrationLock {
 public:
  explicit MigrationLock(soci::session& sql) : sql_(sql) {
    int locked = 0;
    sql_ << "SELECT GET_LOCK('payments.schema_migrations', 60)", soci::into(locked);
    held_ = locked == 1;
  }
  ~MigrationLock() {
    if (!held_) return;
    try {
      sql_ << "DO RELEASE_LOCK('payments.schema_migrations')";
    } catch (...) {  // the session is gone, and the server released the lock with it
    }
  }
  MigrationLock(const MigrationLock&) = delete;
  MigrationLock& operator=(const MigrationLock&) = delete;

  [[nodiscard]] bool held() const noexcept { return held_; }
  static Error busy() { return Error::unavailable("another migration run holds the lock for over 60 s"); }

 private:
  soci::session& sql_;
  bool held_ = false;
};

}  // namespace payments::store::detail
