#pragma once
// What the worker needs from wherever one-time-code challenges are kept (OtpRepository, or the unit tests'
// fake), and the records it speaks in. Beside the payment store for the reason given in payment_store.hpp.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "payments/core/otp.hpp"
#include "payments/store/payment_store.hpp"

namespace payments::store {

struct StoredChallenge {
  OtpChallenge challenge;
  std::string channel;
  std::string destination_masked;
  std::uint32_t delivered_seq = 0;  // the last seq whose code reached payment-otp
  std::string last_result;          // the last verify/resend outcome, for /status
  int version = 0;
  int max_resends = 0;              // the policy's cap when the challenge started, for /status
  std::string destination_hash;     // OtpHasher::destination_hash; empty for challenges started before it
};

// The per-destination limit a code must fit under: fewer than `max_codes` sent to `destination_hash` at or
// after `since` (now - kOtpDestinationWindow).
struct DestinationLimit {
  int max_codes = 0;
  OtpTime since{};
};

enum class CodeSendOutcome {
  sent,          // written, and the send counted against the destination
  raced,         // the payment or challenge was not at the expected version: nothing written
  rate_limited,  // the destination is at its limit: the refusal was written instead, nothing counted
};

// The challenge operations of command processing; see OtpRepository for what each guarantees.
class OtpStore {
 public:
  virtual ~OtpStore() = default;

  virtual Result<std::optional<StoredChallenge>> find(const std::string& payment_id) = 0;
  virtual Result<CodeSendOutcome> start(const Transition& transition, const StoredChallenge& challenge,
                                        const DestinationLimit& limit, const Transition& refusal) = 0;
  virtual Result<bool> update(const StoredChallenge& challenge, int expected_version,
                              const std::optional<Transition>& payment_transition) = 0;
  virtual Result<CodeSendOutcome> send_code(const StoredChallenge& sent, const StoredChallenge& refused,
                                            int expected_version, const DestinationLimit& limit) = 0;
  virtual Status mark_delivered(const std::string& payment_id, std::uint32_t seq) = 0;
  virtual Result<std::vector<StoredChallenge>> due(OtpTime now, int limit) = 0;

 protected:
  OtpStore() = default;
  OtpStore(const OtpStore&) = default;
  OtpStore& operator=(const OtpStore&) = default;
};

}  // namespace payments::store
