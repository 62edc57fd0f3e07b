#include "payments/core/otp.hpp"

#include <algorithm>
#include <array>
#include <utility>

#include "payments/core/ids.hpp"

namespace payments {
namespace {

constexpr int kMinDigits = 6;
constexpr int kMaxDigits = 9;  // 10^9 < 2^32, so one 32-bit draw covers every code
constexpr std::chrono::seconds kMaxTtl = std::chrono::minutes(10);
constexpr int kMaxAttemptsLimit = 10;
constexpr int kMaxResendsLimit = 10;
constexpr int kMaxRejections = 64;
constexpr int kMaxCodesPerDestinationLimit = 1000;
// Domain separation: OTP_SECRET keys the codes and the destinations, each under its own versioned prefix, so
// one hash can never stand for the other.
constexpr std::string_view kHashPrefix = "otp-v1:";
constexpr std::string_view kDestinationHashPrefix = "otp-dest-v1:";

bool is_ascii_space(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

std::uint32_t pow10(int digits) noexcept {
  std::uint32_t value = 1;
  for (int i = 0; i < digits; ++i) value *= 10U;
  return value;
}

struct NewCode {
  std::string code;
  std::string hash;
};

Result<NewCode> new_code(std::string_view payment_id, std::uint32_t seq, const OtpPolicy& policy,
                         RandomSource& random, const OtpHasher& hasher) {
  auto code = generate_otp_code(policy.digits, random);
  if (!code) return std::move(code).error();
  auto hash = hasher.hash(payment_id, seq, code.value());
  // An empty hash would make every later comparison meaningless; refuse to store one.
  if (hash.empty()) return Error::internal("the OTP hasher returned an empty hash");
  return NewCode{std::move(code).value(), std::move(hash)};
}

OtpResendOutcome refused(OtpChallenge challenge, OtpResendRefusal reason,
                         std::chrono::seconds retry_after = std::chrono::seconds(0)) {
  OtpResendOutcome outcome;
  outcome.challenge = std::move(challenge);
  outcome.refusal = reason;
  outcome.retry_after = retry_after;
  return outcome;
}

}  // namespace

Status validate_otp_policy(const OtpPolicy& policy) {
  if (policy.digits < kMinDigits || policy.digits > kMaxDigits) {
    return Error::validation("otp_policy", "digits must be 6 to 9");
  }
  if (policy.ttl < std::chrono::seconds(1) || policy.ttl > kMaxTtl) {
    return Error::validation("otp_policy", "ttl must be 1 second to 10 minutes");
  }
  if (policy.max_attempts < 1 || policy.max_attempts > kMaxAttemptsLimit) {
    return Error::validation("otp_policy", "max_attempts must be 1 to 10");
  }
  if (policy.resend_cooldown < std::chrono::seconds(0) || policy.resend_cooldown > policy.ttl) {
    return Error::validation("otp_policy", "resend_cooldown must be 0 to ttl");
  }
  if (policy.max_resends < 0 || policy.max_resends > kMaxResendsLimit) {
    return Error::validation("otp_policy", "max_resends must be 0 to 10");
  }
  if (policy.max_codes_per_destination_per_hour < 1 ||
      policy.max_codes_per_destination_per_hour > kMaxCodesPerDestinationLimit) {
    return Error::validation("otp_policy", "max_codes_per_destination_per_hour must be 1 to 1000");
  }
  return Ok{};
}

Result<OtpHasher> OtpHasher::create(Secret key, Hmac hmac) {
  if (key.reveal().size() < kMinKeyLength) {
    return Error::validation("OTP_SECRET", "must be at least 16 characters (use 32 or more random bytes)");
  }
  if (!hmac) return Error::internal("no HMAC function given for one-time codes");
  return OtpHasher(std::move(key), std::move(hmac));
}

std::string OtpHasher::hash(std::string_view payment_id, std::uint32_t seq, std::string_view code) const {
  std::string data;
  data.reserve(kHashPrefix.size() + payment_id.size() + code.size() + 12);
  data.append(kHashPrefix).append(payment_id).append(":").append(std::to_string(seq));
  data.append(":").append(code);
  return hmac_(key_.reveal(), data);
}

std::string OtpHasher::destination_hash(std::string_view channel, std::string_view destination) const {
  const std::string normalized = normalize_otp_destination(channel, destination);
  std::string data;
  data.reserve(kDestinationHashPrefix.size() + channel.size() + 1 + normalized.size());
  data.append(kDestinationHashPrefix).append(channel).append(":").append(normalized);
  return hmac_(key_.reveal(), data);
}

std::string_view to_string(OtpState state) noexcept {
  switch (state) {
    case OtpState::active: return "active";
    case OtpState::verified: return "verified";
    case OtpState::expired: return "expired";
    case OtpState::locked: return "locked";
  }
  return "active";
}

std::optional<OtpState> parse_otp_state(std::string_view text) noexcept {
  for (const auto state : {OtpState::active, OtpState::verified, OtpState::expired, OtpState::locked}) {
    if (to_string(state) == text) return state;
  }
  return std::nullopt;
}

std::optional<std::string_view> otp_failure_code(const OtpChallenge& challenge) noexcept {
  switch (challenge.state) {
    case OtpState::expired: return kOtpExpired;
    case OtpState::locked: return kOtpAttemptsExceeded;
    case OtpState::active:
    case OtpState::verified: break;
  }
  return std::nullopt;
}

std::string_view to_string(OtpResendRefusal refusal) noexcept {
  switch (refusal) {
    case OtpResendRefusal::too_soon: return "otp_resend_too_soon";
    case OtpResendRefusal::limit: return "otp_resend_limit";
    case OtpResendRefusal::not_active: return "otp_not_active";
  }
  return "otp_not_active";
}

std::string_view to_string(OtpVerifyResult result) noexcept {
  switch (result) {
    case OtpVerifyResult::verified: return "verified";
    case OtpVerifyResult::wrong_code: return "wrong_code";
    case OtpVerifyResult::malformed: return "malformed";
    case OtpVerifyResult::expired: return "expired";
    case OtpVerifyResult::attempts_exceeded: return "attempts_exceeded";
    case OtpVerifyResult::not_active: return "not_active";
  }
  return "not_active";
}

Result<OtpIssued> issue_otp(std::string_view payment_id, const OtpPolicy& policy, OtpTime now,
                            RandomSource& random, const OtpHasher& hasher) {
  if (!is_valid_external_id(payment_id)) {
    return Error::validation("payment_id", "must be 1 to 64 characters of letters, digits, '_' or '-'");
  }
  if (auto valid = validate_otp_policy(policy); !valid) return std::move(valid).error();

  constexpr std::uint32_t kFirstSeq = 1;
  auto fresh = new_code(payment_id, kFirstSeq, policy, random, hasher);
  if (!fresh) return std::move(fresh).error();

  OtpIssued issued;
  issued.challenge.payment_id = std::string(payment_id);
  issued.challenge.code_hash = std::move(fresh.value().hash);
  issued.challenge.seq = kFirstSeq;
  issued.challenge.issued_at = now;
  issued.challenge.expires_at = now + policy.ttl;
  issued.challenge.attempts_left = policy.max_attempts;
  issued.challenge.resends_used = 0;
  issued.challenge.last_sent_at = now;
  issued.challenge.state = OtpState::active;
  issued.code = std::move(fresh.value().code);
  return issued;
}

Result<OtpResendOutcome> resend_otp(const OtpChallenge& challenge, const OtpPolicy& policy, OtpTime now,
                                    RandomSource& random, const OtpHasher& hasher) {
  if (auto valid = validate_otp_policy(policy); !valid) return std::move(valid).error();

  if (challenge.state != OtpState::active) return refused(challenge, OtpResendRefusal::not_active);
  if (now >= challenge.expires_at) {
    // It ran out before anyone swept it: record that, and do not revive a payment that has failed.
    OtpChallenge expired = challenge;
    expired.state = OtpState::expired;
    return refused(std::move(expired), OtpResendRefusal::not_active);
  }
  if (challenge.resends_used >= policy.max_resends) return refused(challenge, OtpResendRefusal::limit);

  const auto elapsed = now - challenge.last_sent_at;  // negative if clocks disagree: still too soon
  if (policy.resend_cooldown > std::chrono::seconds(0) && elapsed < policy.resend_cooldown) {
    auto wait = std::chrono::ceil<std::chrono::seconds>(policy.resend_cooldown - elapsed);
    wait = std::clamp(wait, std::chrono::seconds(1), policy.resend_cooldown);
    return refused(challenge, OtpResendRefusal::too_soon, wait);
  }

  const std::uint32_t seq = challenge.seq + 1U;
  auto fresh = new_code(challenge.payment_id, seq, policy, random, hasher);
  if (!fresh) return std::move(fresh).error();

  OtpResendOutcome outcome;
  outcome.challenge = challenge;
  outcome.challenge.code_hash = std::move(fresh.value().hash);
  outcome.challenge.seq = seq;
  outcome.challenge.expires_at = now + policy.ttl;
  outcome.challenge.resends_used = challenge.resends_used + 1;
  outcome.challenge.last_sent_at = now;
  // attempts_left deliberately unchanged.
  outcome.code = std::move(fresh.value().code);
  return outcome;
}

OtpVerifyOutcome verify_otp(const OtpChallenge& challenge, std::string_view submitted_code,
                            const OtpPolicy& policy, OtpTime now, const OtpHasher& hasher) {
  OtpVerifyOutcome outcome{challenge, OtpVerifyResult::not_active};
  auto& next = outcome.challenge;

  if (challenge.state != OtpState::active) return outcome;
  if (now >= challenge.expires_at) {
    next.state = OtpState::expired;
    outcome.result = OtpVerifyResult::expired;
    return outcome;
  }
  if (!is_well_formed_otp_code(submitted_code, policy.digits)) {
    outcome.result = OtpVerifyResult::malformed;
    return outcome;
  }
  if (challenge.attempts_left <= 0) {  // not reachable through these functions; a stored row could say so
    next.attempts_left = 0;
    next.state = OtpState::locked;
    outcome.result = OtpVerifyResult::attempts_exceeded;
    return outcome;
  }

  const std::string expected = hasher.hash(challenge.payment_id, challenge.seq, submitted_code);
  const bool match =
      !expected.empty() && !challenge.code_hash.empty() && constant_time_equal(expected, challenge.code_hash);
  if (match) {
    next.state = OtpState::verified;
    outcome.result = OtpVerifyResult::verified;
    return outcome;
  }

  next.attempts_left = challenge.attempts_left - 1;
  if (next.attempts_left == 0) {
    next.state = OtpState::locked;
    outcome.result = OtpVerifyResult::attempts_exceeded;
  } else {
    outcome.result = OtpVerifyResult::wrong_code;
  }
  return outcome;
}

std::optional<OtpChallenge> expire_otp_if_due(const OtpChallenge& challenge, OtpTime now) {
  if (challenge.state != OtpState::active || now < challenge.expires_at) return std::nullopt;
  OtpChallenge expired = challenge;
  expired.state = OtpState::expired;
  return expired;
}

Result<std::string> generate_otp_code(int digits, RandomSource& random) {
  if (digits < 1 || digits > kMaxDigits) return Error::internal("one-time codes have 1 to 9 digits");
  const std::uint32_t range = pow10(digits);
  constexpr std::uint64_t kSpace = std::uint64_t{1} << 32U;
  // The largest multiple of `range` that fits in 32 bits; draws at or above it would favour small codes.
  const auto limit = static_cast<std::uint64_t>(kSpace / range * range);

  std::array<std::uint8_t, 4> bytes{};
  for (int attempt = 0; attempt < kMaxRejections; ++attempt) {
    random.fill(bytes);
    std::uint64_t value = 0;
    for (const auto b : bytes) value = (value << 8U) | b;
    if (value >= limit) continue;
    auto number = static_cast<std::uint32_t>(value % range);
    std::string code(static_cast<std::size_t>(digits), '0');
    for (auto i = code.size(); i > 0 && number > 0; --i) {
      code[i - 1] = static_cast<char>('0' + number % 10U);
      number /= 10U;
    }
    return code;
  }
  return Error::internal("the random source keeps returning out-of-range values");
}

bool is_well_formed_otp_code(std::string_view code, int digits) noexcept {
  if (digits < 1 || code.size() != static_cast<std::size_t>(digits)) return false;
  return std::all_of(code.begin(), code.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool constant_time_equal(std::string_view a, std::string_view b) noexcept {
  const std::size_t n = std::max(a.size(), b.size());
  unsigned diff = a.size() == b.size() ? 0U : 1U;
  for (std::size_t i = 0; i < n; ++i) {
    // Branches on the index only (lengths are not secret), never on the bytes.
    const unsigned x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0U;
    const unsigned y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0U;
    diff |= x ^ y;
  }
  // Through a volatile so the compiler cannot turn the loop into an early-exit comparison.
  volatile unsigned result = diff;
  return result == 0U;
}

std::string normalize_otp_destination(std::string_view channel, std::string_view destination) {
  while (!destination.empty() && is_ascii_space(destination.front())) destination.remove_prefix(1);
  while (!destination.empty() && is_ascii_space(destination.back())) destination.remove_suffix(1);
  std::string out(destination);
  if (channel == "email") {
    std::transform(out.begin(), out.end(), out.begin(),
                   [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; });
  }
  return out;
}

std::string mask_otp_destination(std::string_view channel, std::string_view destination) {
  const std::string fully_masked = "***";
  const bool ascii = std::all_of(destination.begin(), destination.end(),
                                 [](char c) { return static_cast<unsigned char>(c) < 0x80U; });
  if (channel == "sms") {
    if (!ascii || destination.empty()) return fully_masked;
    const std::size_t n = destination.size();
    if (n >= 10) {
      return std::string(destination.substr(0, 2)) + std::string(n - 6, '*') +
             std::string(destination.substr(n - 4));
    }
    if (n > 6) return std::string(n - 2, '*') + std::string(destination.substr(n - 2));
    return std::string(n, '*');
  }
  if (channel == "email") {
    const auto at = destination.rfind('@');
    if (at == std::string_view::npos || at == 0 || at + 1 >= destination.size()) return fully_masked;
    // The first character of the local part, whole even when it is a multi-byte UTF-8 sequence.
    std::size_t first = 1;
    while (first < at && first < 4 && (static_cast<unsigned char>(destination[first]) & 0xC0U) == 0x80U) {
      ++first;
    }
    return std::string(destination.substr(0, first)) + "***" + std::string(destination.substr(at));
  }
  return fully_masked;
}

}  // namespace payments
