// DataCipher (libs/crypto): what DATA_ENCRYPTION_KEY accepts, sealing and opening with the real OpenSSL
// AES-256-GCM, that any change to a sealed value or its context is detected, and key rotation.
#include <doctest/doctest.h>

#include <set>
#include <string>

#include "payments/crypto/base64.hpp"
#include "payments/crypto/data_cipher.hpp"

using namespace payments;
using namespace payments::crypto;

namespace {

// Base64 of 32 bytes each (test keys only).
const std::string kKey1 = "Y3VycmVudC1rZXktb25lLTMyLWJ5dGVzLWxvbmctISE=";
const std::string kKey2 = "bmV4dC1rZXktdHdvLTMyLWJ5dGVzLWxvbmctLS0tISE=";
const std::string kContext = "payments.description:pay_1";

DataCipher cipher(const std::string& setting) {
  auto c = DataCipher::from_setting(setting);
  REQUIRE_MESSAGE(c, (c ? "" : c.error().message));
  return std::move(c).value();
}

// The raw bytes (nonce | ciphertext | tag) of a sealed value, and the value rebuilt from changed bytes.
std::string raw_of(const std::string& sealed) {
  return base64_decode(sealed.substr(sealed.find(':', kSealedPrefix.size()) + 1)).value();
}
std::string with_raw(const std::string& sealed, const std::string& raw) {
  return sealed.substr(0, sealed.find(':', kSealedPrefix.size()) + 1) + base64_encode(raw);
}

}  // namespace

TEST_CASE("base64 follows RFC 4648 and refuses what is not base64") {
  CHECK(base64_encode("") == "");
  CHECK(base64_encode("f") == "Zg==");
  CHECK(base64_encode("fo") == "Zm8=");
  CHECK(base64_encode("foo") == "Zm9v");
  CHECK(base64_encode("foobar") == "Zm9vYmFy");
  CHECK(base64_decode("Zm9vYg==") == "foob");
  CHECK(base64_decode("Zm9vYg") == "foob");
  CHECK(base64_decode("Zm9vYmE=") == "fooba");
  CHECK_FALSE(base64_decode("Zm9v*mFy"));
  CHECK_FALSE(base64_decode("Z"));
  CHECK_FALSE(base64_decode("Zm9v YmFy"));
}

TEST_CASE("a sealed value opens to the plaintext and shows neither it nor the key") {
  const auto c = cipher("k1:" + kKey1);
  for (const std::string& plaintext : {std::string("cus_123"), std::string(), std::string("Caf\xC3\xA9 \"Le Z\xC3\xA8" "bre\""),
                                      std::string(70'000, 'x'), std::string("with\0nul", 8)}) {
    const auto sealed = c.seal(plaintext, kContext);
    CHECK(sealed.rfind("enc:v1:k1:", 0) == 0);
    CHECK(looks_sealed(sealed));
    CHECK(sealed_key_id(sealed) == "k1");
    if (plaintext.size() > 3) CHECK(sealed.find(plaintext) == std::string::npos);
    CHECK(sealed.find(kKey1) == std::string::npos);
    // 12-byte nonce, the ciphertext as long as the plaintext, a 16-byte tag.
    CHECK(raw_of(sealed).size() == plaintext.size() + 28);
    auto opened = c.open(sealed, kContext);
    REQUIRE_MESSAGE(opened, (opened ? "" : opened.error().message));
    CHECK(opened.value() == plaintext);
  }
}

TEST_CASE("every seal draws a fresh nonce: the same plaintext never seals the same way twice") {
  const auto c = cipher("k1:" + kKey1);
  std::set<std::string> seen;
  std::set<std::string> nonces;
  for (int i = 0; i < 200; ++i) {
    const auto sealed = c.seal("+14155550123", kContext);
    seen.insert(sealed);
    nonces.insert(raw_of(sealed).substr(0, 12));
  }
  CHECK(seen.size() == 200);
  CHECK(nonces.size() == 200);
}

TEST_CASE("any changed byte of a sealed value is detected, wherever it is") {
  const auto c = cipher("k1:" + kKey1);
  const auto sealed = c.seal("a customer's description", kContext);
  const auto raw = raw_of(sealed);
  for (std::size_t i = 0; i < raw.size(); ++i) {
    std::string changed = raw;
    changed[i] = static_cast<char>(changed[i] ^ 0x01);
    auto opened = c.open(with_raw(sealed, changed), kContext);
    REQUIRE_FALSE_MESSAGE(opened, "byte " << i << " changed and the value still opened");
    CHECK(opened.error().message.find("integrity check") != std::string::npos);
  }
  // Cut short, lengthened, or not a sealed value at all.
  CHECK_FALSE(c.open(with_raw(sealed, raw.substr(0, raw.size() - 1)), kContext));
  CHECK_FALSE(c.open(with_raw(sealed, raw + "x"), kContext));
  CHECK_FALSE(c.open(with_raw(sealed, raw.substr(0, 20)), kContext));
  CHECK_FALSE(c.open("enc:v1:k1:not*base64", kContext));
  CHECK_FALSE(c.open("enc:v1:k1", kContext));
  CHECK_FALSE(c.open("a customer's description", kContext));
  CHECK_FALSE(looks_sealed("a customer's description"));
}

TEST_CASE("a sealed value moved to another column or another row does not open") {
  const auto c = cipher("k1:" + kKey1);
  const auto sealed = c.seal("cus_123", "payments.customer_id:pay_1");
  CHECK(c.open(sealed, "payments.customer_id:pay_1"));
  auto other_row = c.open(sealed, "payments.customer_id:pay_2");
  REQUIRE_FALSE(other_row);
  CHECK(other_row.error().message.find("moved from another column or row") != std::string::npos);
  CHECK_FALSE(c.open(sealed, "payments.description:pay_1"));
  CHECK_FALSE(c.open(sealed, ""));
}

TEST_CASE("key rotation: the new key seals, the old one still opens until it is dropped") {
  const auto before = cipher("k1:" + kKey1);
  const auto old_value = before.seal("+14155550123", kContext);
  CHECK(before.sealed_under_current(old_value));

  // The ring of the rotation: k2 current, k1 kept to read what it sealed.
  const auto during = cipher("k2:" + kKey2 + ", k1:" + kKey1);
  CHECK(during.current_key_id() == "k2");
  CHECK_FALSE(during.sealed_under_current(old_value));
  auto opened = during.open(old_value, kContext);
  REQUIRE(opened);
  const auto new_value = during.seal(opened.value(), kContext);
  CHECK(new_value.rfind("enc:v1:k2:", 0) == 0);
  CHECK(during.sealed_under_current(new_value));
  CHECK(during.open(new_value, kContext).value() == "+14155550123");

  // Once every value is under k2, k1 can go; a value still under k1 then names the key it needs.
  const auto after = cipher("k2:" + kKey2);
  CHECK(after.open(new_value, kContext).value() == "+14155550123");
  auto stale = after.open(old_value, kContext);
  REQUIRE_FALSE(stale);
  CHECK(stale.error().message.find("key id k1") != std::string::npos);
  CHECK(stale.error().message.find("DATA_ENCRYPTION_KEY") != std::string::npos);

  // Relabelling a value with the other key's id does not open it either.
  std::string relabelled = old_value;
  relabelled.replace(kSealedPrefix.size(), 2, "k2");
  CHECK_FALSE(during.open(relabelled, kContext));
  // The same key bytes under another id do not open it: the id is authenticated too.
  CHECK_FALSE(cipher("k9:" + kKey1).open(std::string("enc:v1:k9:") + old_value.substr(10), kContext));
}

TEST_CASE("DATA_ENCRYPTION_KEY: unset, malformed or a wrong-sized key is refused in one line naming it") {
  struct Bad {
    std::optional<std::string> value;
    std::string says;
  };
  const std::string short_key = "c2l4dGVlbi1ieXRlLWtleQ==";  // 16 bytes
  for (const auto& bad : {Bad{std::nullopt, "is required"}, Bad{"", "is required"}, Bad{"  ", "is required"},
                          Bad{kKey1, "entry 1 is not <key id>:"},
                          Bad{"k1:" + short_key, "entry 1 (key id k1) decodes to 16 bytes"},
                          Bad{"k1:" + kKey1 + ",k2:" + kKey2.substr(0, 43) + "AAA", "entry 2 (key id k2) decodes to 34 bytes"},
                          Bad{"k1:" + kKey1 + ",k1:" + kKey2, "entry 2 repeats key id k1"},
                          Bad{"k 1:" + kKey1, "entry 1 has an invalid key id"},
                          Bad{":" + kKey1, "entry 1 has an invalid key id"},
                          Bad{std::string(33, 'k') + ":" + kKey1, "entry 1 has an invalid key id"},
                          Bad{"k1:" + kKey1.substr(0, 20) + "*" + kKey1.substr(21), "(key id k1) is not valid base64"},
                          Bad{"k1:" + kKey1 + ",", "entry 2 is not <key id>:"}}) {
    auto refused = DataCipher::from_setting(bad.value);
    REQUIRE_FALSE_MESSAGE(refused, "accepted: " << bad.says);
    CHECK(refused.error().field == "DATA_ENCRYPTION_KEY");
    CHECK(refused.error().message.rfind("DATA_ENCRYPTION_KEY", 0) == 0);
    CHECK_MESSAGE(refused.error().message.find(bad.says) != std::string::npos, refused.error().message);
    CHECK(refused.error().message.find('\n') == std::string::npos);
    // Never the key material, whole or in part.
    CHECK(refused.error().message.find(kKey1.substr(0, 12)) == std::string::npos);
    CHECK(refused.error().message.find(kKey2.substr(0, 12)) == std::string::npos);
    CHECK(refused.error().message.find(short_key.substr(0, 12)) == std::string::npos);
  }
}

TEST_CASE("DATA_ENCRYPTION_KEY: spaces around entries are ignored and the first key is the current one") {
  const auto c = cipher(" k-2_new:" + kKey2 + " ,\tk1:" + kKey1 + "\n");
  CHECK(c.current_key_id() == "k-2_new");
  const auto unpadded = cipher("k1:" + kKey1.substr(0, kKey1.size() - 1));
  CHECK(unpadded.open(cipher("k1:" + kKey1).seal("x", kContext), kContext).value() == "x");
}
