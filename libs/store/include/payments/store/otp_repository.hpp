#pragma once
// One-time-code challenges in MySQL: only the keyed hash, never the code. A challenge changes with a
// compare-and-set on its version; the changes that also move the payment (start, verified, expired,
// locked) happen in the same transaction as the payment's transition.
//
// Every code sent is also a row of otp_destination_sends (destination hash, payment, seq, when), so the
// codes sent to one destination across all payments can be counted. The writes that send a code (start,
// send_code) decide "under the limit?" and record the send atomically; see otp_repository.cpp.

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "payments/core/otp.hpp"
#include "payments/store/database.hpp"
#include "payments/store/payment_repository.hpp"
#include "payments/store/otp_store.hpp"

namespace payments::store {

class OtpRepository final : public OtpStore {
 public:
  explicit OtpRepository(Database& database) : database_(database) {}

  Result<std::optional<StoredChallenge>> find(const std::string& payment_id) override;

  // The first code of a payment, in one transaction with the destination's count: under the limit, moves the
  // payment by `transition` (pending -> otp_required), stores the challenge and counts its code (sent); at
  // the limit, applies `refusal` instead (pending -> failed with otp_rate_limited and its event) and stores
  // no challenge (rate_limited). raced when the payment was no longer at the expected version.
  Result<CodeSendOutcome> start(const Transition& transition, const StoredChallenge& challenge,
                                const DestinationLimit& limit, const Transition& refusal) override;

  // Replaces the challenge if it is still at `expected_version`, optionally moving the payment in the same
  // transaction. False when another writer got there first.
  Result<bool> update(const StoredChallenge& challenge, int expected_version,
                      const std::optional<Transition>& payment_transition = std::nullopt) override;

  // A new code for an existing challenge (resend, re-issue), in one transaction with the destination's
  // count: if the challenge is still at `expected_version`, stores `sent` (its new seq and code hash) and
  // counts the code when under the limit, or stores `refused` (the same code, another last_result) at it.
  Result<CodeSendOutcome> send_code(const StoredChallenge& sent, const StoredChallenge& refused,
                                    int expected_version, const DestinationLimit& limit) override;

  // How many codes went to the destination at or after `since`, across all payments (what the limit counts).
  // Public so that the API can refuse a resend early; the worker's start/send_code decide for good.
  Result<int> codes_sent_since(const std::string& destination_hash, OtpTime since);

  Status mark_delivered(const std::string& payment_id, std::uint32_t seq) override;

  // Active challenges whose expiry has passed, oldest first.
  Result<std::vector<StoredChallenge>> due(OtpTime now, int limit) override;

 private:
  Database& database_;
};

}  // namespace payments::store
