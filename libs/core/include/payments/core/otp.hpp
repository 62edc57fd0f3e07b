#pragma once
// The one-time-code step-up of a payment (`"otp": {"channel", "destination"}` in the payment body), as pure
// domain logic: no clock, no I/O, no OpenSSL. Time comes in as `now`, randomness through a RandomSource and
// the keyed hash through an injected HMAC function, so every rule here is tested deterministically.
//
// Policy (NIST SP 800-63B 5.1.3/5.2.2 and OWASP ASVS V2.7):
// - A code is `digits` (default 6) decimal digits drawn uniformly from a CSPRNG by rejection sampling (no
//   modulo bias); leading zeros are kept ("004217" is a code). It leaves this module only in the `code`
//   member of what `issue`/`resend` return, for publishing on the `payment-otp` topic; it is never stored.
// - What is stored (OtpChallenge) holds only `code_hash` = hex HMAC-SHA256 under OTP_SECRET of
//   "otp-v1:<payment_id>:<seq>:<code>". The payment id binds a code to the payment it was issued for; `seq`
//   (1 for the first code, +1 per resend) binds it to one issue, so a resent code replaces the old one.
//   Someone who reads the database cannot try the 10^6 codes offline without the key.
// - A code is good for `ttl` (default 5 minutes; at most 10 allowed) and expires at exactly `expires_at`
//   (`now >= expires_at` is expired). It is single use: once verified the challenge accepts nothing more.
// - `max_attempts` (default 5) wrong codes per payment in total; the last one locks the challenge and the
//   payment fails with `otp_attempts_exceeded`. A resend does NOT restore attempts, or each resend would
//   hand a brute-forcer a fresh batch of guesses.
// - A submitted code that is not exactly `digits` ASCII digits (no spaces, no signs, no other characters;
//   callers that want to accept "123 456" strip the space before calling) is refused as `malformed` WITHOUT
//   consuming an attempt: it cannot be the code, so it teaches a guesser nothing, and a user's typo in the
//   form should not cost them the payment. Request volume is limited at the API (rate limits), not here.
// - Resends: at most `max_resends` (default 5) after the first code, at least `resend_cooldown` (default
//   30 s) apart. A resend issues a new code (new seq, the old code stops working), extends the expiry to
//   now + ttl and keeps the attempt count. The cap is checked before the cooldown, so a caller who may never
//   resend again is not told to retry later.
// - Per destination, across ALL payments: at most `max_codes_per_destination_per_hour` (default 10) codes
//   in any rolling hour (kOtpDestinationWindow), so nobody can flood a phone or a mailbox by creating
//   payments. The count lives in MySQL (store::OtpRepository), keyed by OtpHasher::destination_hash, so every
//   worker and API instance agrees; this module only holds the setting.
// - Hashes are compared in constant time.
// - Failure codes for the payment (`failure.code`): `otp_expired`, `otp_attempts_exceeded`, and
//   `otp_rate_limited` when the destination is over its hourly limit before the first code is sent.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "payments/core/config.hpp"
#include "payments/core/random.hpp"
#include "payments/core/result.hpp"

namespace payments {

using OtpTime = std::chrono::system_clock::time_point;

// `failure.code` of a payment whose challenge ended without a verified code.
inline constexpr std::string_view kOtpExpired = "otp_expired";
inline constexpr std::string_view kOtpAttemptsExceeded = "otp_attempts_exceeded";
// The destination had max_codes_per_destination_per_hour codes in the last kOtpDestinationWindow.
inline constexpr std::string_view kOtpRateLimited = "otp_rate_limited";

// The rolling window of OtpPolicy::max_codes_per_destination_per_hour.
inline constexpr std::chrono::hours kOtpDestinationWindow{1};

struct OtpPolicy {
  int digits = 6;                                   // 6..9
  std::chrono::seconds ttl{std::chrono::minutes(5)};  // 1 s .. 10 min
  int max_attempts = 5;                             // 1..10 wrong codes in total per challenge
  std::chrono::seconds resend_cooldown{30};         // 0 .. ttl
  int max_resends = 5;                              // 0..10 resends after the first code
  int max_codes_per_destination_per_hour = 10;      // 1..1000 codes to one destination, all payments
};

// Rejects a policy outside the ranges above (NIST: at least 6 digits, expiry within 10 minutes, attempts
// limited). The error's field is "otp_policy".
Status validate_otp_policy(const OtpPolicy& policy);

// The keyed hash of codes. Holds OTP_SECRET and an HMAC-SHA256 function (lower-case hex), injected because
// core depends on the standard library only; production passes payments::crypto::hmac_sha256_hex.
class OtpHasher {
 public:
  using Hmac = std::function<std::string(std::string_view key, std::string_view data)>;

  // The key must be at least this long: with only 10^6 codes, the key is all that stops an offline search.
  static constexpr std::size_t kMinKeyLength = 16;

  // Fails (field "OTP_SECRET") when the key is shorter than kMinKeyLength, or (internal) when hmac is empty.
  static Result<OtpHasher> create(Secret key, Hmac hmac);

  // Hex HMAC of "otp-v1:<payment_id>:<seq>:<code>".
  [[nodiscard]] std::string hash(std::string_view payment_id, std::uint32_t seq, std::string_view code) const;

  // Hex HMAC of "otp-dest-v1:<channel>:<normalize_otp_destination(channel, destination)>": what codes are
  // counted under per destination, so the destination itself is never stored in clear. The prefix differs
  // from the code hash's, so no code hash input can ever equal a destination hash input.
  [[nodiscard]] std::string destination_hash(std::string_view channel, std::string_view destination) const;

 private:
  OtpHasher(Secret key, Hmac hmac) : key_(std::move(key)), hmac_(std::move(hmac)) {}
  Secret key_;
  Hmac hmac_;
};

enum class OtpState {
  active,    // waiting for the code
  verified,  // the right code was given; the payment may be charged
  expired,   // no right code before expires_at; the payment fails with otp_expired
  locked,    // max_attempts wrong codes; the payment fails with otp_attempts_exceeded
};

// "active", "verified", "expired", "locked" (the stored form).
std::string_view to_string(OtpState state) noexcept;
std::optional<OtpState> parse_otp_state(std::string_view text) noexcept;

// One payment's challenge: exactly what is stored (MySQL). There is deliberately no field for the code.
struct OtpChallenge {
  std::string payment_id;
  std::string code_hash;    // hex HMAC, see OtpHasher::hash
  std::uint32_t seq = 0;    // 1 for the first code, +1 per resend; part of the hashed string
  OtpTime issued_at{};      // when the first code was issued
  OtpTime expires_at{};     // the current code is refused from this instant on
  int attempts_left = 0;    // wrong codes still allowed; never reset
  int resends_used = 0;
  OtpTime last_sent_at{};   // when the current code was issued (the cooldown counts from here)
  OtpState state = OtpState::active;

  friend bool operator==(const OtpChallenge&, const OtpChallenge&) = default;
};

// The failure code of a finished challenge: otp_expired for expired, otp_attempts_exceeded for locked,
// nullopt for active and verified.
std::optional<std::string_view> otp_failure_code(const OtpChallenge& challenge) noexcept;

// A new challenge and its code. `code` is for the payment-otp message only: never log or store it.
struct OtpIssued {
  OtpChallenge challenge;
  std::string code;
};

// Starts the challenge for `payment_id` (which must keep the external id rule). Fails on an invalid payment
// id or policy, or (internal) if the random source or the hasher misbehaves.
Result<OtpIssued> issue_otp(std::string_view payment_id, const OtpPolicy& policy, OtpTime now,
                            RandomSource& random, const OtpHasher& hasher);

enum class OtpResendRefusal {
  too_soon,    // "otp_resend_too_soon": within resend_cooldown of the last code; see retry_after
  limit,       // "otp_resend_limit": max_resends used
  not_active,  // "otp_not_active": verified, expired (also when it just ran out) or locked
};
std::string_view to_string(OtpResendRefusal refusal) noexcept;

struct OtpResendOutcome {
  // What to store. When resent: the new code's hash and seq, expiry now+ttl, resends_used+1, attempts kept.
  // When refused: unchanged, except an active challenge past its expiry becomes expired (persist it and fail
  // the payment with otp_expired).
  OtpChallenge challenge;
  std::optional<std::string> code;          // the new code, only when resent
  std::optional<OtpResendRefusal> refusal;  // set exactly when not resent
  std::chrono::seconds retry_after{0};      // for too_soon: whole seconds until a resend is allowed (>= 1)

  [[nodiscard]] bool resent() const noexcept { return code.has_value(); }
};

// A new code for the same payment. Checks in order: not active (or expired by now), limit, cooldown.
// Fails only on an invalid policy or a misbehaving random source or hasher.
Result<OtpResendOutcome> resend_otp(const OtpChallenge& challenge, const OtpPolicy& policy, OtpTime now,
                                    RandomSource& random, const OtpHasher& hasher);

enum class OtpVerifyResult {
  verified,           // right code in time; state verified
  wrong_code,         // attempts_left decremented, still active
  malformed,          // not `digits` ASCII digits; nothing changed, no attempt used
  expired,            // now >= expires_at; state expired
  attempts_exceeded,  // this wrong code used the last attempt; state locked
  not_active,         // already verified, expired or locked; nothing changed
};
// "verified", "wrong_code", "malformed", "expired", "attempts_exceeded", "not_active".
std::string_view to_string(OtpVerifyResult result) noexcept;

struct OtpVerifyOutcome {
  OtpChallenge challenge;  // what to store
  OtpVerifyResult result = OtpVerifyResult::not_active;

  [[nodiscard]] int attempts_left() const noexcept { return challenge.attempts_left; }
};

// Checks a submitted code. Order: not active, expired, malformed, then the constant-time hash comparison.
// `policy` gives the code length; pass the one the code was issued under.
OtpVerifyOutcome verify_otp(const OtpChallenge& challenge, std::string_view submitted_code,
                            const OtpPolicy& policy, OtpTime now, const OtpHasher& hasher);

// For the sweeper: the challenge moved to expired when it is active and now >= expires_at, else nullopt
// (nothing to store, no payment to fail).
std::optional<OtpChallenge> expire_otp_if_due(const OtpChallenge& challenge, OtpTime now);

// A uniformly random code of `digits` (1..9) decimal digits, leading zeros kept: 4 bytes at a time read as a
// big-endian integer, values at or above the largest multiple of 10^digits below 2^32 rejected and redrawn.
// Fails (internal) after 64 rejections in a row, which a working CSPRNG never produces.
Result<std::string> generate_otp_code(int digits, RandomSource& random);

// True when `code` is exactly `digits` ASCII digits.
bool is_well_formed_otp_code(std::string_view code, int digits) noexcept;

// Compares without an early exit on the contents, so the time taken does not reveal where two secrets
// differ (only whether their lengths differ). Standard library only, for core.
bool constant_time_equal(std::string_view a, std::string_view b) noexcept;

// The destination as it is counted: ASCII whitespace trimmed from both ends, and for "email" lower-cased
// (ASCII), so "Pat@Example.com " and "pat@example.com" are one mailbox.
std::string normalize_otp_destination(std::string_view channel, std::string_view destination);

// Where a code went, without revealing it, for status and logs:
// - "sms": the first 2 and last 4 characters kept, the rest '*' ("+15555550123" -> "+1******0123"); numbers
//   shorter than 10 characters keep only their last 2; 6 or fewer are all '*'. Anything but ASCII: "***".
// - "email": the first character of the local part, "***", then '@' and the domain
//   ("pat@example.com" -> "p***@example.com"); the star count does not reveal the local part's length.
// - anything else, or an address that is not local@domain: "***".
std::string mask_otp_destination(std::string_view channel, std::string_view destination);

}  // namespace payments
