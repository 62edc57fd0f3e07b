#pragma once
// One-time-code challenges in MySQL: only the keyed hash, never the code. A challenge changes with a
// compare-and-set on its version; the changes that also move the payment (start, verified, expired,
// locked) happen in the same transaction as the payment's transition.

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "payments/core/otp.hpp"
#include "payments/store/database.hpp"
#include "payments/store/payment_repository.hpp"

namespace payments::store {

struct StoredChallenge {
  OtpChallenge challenge;
  std::string channel;
  std::string destination_masked;
  std::uint32_t delivered_seq = 0;  // the last seq whose code reached payment-otp
  std::string last_result;          // the last verify/resend outcome, for /status
  int version = 0;
  int max_resends = 0;              // the policy's cap when the challenge started, for /status
};

class OtpRepository {
 public:
  explicit OtpRepository(Database& database) : database_(database) {}

  Result<std::optional<StoredChallenge>> find(const std::string& payment_id);

  // Moves the payment pending -> otp_required and stores the challenge, in one transaction. False when the
  // payment was no longer at `transition.expected_version` (nothing written).
  Result<bool> start(const Transition& transition, const StoredChallenge& challenge);

  // Replaces the challenge if it is still at `expected_version`, optionally moving the payment in the same
  // transaction. False when another writer got there first.
  Result<bool> update(const StoredChallenge& challenge, int expected_version,
                      const std::optional<Transition>& payment_transition = std::nullopt);

  Status mark_delivered(const std::string& payment_id, std::uint32_t seq);

  // Active challenges whose expiry has passed, oldest first.
  Result<std::vector<StoredChallenge>> due(OtpTime now, int limit);

 private:
  Database& database_;
};

}  // namespace payments::store
