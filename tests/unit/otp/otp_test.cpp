#include <doctest/doctest.h>

#include <array>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "payments/core/otp.hpp"
#include "payments/crypto/crypto.hpp"

using namespace payments;
using namespace std::chrono_literals;

namespace {

// Hands out scripted 32-bit values, each as 4 big-endian bytes, so the codes drawn are known in advance.
class ScriptedRandom final : public RandomSource {
 public:
  explicit ScriptedRandom(std::vector<std::uint32_t> values) : values_(values.begin(), values.end()) {}

  void fill(std::span<std::uint8_t> out) override {
    REQUIRE(out.size() == 4);
    REQUIRE_FALSE(values_.empty());
    const std::uint32_t v = values_.front();
    values_.pop_front();
    ++draws;
    out[0] = static_cast<std::uint8_t>(v >> 24U);
    out[1] = static_cast<std::uint8_t>(v >> 16U);
    out[2] = static_cast<std::uint8_t>(v >> 8U);
    out[3] = static_cast<std::uint8_t>(v);
  }

  int draws = 0;

 private:
  std::deque<std::uint32_t> values_;
};

// A broken source: every byte 0xff, so every draw is above the rejection limit.
class AllOnesRandom final : public RandomSource {
 public:
  void fill(std::span<std::uint8_t> out) override {
    for (auto& b : out) b = 0xffU;
  }
};

// A std-only stand-in for HMAC that records what it was asked to hash. Its output is hex and never contains
// the input, like the real one.
struct RecordingHmac {
  std::shared_ptr<std::vector<std::string>> seen = std::make_shared<std::vector<std::string>>();

  std::string operator()(std::string_view key, std::string_view data) const {
    seen->emplace_back(data);
    const auto h1 = std::hash<std::string>{}(std::string(key) + "\x01" + std::string(data));
    const auto h2 = std::hash<std::string>{}(std::string(data) + "\x02" + std::string(key));
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    for (const auto h : {h1, h2}) {
      for (int shift = 60; shift >= 0; shift -= 4) {
        out.push_back(kHex[(h >> static_cast<unsigned>(shift)) & 0xfU]);
      }
    }
    return out;
  }
};

const std::string kKey = "otp_unit_test_secret_0123456789";

OtpHasher make_hasher(RecordingHmac hmac = {}) {
  auto hasher = OtpHasher::create(Secret(kKey), hmac);
  REQUIRE(hasher.has_value());
  return std::move(hasher).value();
}

const OtpTime kT0 = OtpTime{} + std::chrono::hours(24 * 365 * 56);  // some instant in 2026

// Issues for `payment_id` with the given scripted codes (the first becomes the issued code).
OtpIssued issue_with(std::string_view payment_id, std::vector<std::uint32_t> values, const OtpHasher& hasher,
                     OtpTime now = kT0, const OtpPolicy& policy = {}) {
  ScriptedRandom random(std::move(values));
  auto issued = issue_otp(payment_id, policy, now, random, hasher);
  REQUIRE(issued.has_value());
  return std::move(issued).value();
}

OtpResendOutcome resend_with(const OtpChallenge& challenge, std::vector<std::uint32_t> values,
                             const OtpHasher& hasher, OtpTime now, const OtpPolicy& policy = {}) {
  ScriptedRandom random(std::move(values));
  auto outcome = resend_otp(challenge, policy, now, random, hasher);
  REQUIRE(outcome.has_value());
  return std::move(outcome).value();
}

template <typename T>
concept HasCodeMember = requires(T t) { t.code; };

}  // namespace

// The stored value has no place for the code, whatever anyone adds later without thinking.
static_assert(!HasCodeMember<OtpChallenge>);
static_assert(HasCodeMember<OtpIssued>);

TEST_CASE("codes from the system CSPRNG are 6 digits and vary") {
  std::set<std::string> distinct;
  std::array<std::array<int, 10>, 6> seen_digit{};
  for (int i = 0; i < 1000; ++i) {
    auto code = generate_otp_code(6, system_random());
    REQUIRE(code.has_value());
    const std::string& c = code.value();
    REQUIRE(c.size() == 6);
    REQUIRE(is_well_formed_otp_code(c, 6));
    for (std::size_t pos = 0; pos < 6; ++pos) ++seen_digit[pos][static_cast<std::size_t>(c[pos] - '0')];
    distinct.insert(c);
  }
  // About 0.5 collisions are expected among 1000 draws from 10^6.
  CHECK(distinct.size() >= 990);
  // Every digit turns up in every position (each expected about 100 times).
  for (const auto& position : seen_digit) {
    for (const int count : position) CHECK(count > 0);
  }
}

TEST_CASE("rejection sampling redraws values that would bias the code and keeps leading zeros") {
  // 2^32 = 4294967296, the largest multiple of 10^6 below it is 4294000000: that and above are redrawn.
  ScriptedRandom random({0xffffffffU, 4294000000U, 4293999999U, 42U, 0U, 7000000U});
  auto first = generate_otp_code(6, random);
  REQUIRE(first.has_value());
  CHECK(first.value() == "999999");
  CHECK(random.draws == 3);

  auto second = generate_otp_code(6, random);
  REQUIRE(second.has_value());
  CHECK(second.value() == "000042");

  auto third = generate_otp_code(6, random);
  REQUIRE(third.has_value());
  CHECK(third.value() == "000000");

  auto fourth = generate_otp_code(6, random);
  REQUIRE(fourth.has_value());
  CHECK(fourth.value() == "000000");  // 7000000 mod 10^6
}

TEST_CASE("a random source that only gives out-of-range values is an error and not a hang") {
  AllOnesRandom random;
  auto code = generate_otp_code(6, random);
  REQUIRE_FALSE(code.has_value());
  CHECK(code.error().code == ErrorCode::internal);

  auto issued = issue_otp("pay_1", OtpPolicy{}, kT0, random, make_hasher());
  REQUIRE_FALSE(issued.has_value());
  CHECK(issued.error().code == ErrorCode::internal);
}

TEST_CASE("issue stores only a keyed hash of the code") {
  RecordingHmac hmac;
  const auto hasher = make_hasher(hmac);
  const auto issued = issue_with("pay_abc", {123456U}, hasher);
  CHECK(issued.code == "123456");

  const OtpChallenge& c = issued.challenge;
  CHECK(c.code_hash != issued.code);
  CHECK(c.code_hash.find(issued.code) == std::string::npos);
  CHECK(c.payment_id.find(issued.code) == std::string::npos);
  CHECK(c.code_hash == hasher.hash("pay_abc", 1, "123456"));
  // The hashed string binds the code to the payment and to the issue.
  REQUIRE_FALSE(hmac.seen->empty());
  CHECK(hmac.seen->front() == "otp-v1:pay_abc:1:123456");
}

TEST_CASE("issue starts an active challenge from the policy") {
  const auto hasher = make_hasher();
  OtpPolicy policy;
  CHECK(policy.digits == 6);
  CHECK(policy.ttl == 5min);
  CHECK(policy.max_attempts == 5);
  CHECK(policy.resend_cooldown == 30s);
  CHECK(policy.max_resends == 5);

  const auto c = issue_with("pay_1", {1U}, hasher).challenge;
  CHECK(c.payment_id == "pay_1");
  CHECK(c.seq == 1);
  CHECK(c.issued_at == kT0);
  CHECK(c.last_sent_at == kT0);
  CHECK(c.expires_at == kT0 + 5min);
  CHECK(c.attempts_left == 5);
  CHECK(c.resends_used == 0);
  CHECK(c.state == OtpState::active);
  CHECK_FALSE(otp_failure_code(c).has_value());
}

TEST_CASE("issue refuses a bad payment id or a policy outside NIST limits") {
  const auto hasher = make_hasher();
  ScriptedRandom random({1U, 2U, 3U});
  for (const std::string_view bad_id : {"", "pay:1", "pay 1", "../x"}) {
    auto issued = issue_otp(bad_id, OtpPolicy{}, kT0, random, hasher);
    REQUIRE_FALSE(issued.has_value());
    CHECK(issued.error().field == "payment_id");
  }
  auto check_bad_policy = [&](OtpPolicy policy) {
    CHECK_FALSE(validate_otp_policy(policy).has_value());
    auto issued = issue_otp("pay_1", policy, kT0, random, hasher);
    REQUIRE_FALSE(issued.has_value());
    CHECK(issued.error().field == "otp_policy");
  };
  check_bad_policy(OtpPolicy{.digits = 4});
  check_bad_policy(OtpPolicy{.digits = 10});
  check_bad_policy(OtpPolicy{.ttl = 11min});
  check_bad_policy(OtpPolicy{.ttl = 0s});
  check_bad_policy(OtpPolicy{.max_attempts = 0});
  check_bad_policy(OtpPolicy{.resend_cooldown = -1s});
  check_bad_policy(OtpPolicy{.max_resends = -1});
  CHECK(validate_otp_policy(OtpPolicy{}).has_value());
  CHECK(validate_otp_policy(OtpPolicy{.digits = 8, .ttl = 10min}).has_value());
}

TEST_CASE("the hasher needs a long enough key and an HMAC function") {
  auto short_key = OtpHasher::create(Secret("short"), RecordingHmac{});
  REQUIRE_FALSE(short_key.has_value());
  CHECK(short_key.error().field == "OTP_SECRET");
  CHECK(short_key.error().message.find("short") == std::string::npos);

  auto no_function = OtpHasher::create(Secret(kKey), nullptr);
  REQUIRE_FALSE(no_function.has_value());
  CHECK(no_function.error().code == ErrorCode::internal);
}

TEST_CASE("verify accepts the right code once") {
  const auto hasher = make_hasher();
  const auto issued = issue_with("pay_1", {4711U}, hasher);
  CHECK(issued.code == "004711");

  const auto ok = verify_otp(issued.challenge, "004711", OtpPolicy{}, kT0 + 1min, hasher);
  CHECK(ok.result == OtpVerifyResult::verified);
  CHECK(ok.challenge.state == OtpState::verified);
  CHECK(ok.attempts_left() == 5);
  CHECK_FALSE(otp_failure_code(ok.challenge).has_value());

  // Single use: the same code, or any other, is not looked at again.
  const auto again = verify_otp(ok.challenge, "004711", OtpPolicy{}, kT0 + 2min, hasher);
  CHECK(again.result == OtpVerifyResult::not_active);
  CHECK(again.challenge == ok.challenge);
  CHECK(verify_otp(ok.challenge, "000000", OtpPolicy{}, kT0 + 2min, hasher).result == OtpVerifyResult::not_active);
}

TEST_CASE("a wrong code uses one attempt") {
  const auto hasher = make_hasher();
  const auto issued = issue_with("pay_1", {111111U}, hasher);
  const auto wrong = verify_otp(issued.challenge, "111112", OtpPolicy{}, kT0 + 10s, hasher);
  CHECK(wrong.result == OtpVerifyResult::wrong_code);
  CHECK(wrong.attempts_left() == 4);
  CHECK(wrong.challenge.state == OtpState::active);

  const auto right = verify_otp(wrong.challenge, "111111", OtpPolicy{}, kT0 + 20s, hasher);
  CHECK(right.result == OtpVerifyResult::verified);
}

TEST_CASE("five wrong codes lock the challenge with attempts_exceeded") {
  const auto hasher = make_hasher();
  auto challenge = issue_with("pay_1", {222222U}, hasher).challenge;
  for (int i = 1; i <= 4; ++i) {
    const auto outcome = verify_otp(challenge, "000001", OtpPolicy{}, kT0 + std::chrono::seconds(i), hasher);
    CHECK(outcome.result == OtpVerifyResult::wrong_code);
    CHECK(outcome.attempts_left() == 5 - i);
    challenge = outcome.challenge;
  }
  const auto fifth = verify_otp(challenge, "000001", OtpPolicy{}, kT0 + 5s, hasher);
  CHECK(fifth.result == OtpVerifyResult::attempts_exceeded);
  CHECK(fifth.attempts_left() == 0);
  CHECK(fifth.challenge.state == OtpState::locked);
  REQUIRE(otp_failure_code(fifth.challenge).has_value());
  CHECK(*otp_failure_code(fifth.challenge) == "otp_attempts_exceeded");

  // Even the right code is too late now.
  const auto after = verify_otp(fifth.challenge, "222222", OtpPolicy{}, kT0 + 6s, hasher);
  CHECK(after.result == OtpVerifyResult::not_active);
  CHECK(after.challenge.state == OtpState::locked);
}

TEST_CASE("a malformed code is refused without using an attempt") {
  const auto hasher = make_hasher();
  const auto challenge = issue_with("pay_1", {123456U}, hasher).challenge;
  const std::vector<std::string_view> malformed = {
      "", "12345", "1234567", "12345a", " 123456", "123456 ", "12 456", "-12345", "+12345",
      "\xd9\xa1\xd9\xa2\xd9\xa3",          // Arabic-Indic digits, 6 bytes
      std::string_view("12\0" "456", 6)};  // an embedded NUL
  for (const auto bad : malformed) {
    const auto outcome = verify_otp(challenge, bad, OtpPolicy{}, kT0 + 1s, hasher);
    CHECK(outcome.result == OtpVerifyResult::malformed);
    CHECK(outcome.challenge == challenge);
  }
  CHECK(verify_otp(challenge, "123456", OtpPolicy{}, kT0 + 1s, hasher).result == OtpVerifyResult::verified);
}

TEST_CASE("a code expires at exactly expires_at") {
  const auto hasher = make_hasher();
  const auto challenge = issue_with("pay_1", {333333U}, hasher).challenge;
  const auto just_before = challenge.expires_at - 1ns;
  CHECK(verify_otp(challenge, "333333", OtpPolicy{}, just_before, hasher).result == OtpVerifyResult::verified);

  const auto at = verify_otp(challenge, "333333", OtpPolicy{}, challenge.expires_at, hasher);
  CHECK(at.result == OtpVerifyResult::expired);
  CHECK(at.challenge.state == OtpState::expired);
  CHECK(at.attempts_left() == 5);
  REQUIRE(otp_failure_code(at.challenge).has_value());
  CHECK(*otp_failure_code(at.challenge) == "otp_expired");

  // An expired challenge checks nothing, well-formed or not.
  CHECK(verify_otp(at.challenge, "333333", OtpPolicy{}, challenge.expires_at + 1s, hasher).result ==
        OtpVerifyResult::not_active);
  // Expiry is decided before the format.
  CHECK(verify_otp(challenge, "x", OtpPolicy{}, challenge.expires_at, hasher).result == OtpVerifyResult::expired);
}

TEST_CASE("the sweeper expires only active challenges that are due") {
  const auto hasher = make_hasher();
  const auto challenge = issue_with("pay_1", {1U}, hasher).challenge;
  CHECK_FALSE(expire_otp_if_due(challenge, challenge.expires_at - 1s).has_value());

  const auto due = expire_otp_if_due(challenge, challenge.expires_at);
  REQUIRE(due.has_value());
  CHECK(due->state == OtpState::expired);
  CHECK(due->code_hash == challenge.code_hash);
  CHECK(*otp_failure_code(*due) == "otp_expired");

  CHECK_FALSE(expire_otp_if_due(*due, challenge.expires_at + 1h).has_value());
  const auto verified = verify_otp(challenge, "000001", OtpPolicy{}, kT0, hasher).challenge;
  REQUIRE(verified.state == OtpState::verified);
  CHECK_FALSE(expire_otp_if_due(verified, challenge.expires_at + 1h).has_value());
}

TEST_CASE("a resend replaces the code and the old one stops working") {
  const auto hasher = make_hasher();
  const auto issued = issue_with("pay_1", {111111U}, hasher);
  const auto resent = resend_with(issued.challenge, {222222U}, hasher, kT0 + 1min);
  REQUIRE(resent.resent());
  CHECK_FALSE(resent.refusal.has_value());
  CHECK(*resent.code == "222222");

  const auto& c = resent.challenge;
  CHECK(c.seq == 2);
  CHECK(c.resends_used == 1);
  CHECK(c.last_sent_at == kT0 + 1min);
  CHECK(c.expires_at == kT0 + 1min + 5min);
  CHECK(c.issued_at == kT0);
  CHECK(c.code_hash != issued.challenge.code_hash);
  CHECK(c.code_hash == hasher.hash("pay_1", 2, "222222"));

  const auto old = verify_otp(c, "111111", OtpPolicy{}, kT0 + 2min, hasher);
  CHECK(old.result == OtpVerifyResult::wrong_code);
  CHECK(verify_otp(old.challenge, "222222", OtpPolicy{}, kT0 + 2min, hasher).result == OtpVerifyResult::verified);
  // The new expiry counts: past the first code's expiry the resent one still works.
  CHECK(verify_otp(c, "222222", OtpPolicy{}, kT0 + 5min + 30s, hasher).result == OtpVerifyResult::verified);
}

TEST_CASE("a resend keeps the attempts already used") {
  const auto hasher = make_hasher();
  auto challenge = issue_with("pay_1", {111111U}, hasher).challenge;
  challenge = verify_otp(challenge, "000000", OtpPolicy{}, kT0 + 1s, hasher).challenge;
  challenge = verify_otp(challenge, "000000", OtpPolicy{}, kT0 + 2s, hasher).challenge;
  REQUIRE(challenge.attempts_left == 3);

  const auto resent = resend_with(challenge, {222222U}, hasher, kT0 + 1min);
  REQUIRE(resent.resent());
  CHECK(resent.challenge.attempts_left == 3);

  challenge = resent.challenge;
  for (int i = 0; i < 2; ++i) challenge = verify_otp(challenge, "999999", OtpPolicy{}, kT0 + 2min, hasher).challenge;
  const auto last = verify_otp(challenge, "999999", OtpPolicy{}, kT0 + 2min, hasher);
  CHECK(last.result == OtpVerifyResult::attempts_exceeded);
  CHECK(last.challenge.state == OtpState::locked);
}

TEST_CASE("resends wait out the cooldown and say how long") {
  const auto hasher = make_hasher();
  const auto challenge = issue_with("pay_1", {1U}, hasher).challenge;

  const auto early = resend_with(challenge, {}, hasher, kT0 + 10s);
  CHECK_FALSE(early.resent());
  REQUIRE(early.refusal.has_value());
  CHECK(*early.refusal == OtpResendRefusal::too_soon);
  CHECK(to_string(*early.refusal) == "otp_resend_too_soon");
  CHECK(early.retry_after == 20s);
  CHECK(early.challenge == challenge);

  const auto nearly = resend_with(challenge, {}, hasher, kT0 + 29s + 500ms);
  CHECK(*nearly.refusal == OtpResendRefusal::too_soon);
  CHECK(nearly.retry_after == 1s);

  // A clock behind the one that sent the last code still waits, at most the cooldown.
  const auto skewed = resend_with(challenge, {}, hasher, kT0 - 5s);
  CHECK(*skewed.refusal == OtpResendRefusal::too_soon);
  CHECK(skewed.retry_after == 30s);

  const auto on_time = resend_with(challenge, {2U}, hasher, kT0 + 30s);
  CHECK(on_time.resent());

  const auto again_early = resend_with(on_time.challenge, {}, hasher, kT0 + 45s);
  CHECK(*again_early.refusal == OtpResendRefusal::too_soon);
  CHECK(again_early.retry_after == 15s);
}

TEST_CASE("resends stop at the cap and the cap is reported before the cooldown") {
  const auto hasher = make_hasher();
  auto challenge = issue_with("pay_1", {0U}, hasher).challenge;
  auto now = kT0;
  for (std::uint32_t i = 1; i <= 5; ++i) {
    now += 30s;
    const auto outcome = resend_with(challenge, {i}, hasher, now);
    REQUIRE(outcome.resent());
    challenge = outcome.challenge;
    CHECK(challenge.resends_used == static_cast<int>(i));
    CHECK(challenge.seq == i + 1);
  }
  const auto immediately = resend_with(challenge, {}, hasher, now + 1s);
  REQUIRE(immediately.refusal.has_value());
  CHECK(*immediately.refusal == OtpResendRefusal::limit);
  CHECK(to_string(*immediately.refusal) == "otp_resend_limit");
  CHECK(immediately.retry_after == 0s);

  const auto later = resend_with(challenge, {}, hasher, now + 1min);
  CHECK(*later.refusal == OtpResendRefusal::limit);
  CHECK(later.challenge == challenge);

  // The last code sent still works.
  CHECK(verify_otp(challenge, "000005", OtpPolicy{}, now + 1min, hasher).result == OtpVerifyResult::verified);
}

TEST_CASE("no resend for a challenge that is no longer active") {
  const auto hasher = make_hasher();
  const auto challenge = issue_with("pay_1", {123456U}, hasher).challenge;

  const auto verified = verify_otp(challenge, "123456", OtpPolicy{}, kT0 + 1s, hasher).challenge;
  const auto after_verified = resend_with(verified, {}, hasher, kT0 + 1min);
  REQUIRE(after_verified.refusal.has_value());
  CHECK(*after_verified.refusal == OtpResendRefusal::not_active);
  CHECK(to_string(*after_verified.refusal) == "otp_not_active");
  CHECK(after_verified.challenge == verified);

  auto locked = challenge;
  for (int i = 0; i < 5; ++i) locked = verify_otp(locked, "000000", OtpPolicy{}, kT0 + 1s, hasher).challenge;
  REQUIRE(locked.state == OtpState::locked);
  CHECK(*resend_with(locked, {}, hasher, kT0 + 1min).refusal == OtpResendRefusal::not_active);

  // Past expiry but not yet swept: refused, and the outcome records the expiry.
  const auto late = resend_with(challenge, {}, hasher, challenge.expires_at);
  CHECK(*late.refusal == OtpResendRefusal::not_active);
  CHECK(late.challenge.state == OtpState::expired);
  CHECK(*otp_failure_code(late.challenge) == "otp_expired");
}

TEST_CASE("a code is bound to its payment and to its issue") {
  RecordingHmac hmac;
  const auto hasher = make_hasher(hmac);
  const auto a = issue_with("pay_a", {555555U}, hasher);
  const auto b = issue_with("pay_b", {555555U}, hasher);
  CHECK(a.code == b.code);
  CHECK(a.challenge.code_hash != b.challenge.code_hash);

  // A row whose hash was copied from another payment does not take that payment's code.
  auto forged = b.challenge;
  forged.code_hash = a.challenge.code_hash;
  CHECK(verify_otp(forged, "555555", OtpPolicy{}, kT0, hasher).result == OtpVerifyResult::wrong_code);

  // The same code under another seq does not verify either.
  auto other_seq = a.challenge;
  other_seq.seq = 2;
  CHECK(verify_otp(other_seq, "555555", OtpPolicy{}, kT0, hasher).result == OtpVerifyResult::wrong_code);
  CHECK(hasher.hash("pay_a", 1, "555555") != hasher.hash("pay_a", 2, "555555"));

  // And another key gives another hash.
  auto other_key = OtpHasher::create(Secret("another_secret_of_enough_length"), hmac);
  REQUIRE(other_key.has_value());
  CHECK(verify_otp(a.challenge, "555555", OtpPolicy{}, kT0, other_key.value()).result ==
        OtpVerifyResult::wrong_code);
}

TEST_CASE("an empty hash never verifies") {
  const auto empty_hmac = [](std::string_view, std::string_view) { return std::string(); };
  auto hasher = OtpHasher::create(Secret(kKey), empty_hmac);
  REQUIRE(hasher.has_value());
  ScriptedRandom random({1U});
  auto issued = issue_otp("pay_1", OtpPolicy{}, kT0, random, hasher.value());
  REQUIRE_FALSE(issued.has_value());
  CHECK(issued.error().code == ErrorCode::internal);

  auto challenge = issue_with("pay_1", {1U}, make_hasher()).challenge;
  challenge.code_hash.clear();
  const auto outcome = verify_otp(challenge, "000001", OtpPolicy{}, kT0, hasher.value());
  CHECK(outcome.result == OtpVerifyResult::wrong_code);
}

TEST_CASE("with the real HMAC-SHA256 the stored hash is the keyed hash of the bound string") {
  auto hasher = OtpHasher::create(Secret(kKey), [](std::string_view key, std::string_view data) {
    return crypto::hmac_sha256_hex(key, data);
  });
  REQUIRE(hasher.has_value());

  auto issued = issue_otp("pay_real", OtpPolicy{}, kT0, system_random(), hasher.value());
  REQUIRE(issued.has_value());
  const auto& code = issued.value().code;
  const auto& stored = issued.value().challenge.code_hash;
  CHECK(stored.size() == 64);
  CHECK(stored.find_first_not_of("0123456789abcdef") == std::string::npos);
  CHECK(stored == crypto::hmac_sha256_hex(kKey, "otp-v1:pay_real:1:" + code));
  CHECK(stored.find(code) == std::string::npos);

  const std::string wrong = code == "000000" ? "000001" : "000000";
  CHECK(verify_otp(issued.value().challenge, wrong, OtpPolicy{}, kT0, hasher.value()).result ==
        OtpVerifyResult::wrong_code);
  CHECK(verify_otp(issued.value().challenge, code, OtpPolicy{}, kT0, hasher.value()).result ==
        OtpVerifyResult::verified);
}

TEST_CASE("constant-time comparison compares whole strings") {
  CHECK(constant_time_equal("", ""));
  CHECK(constant_time_equal("abc", "abc"));
  CHECK_FALSE(constant_time_equal("abc", "abd"));
  CHECK_FALSE(constant_time_equal("abc", "xbc"));
  CHECK_FALSE(constant_time_equal("abc", "ab"));
  CHECK_FALSE(constant_time_equal("ab", "abc"));
  CHECK_FALSE(constant_time_equal("", "a"));
  CHECK_FALSE(constant_time_equal(std::string_view("a\0", 2), "a"));
}

TEST_CASE("destinations are masked for display") {
  CHECK(mask_otp_destination("sms", "+15555550123") == "+1******0123");
  CHECK(mask_otp_destination("sms", "+447700900123") == "+4*******0123");
  CHECK(mask_otp_destination("sms", "+3541234567") == "+3*****4567");
  CHECK(mask_otp_destination("sms", "1234567") == "*****67");
  CHECK(mask_otp_destination("sms", "123456") == "******");
  CHECK(mask_otp_destination("sms", "") == "***");
  CHECK(mask_otp_destination("sms", "+1555\xc3\xa9" "550123") == "***");

  CHECK(mask_otp_destination("email", "pat@example.com") == "p***@example.com");
  CHECK(mask_otp_destination("email", "p@example.com") == "p***@example.com");
  CHECK(mask_otp_destination("email", "a.very.long.name@example.com") == "a***@example.com");
  CHECK(mask_otp_destination("email", "\xc3\xa9mile@example.fr") == "\xc3\xa9***@example.fr");
  CHECK(mask_otp_destination("email", "not-an-address") == "***");
  CHECK(mask_otp_destination("email", "@example.com") == "***");
  CHECK(mask_otp_destination("email", "pat@") == "***");

  CHECK(mask_otp_destination("fax", "+15555550123") == "***");
}

TEST_CASE("states and outcomes have stable names") {
  for (const auto state : {OtpState::active, OtpState::verified, OtpState::expired, OtpState::locked}) {
    const auto parsed = parse_otp_state(to_string(state));
    REQUIRE(parsed.has_value());
    CHECK(*parsed == state);
  }
  CHECK_FALSE(parse_otp_state("Active").has_value());
  CHECK(to_string(OtpState::locked) == "locked");
  CHECK(to_string(OtpVerifyResult::verified) == "verified");
  CHECK(to_string(OtpVerifyResult::wrong_code) == "wrong_code");
  CHECK(to_string(OtpVerifyResult::malformed) == "malformed");
  CHECK(to_string(OtpVerifyResult::expired) == "expired");
  CHECK(to_string(OtpVerifyResult::attempts_exceeded) == "attempts_exceeded");
  CHECK(to_string(OtpVerifyResult::not_active) == "not_active");
  CHECK(kOtpExpired == "otp_expired");
  CHECK(kOtpAttemptsExceeded == "otp_attempts_exceeded");
  CHECK(kOtpRateLimited == "otp_rate_limited");
}

TEST_CASE("the per-destination limit defaults to 10 an hour and must be 1 to 1000") {
  CHECK(OtpPolicy{}.max_codes_per_destination_per_hour == 10);
  CHECK(kOtpDestinationWindow == 1h);
  for (const int bad : {0, -1, 1001}) {
    CAPTURE(bad);
    auto refused = validate_otp_policy(OtpPolicy{.max_codes_per_destination_per_hour = bad});
    REQUIRE_FALSE(refused.has_value());
    CHECK(refused.error().field == "otp_policy");
    CHECK(refused.error().message.find("max_codes_per_destination_per_hour") != std::string::npos);
  }
  for (const int good : {1, 10, 1000}) {
    CAPTURE(good);
    CHECK(validate_otp_policy(OtpPolicy{.max_codes_per_destination_per_hour = good}).has_value());
  }
}

TEST_CASE("destinations are normalized before they are counted: trimmed, e-mail lower-cased") {
  CHECK(normalize_otp_destination("sms", " \t+14155550123\n") == "+14155550123");
  CHECK(normalize_otp_destination("email", "  Pat.Doe@Example.COM ") == "pat.doe@example.com");
  // Only e-mail is case-folded, and only the ASCII letters; nothing inside is touched.
  CHECK(normalize_otp_destination("sms", "+1 415 555 0123") == "+1 415 555 0123");
  CHECK(normalize_otp_destination("email", "\xC3\x89lise@Example.com") == "\xC3\x89lise@example.com");
  CHECK(normalize_otp_destination("email", "   ").empty());
}

TEST_CASE("the destination hash is a keyed hash of channel and normalized destination, under its own prefix") {
  RecordingHmac hmac;
  const auto hasher = make_hasher(hmac);
  const auto h = hasher.destination_hash("email", " Pat@Example.com ");
  REQUIRE_FALSE(hmac.seen->empty());
  CHECK(hmac.seen->back() == "otp-dest-v1:email:pat@example.com");
  CHECK(h.find("pat") == std::string::npos);

  // Stable, and the same for every spelling of one destination.
  CHECK(hasher.destination_hash("email", "pat@example.com") == h);
  CHECK(hasher.destination_hash("email", "PAT@EXAMPLE.COM\n") == h);
  // Different per destination, per channel and per key.
  CHECK(hasher.destination_hash("email", "pat@example.org") != h);
  CHECK(hasher.destination_hash("sms", "+14155550123") != hasher.destination_hash("sms", "+14155550124"));
  CHECK(hasher.destination_hash("sms", "pat@example.com") != h);
  auto other_key = OtpHasher::create(Secret("another_secret_of_enough_length"), RecordingHmac{});
  REQUIRE(other_key.has_value());
  CHECK(other_key->destination_hash("email", "pat@example.com") != h);
}

TEST_CASE("with the real HMAC-SHA256 the destination hash is lower-case hex and pinned") {
  auto hasher = OtpHasher::create(Secret(kKey), [](std::string_view key, std::string_view data) {
    return crypto::hmac_sha256_hex(key, data);
  });
  REQUIRE(hasher.has_value());
  const auto h = hasher->destination_hash("sms", " +14155550123 ");
  // Pinned: a change to the hashed string would silently restart every destination's count. Computed with
  // printf '%s' 'otp-dest-v1:sms:+14155550123' | openssl dgst -sha256 -hmac 'otp_unit_test_secret_0123456789'
  CHECK(h == "49c257fccb82f638191bcbf02aeb4d11d7b0575e44a48fc667901b64676be351");
  CHECK(h.size() == 64);
  CHECK(h.find_first_not_of("0123456789abcdef") == std::string::npos);
}
