// Stripe-Signature verification (libs/core) with the real HMAC-SHA256 of libs/crypto.
#include <doctest/doctest.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "payments/core/webhook_signature.hpp"
#include "payments/crypto/crypto.hpp"

using namespace payments;
using namespace std::chrono_literals;

namespace {

constexpr std::int64_t kNow = 1'700'000'000;
const std::string kSecret = "whsec_current_0123456789abcdef";
const std::string kOldSecret = "whsec_previous_fedcba9876543210";
const std::string kBody = R"({"id":"evt_1","object":"event","type":"payment_intent.succeeded"})";

const WebhookHmac kHmac = [](std::string_view key, std::string_view data) {
  return crypto::hmac_sha256_hex(key, data);
};

std::vector<Secret> secrets(std::initializer_list<std::string> values) {
  std::vector<Secret> out;
  for (const auto& v : values) out.emplace_back(v);
  return out;
}

WebhookVerification verify(std::optional<std::string_view> header, std::string_view body = kBody,
                           std::int64_t now = kNow, const std::vector<Secret>& keys = secrets({kSecret})) {
  return verify_webhook(header, body, keys, kHmac, now);
}

std::string hex_of(const std::string& secret, std::int64_t t, std::string_view body) {
  return crypto::hmac_sha256_hex(secret, std::to_string(t) + "." + std::string(body));
}

std::string v1_of(const std::string& header) {
  const auto at = header.find("v1=");
  REQUIRE(at != std::string::npos);
  return header.substr(at + 3, 64);
}

void check_refused(const WebhookVerification& result, WebhookSignatureFailure expected) {
  REQUIRE_FALSE(result.ok());
  CHECK(result.failure() == expected);
  CHECK_FALSE(result.message().empty());
  CHECK(result.message().find(kSecret) == std::string::npos);
  CHECK(result.message().find(kOldSecret) == std::string::npos);
  CHECK(result.timestamp() == 0);
}

std::string lower_without_blanks(std::string text) {
  std::string out;
  for (const char c : text) {
    if (c == ' ' || c == '\t') continue;
    out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  return out;
}

}  // namespace

TEST_CASE("a header made by sign_webhook verifies and reports its timestamp") {
  const auto header = sign_webhook(Secret(kSecret), kNow, kBody, kHmac);
  CHECK(header.rfind("t=1700000000,v1=", 0) == 0);
  CHECK(header.size() == std::string("t=1700000000,v1=").size() + 64);
  const auto result = verify(header);
  REQUIRE(result.ok());
  CHECK(result.timestamp() == kNow);
  CHECK(result.failure() == std::nullopt);
  CHECK(result.message().empty());
}

TEST_CASE("a header in the shape of Stripe's documentation, computed by hand, verifies") {
  // Stripe's example layout: t, then v1, then a v0 from the old test-mode scheme, which is ignored.
  const std::int64_t t = 1492774577;
  const std::string secret = "whsec_documented_example";
  const std::string body = "{\n  \"id\": \"evt_test_webhook\",\n  \"object\": \"event\"\n}";
  const std::string v1 = crypto::hmac_sha256_hex(secret, "1492774577." + body);
  const std::string v0 = crypto::sha256_hex("not a v1 signature");
  const std::string header = "t=1492774577,v1=" + v1 + ",v0=" + v0;
  const auto keys = secrets({secret});

  CHECK(verify(header, body, t + 5, keys).ok());
  CHECK(sign_webhook(Secret(secret), t, body, kHmac) == "t=1492774577,v1=" + v1);
  // Whitespace around items, keys and values is tolerated.
  CHECK(verify(" t = 1492774577 ,\tv1= " + v1 + " , v0=" + v0 + " ", body, t, keys).ok());
  // Items in another order, and hex in upper case (the same bytes).
  std::string upper = v1;
  std::transform(upper.begin(), upper.end(), upper.begin(), [](unsigned char c) { return std::toupper(c); });
  CHECK(verify("v0=" + v0 + ",v1=" + upper + ",t=1492774577", body, t, keys).ok());
  // The signed payload is "<t>.<body>": a signature over the body alone does not verify.
  const std::string body_only = crypto::hmac_sha256_hex(secret, body);
  check_refused(verify("t=1492774577,v1=" + body_only, body, t, keys),
                WebhookSignatureFailure::no_matching_signature);
}

TEST_CASE("a tampered body is refused") {
  const auto header = sign_webhook(Secret(kSecret), kNow, kBody, kHmac);
  std::string changed = kBody;
  changed[changed.find("succeeded")] = 'S';
  check_refused(verify(header, changed), WebhookSignatureFailure::no_matching_signature);
  check_refused(verify(header, kBody + "\n"), WebhookSignatureFailure::no_matching_signature);
  check_refused(verify(header, ""), WebhookSignatureFailure::no_matching_signature);
  check_refused(verify(header, kBody.substr(1)), WebhookSignatureFailure::no_matching_signature);
}

TEST_CASE("a header signed with another secret is refused, and the message reveals no secret or signature") {
  const auto header = sign_webhook(Secret("whsec_somebody_else"), kNow, kBody, kHmac);
  const auto result = verify(header);
  check_refused(result, WebhookSignatureFailure::no_matching_signature);
  CHECK(result.message().find(hex_of(kSecret, kNow, kBody)) == std::string::npos);
  CHECK(result.message().find("whsec_") == std::string::npos);
  const auto error = result.to_error();
  CHECK(error.code == ErrorCode::validation_error);
  CHECK(error.field == "Stripe-Signature");
  CHECK(error.message == result.message());
}

TEST_CASE("the timestamp must be within the tolerance, in both directions") {
  const auto header = sign_webhook(Secret(kSecret), kNow, kBody, kHmac);
  CHECK(verify(header, kBody, kNow + 300).ok());
  CHECK(verify(header, kBody, kNow - 300).ok());
  check_refused(verify(header, kBody, kNow + 301), WebhookSignatureFailure::timestamp_outside_tolerance);
  check_refused(verify(header, kBody, kNow - 301), WebhookSignatureFailure::timestamp_outside_tolerance);
  check_refused(verify(header, kBody, kNow + 86'400), WebhookSignatureFailure::timestamp_outside_tolerance);
  check_refused(verify(header, kBody, 0), WebhookSignatureFailure::timestamp_outside_tolerance);
  // A stale header is refused even though its signature is right: no replaying captured requests.
  const auto stale = verify(header, kBody, kNow + 3600);
  CHECK(stale.message().find("behind") != std::string::npos);
  const auto future = verify(header, kBody, kNow - 3600);
  CHECK(future.message().find("ahead") != std::string::npos);
  CHECK(stale.message() == "Stripe-Signature timestamp is behind the current time by more than the 300 s tolerance");
  // The header's digits are never repeated: they could be a card number (found by the fuzz tier).
  const auto card = verify("t=4242424242424242,v1=" + std::string(64, '0'), kBody, kNow);
  check_refused(card, WebhookSignatureFailure::timestamp_outside_tolerance);
  CHECK(card.message().find("4242") == std::string::npos);

  const auto keys = secrets({kSecret});
  CHECK(verify_webhook(header, kBody, keys, kHmac, kNow + 10, 10s).ok());
  check_refused(verify_webhook(header, kBody, keys, kHmac, kNow + 11, 10s),
                WebhookSignatureFailure::timestamp_outside_tolerance);
  CHECK(verify_webhook(header, kBody, keys, kHmac, kNow, 0s).ok());
  check_refused(verify_webhook(header, kBody, keys, kHmac, kNow + 1, 0s),
                WebhookSignatureFailure::timestamp_outside_tolerance);
  check_refused(verify_webhook(header, kBody, keys, kHmac, kNow, -1s),
                WebhookSignatureFailure::timestamp_outside_tolerance);
}

TEST_CASE("several v1 signatures: one that matches is enough, wherever it is") {
  const std::string good = hex_of(kSecret, kNow, kBody);
  const std::string bad1 = hex_of("whsec_other_1", kNow, kBody);
  const std::string bad2 = hex_of("whsec_other_2", kNow, kBody);
  const std::string t = "t=" + std::to_string(kNow);
  CHECK(verify(t + ",v1=" + good + ",v1=" + bad1 + ",v1=" + bad2).ok());
  CHECK(verify(t + ",v1=" + bad1 + ",v1=" + good + ",v1=" + bad2).ok());
  CHECK(verify(t + ",v1=" + bad1 + ",v1=" + bad2 + ",v1=" + good).ok());
  check_refused(verify(t + ",v1=" + bad1 + ",v1=" + bad2), WebhookSignatureFailure::no_matching_signature);
}

TEST_CASE("v0 and unknown schemes are ignored: a header without v1 never verifies") {
  const std::string good = hex_of(kSecret, kNow, kBody);
  const std::string t = "t=" + std::to_string(kNow);
  // Even a v0 that carries the right value does not count.
  check_refused(verify(t + ",v0=" + good), WebhookSignatureFailure::no_v1_signature);
  check_refused(verify(t + ",v2=" + good + ",scheme=x"), WebhookSignatureFailure::no_v1_signature);
  check_refused(verify(t), WebhookSignatureFailure::no_v1_signature);
  CHECK(verify(t + ",v0=whatever,v2=,future=a=b,v1=" + good).ok());
}

TEST_CASE("while a secret is rolled, the old and the new one are both accepted") {
  const auto both = secrets({kSecret, kOldSecret});
  const auto old_header = sign_webhook(Secret(kOldSecret), kNow, kBody, kHmac);
  const auto new_header = sign_webhook(Secret(kSecret), kNow, kBody, kHmac);
  CHECK(verify(old_header, kBody, kNow, both).ok());
  CHECK(verify(new_header, kBody, kNow, both).ok());
  // Stripe signs with both secrets during the overlap; after the roll only the new one is configured.
  const std::string during_roll = new_header + ",v1=" + v1_of(old_header);
  CHECK(verify(during_roll, kBody, kNow, secrets({kSecret})).ok());
  check_refused(verify(old_header, kBody, kNow, secrets({kSecret})), WebhookSignatureFailure::no_matching_signature);
  check_refused(verify(sign_webhook(Secret("whsec_third"), kNow, kBody, kHmac), kBody, kNow, both),
                WebhookSignatureFailure::no_matching_signature);
}

TEST_CASE("a missing or empty header is missing_header") {
  check_refused(verify(std::nullopt), WebhookSignatureFailure::missing_header);
  check_refused(verify(""), WebhookSignatureFailure::missing_header);
  check_refused(verify("  \t "), WebhookSignatureFailure::missing_header);
}

TEST_CASE("malformed headers of many shapes are refused as malformed_header") {
  const std::string sig = hex_of(kSecret, kNow, kBody);
  const std::string t = "t=" + std::to_string(kNow);
  std::string many_v0 = t + ",v1=" + sig;
  for (int i = 0; i < 16; ++i) many_v0 += ",v0=" + std::to_string(i);
  std::string too_long = t + ",v1=" + sig + ",x=" + std::string(kMaxStripeSignatureHeaderLength, 'a');
  const std::vector<std::string> shapes = {
      "garbage",
      "t=abc,v1=" + sig,
      "t=-1700000000,v1=" + sig,
      "t=+1700000000,v1=" + sig,
      "t=01700000000,v1=" + sig,
      "t=1700000000.5,v1=" + sig,
      "t=1e9,v1=" + sig,
      "t=,v1=" + sig,
      "t=1234567890123456789,v1=" + sig,           // 19 digits
      "t=99999999999999999999999999,v1=" + sig,    // would overflow
      "v1=" + sig,                                   // no t
      t + "," + t + ",v1=" + sig,                    // duplicate t, even equal
      t + ",t=1700000001,v1=" + sig,
      t + ";v1=" + sig,
      t + " v1=" + sig,
      t + ",v1=" + sig.substr(0, 63),
      t + ",v1=" + sig + "0",
      t + ",v1=" + sig.substr(0, 63) + "g",
      t + ",v1=",
      t + ",v1=" + sig + ",",                       // trailing comma
      "," + t + ",v1=" + sig,
      t + ",,v1=" + sig,
      t + ",=x,v1=" + sig,
      t + ",v1",
      many_v0,                                       // 17 signatures
      too_long,
      t + ",v1=" + sig + "\n",
      t + ",v1=" + sig + std::string(1, '\0'),
      t + "\r\n,v1=" + sig,
      t + ",v1=" + sig + ",x=\xc3\xa9",              // non-ASCII
  };
  for (const auto& header : shapes) {
    CAPTURE(header);
    check_refused(verify(header), WebhookSignatureFailure::malformed_header);
  }
}

TEST_CASE("up to 16 signatures and a 4 KiB header are accepted") {
  const std::string sig = hex_of(kSecret, kNow, kBody);
  std::string header = "t=" + std::to_string(kNow);
  for (int i = 0; i < 15; ++i) header += ",v0=" + std::to_string(i);
  header += ",v1=" + sig;
  CHECK(verify(header).ok());

  std::string padded = "t=" + std::to_string(kNow) + ",v1=" + sig + ",x=";
  padded += std::string(kMaxStripeSignatureHeaderLength - padded.size(), 'a');
  REQUIRE(padded.size() == kMaxStripeSignatureHeaderLength);
  CHECK(verify(padded).ok());
}

TEST_CASE("without a usable configuration nothing verifies") {
  const auto header = sign_webhook(Secret(kSecret), kNow, kBody, kHmac);
  check_refused(verify_webhook(header, kBody, {}, kHmac, kNow), WebhookSignatureFailure::no_matching_signature);
  check_refused(verify_webhook(header, kBody, secrets({kSecret, ""}), kHmac, kNow),
                WebhookSignatureFailure::no_matching_signature);
  check_refused(verify_webhook(header, kBody, secrets({kSecret}), WebhookHmac{}, kNow),
                WebhookSignatureFailure::no_matching_signature);
  // An HMAC function that answers nothing must not make an empty v1 match (v1 must be 64 hex digits anyway).
  const WebhookHmac empty = [](std::string_view, std::string_view) { return std::string(); };
  check_refused(verify_webhook(header, kBody, secrets({kSecret}), empty, kNow),
                WebhookSignatureFailure::no_matching_signature);
}

TEST_CASE("WebhookVerifier refuses a configuration without secrets, with an empty one, or without an HMAC") {
  auto none = WebhookVerifier::create({}, kHmac);
  REQUIRE_FALSE(none.has_value());
  CHECK(none.error().field == "STRIPE_WEBHOOK_SECRET");
  auto empty = WebhookVerifier::create(secrets({kSecret, ""}), kHmac);
  REQUIRE_FALSE(empty.has_value());
  CHECK(empty.error().field == "STRIPE_WEBHOOK_SECRET");
  CHECK(empty.error().message.find(kSecret) == std::string::npos);
  auto no_hmac = WebhookVerifier::create(secrets({kSecret}), {});
  REQUIRE_FALSE(no_hmac.has_value());
  CHECK(no_hmac.error().code == ErrorCode::internal);
  auto negative = WebhookVerifier::create(secrets({kSecret}), kHmac, -1s);
  REQUIRE_FALSE(negative.has_value());
  CHECK(negative.error().field == "tolerance");

  auto verifier = WebhookVerifier::create(secrets({kSecret, kOldSecret}), kHmac, 60s);
  REQUIRE(verifier.has_value());
  CHECK(verifier->tolerance() == 60s);
  const auto header = sign_webhook(Secret(kOldSecret), kNow, kBody, kHmac);
  CHECK(verifier->verify(header, kBody, kNow + 60).ok());
  check_refused(verifier->verify(header, kBody, kNow + 61), WebhookSignatureFailure::timestamp_outside_tolerance);
}

TEST_CASE("failure reasons have stable names") {
  CHECK(to_string(WebhookSignatureFailure::missing_header) == "missing_header");
  CHECK(to_string(WebhookSignatureFailure::malformed_header) == "malformed_header");
  CHECK(to_string(WebhookSignatureFailure::no_v1_signature) == "no_v1_signature");
  CHECK(to_string(WebhookSignatureFailure::timestamp_outside_tolerance) == "timestamp_outside_tolerance");
  CHECK(to_string(WebhookSignatureFailure::no_matching_signature) == "no_matching_signature");
}

TEST_CASE("random bytes as a header never crash and never verify") {
  std::mt19937_64 random(20240620);
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_int_distribution<std::size_t> length(0, 300);
  const std::string prefix = "t=" + std::to_string(kNow) + ",v1=";
  const std::string alphabet = "tv10=, \t0123456789abcdefABCDEF;.-+";
  std::uniform_int_distribution<std::size_t> pick(0, alphabet.size() - 1);
  for (int i = 0; i < 3000; ++i) {
    std::string header;
    const auto n = length(random);
    for (std::size_t k = 0; k < n; ++k) {
      // A third of the headers from any byte, a third from the header's own alphabet, a third after a valid prefix.
      if (i % 3 == 0) {
        header.push_back(static_cast<char>(byte(random)));
      } else {
        header.push_back(alphabet[pick(random)]);
      }
    }
    if (i % 3 == 2) header = prefix + header;
    CAPTURE(header);
    const auto result = verify(header);
    CHECK_FALSE(result.ok());
    CHECK_FALSE(result.message().empty());
  }
  // Oversized input of every byte value.
  std::string huge(1 << 20, 'a');
  for (std::size_t k = 0; k < huge.size(); ++k) huge[k] = static_cast<char>(k & 0xffU);
  check_refused(verify(huge), WebhookSignatureFailure::malformed_header);
}

TEST_CASE("mutations of a valid header verify only when they keep its meaning") {
  const auto header = sign_webhook(Secret(kSecret), kNow, kBody, kHmac);
  const std::string expected = lower_without_blanks(header);
  std::mt19937_64 random(7);
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_int_distribution<int> op(0, 2);
  int verified = 0;
  for (int i = 0; i < 3000; ++i) {
    std::string mutated = header;
    std::uniform_int_distribution<std::size_t> at(0, mutated.size() - 1);
    const auto where = at(random);
    switch (op(random)) {
      case 0: mutated[where] = static_cast<char>(byte(random)); break;
      case 1: mutated.insert(where, 1, static_cast<char>(byte(random))); break;
      default: mutated.erase(where, 1); break;
    }
    CAPTURE(mutated);
    const auto result = verify(mutated);
    if (result.ok()) {
      // Only blanks or the case of a hex digit may have changed.
      CHECK(lower_without_blanks(mutated) == expected);
      ++verified;
    }
  }
  CHECK(verified < 3000);
}
