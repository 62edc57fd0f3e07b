#pragma once
// Strong types for identifiers, so a refund id can never be passed where a payment id is meant.

#include <compare>
#include <string>
#include <string_view>

#include "payments/core/random.hpp"
#include "payments/core/result.hpp"

namespace payments {

// Rule shared by every external id: 1 to 64 characters of [A-Za-z0-9_-], safe in URLs, keys and logs.
inline constexpr std::size_t kMaxIdLength = 64;
bool is_valid_external_id(std::string_view text) noexcept;

template <typename Tag>
class Id {
 public:
  // Accepts ids chosen by callers (an order service may pick its own payment_id) as long as they keep
  // the external id rule.
  static Result<Id> parse(std::string_view text, std::string field = Tag::kField) {
    if (!is_valid_external_id(text)) {
      return Error::validation(std::move(field), "must be 1 to 64 characters of letters, digits, '_' or '-'");
    }
    return Id(std::string(text));
  }
  // A new random id with the tag's prefix: "pay_" + 26 base32 characters (128 bits).
  static Id generate(RandomSource& random);

  [[nodiscard]] const std::string& str() const noexcept { return value_; }
  friend auto operator<=>(const Id&, const Id&) = default;

 private:
  explicit Id(std::string value) : value_(std::move(value)) {}
  std::string value_;
};

struct PaymentIdTag {
  static constexpr const char* kPrefix = "pay_";
  static constexpr const char* kField = "payment_id";
};
struct RefundIdTag {
  static constexpr const char* kPrefix = "ref_";
  static constexpr const char* kField = "refund_id";
};
using PaymentId = Id<PaymentIdTag>;
using RefundId = Id<RefundIdTag>;

// 128 random bits in base32 (lower case, RFC 4648 alphabet), 26 characters.
std::string random_token(RandomSource& random);

// RFC 4122 version 4 UUIDs, for command and event ids.
std::string new_uuid_v4(RandomSource& random);
bool is_uuid(std::string_view text) noexcept;

template <typename Tag>
Id<Tag> Id<Tag>::generate(RandomSource& random) {
  return Id(std::string(Tag::kPrefix) + random_token(random));
}

}  // namespace payments
