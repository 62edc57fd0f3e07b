#include <doctest/doctest.h>

#include <set>
#include <vector>

#include "payments/core/ids.hpp"

using namespace payments;

namespace {
// Deterministic bytes so the encodings can be asserted exactly.
class CountingRandom final : public RandomSource {
 public:
  void fill(std::span<std::uint8_t> out) override {
    for (auto& b : out) b = next_++;
  }

 private:
  std::uint8_t next_ = 0;
};
}  // namespace

TEST_CASE("external ids accept letters, digits, '_' and '-' up to 64 characters") {
  CHECK(PaymentId::parse("order-42_payment").has_value());
  CHECK(PaymentId::parse(std::string(64, 'a')).has_value());
  CHECK_FALSE(PaymentId::parse(std::string(65, 'a')));
  CHECK_FALSE(PaymentId::parse(""));
  CHECK_FALSE(PaymentId::parse("pay 1"));
  CHECK_FALSE(PaymentId::parse("../etc/passwd"));
  auto bad = RefundId::parse("a/b");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().field == "refund_id");
}

TEST_CASE("generated ids carry their prefix and 128 random bits in base32") {
  CountingRandom random;
  auto id = PaymentId::generate(random);
  CHECK(id.str().rfind("pay_", 0) == 0);
  CHECK(id.str().size() == 4 + 26);
  // bytes 00 01 02 ... 0f in RFC 4648 base32, lower case
  CHECK(id.str() == "pay_aaaqeayeaudaocajbifqydiob4");
  CHECK(RefundId::generate(random).str().rfind("ref_", 0) == 0);
}

TEST_CASE("ids from the system CSPRNG do not repeat") {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) seen.insert(PaymentId::generate(system_random()).str());
  CHECK(seen.size() == 1000);
}

TEST_CASE("UUIDs are version 4 with the RFC 4122 variant") {
  CountingRandom random;
  const auto uuid = new_uuid_v4(random);
  CHECK(uuid == "00010203-0405-4607-8809-0a0b0c0d0e0f");
  CHECK(is_uuid(uuid));
  CHECK(is_uuid(new_uuid_v4(system_random())));
  CHECK_FALSE(is_uuid("00010203-0405-4607-8809-0a0b0c0d0e0"));
  CHECK_FALSE(is_uuid("00010203x0405-4607-8809-0a0b0c0d0e0f"));
  CHECK_FALSE(is_uuid("g0010203-0405-4607-8809-0a0b0c0d0e0f"));
}
