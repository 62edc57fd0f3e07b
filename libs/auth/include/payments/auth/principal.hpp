#pragma once
// Who is calling: the merchant a request acts for, the credential that proved it, and what it may do.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "payments/core/result.hpp"

namespace payments::auth {

enum class Scope : std::uint8_t {
  payments_read = 1,   // GET payments, their status and refunds
  payments_write = 2,  // create payments, send and verify one-time codes, validate cards
  refunds_write = 4,   // refund
};

std::string_view to_string(Scope scope) noexcept;  // "payments:read", ...

class Scopes {
 public:
  Scopes() = default;
  static Scopes all() noexcept;
  // Names separated by commas or spaces ("payments:read,refunds:write", or a JWT's "scope" claim). With
  // `ignore_unknown`, names this service does not define are skipped (a JWT may carry other services'
  // scopes); otherwise such a name is an error naming it. Empty text gives no scopes.
  static Result<Scopes> parse(std::string_view text, bool ignore_unknown = false);

  [[nodiscard]] bool has(Scope scope) const noexcept { return (bits_ & static_cast<std::uint8_t>(scope)) != 0; }
  Scopes& add(Scope scope) noexcept {
    bits_ |= static_cast<std::uint8_t>(scope);
    return *this;
  }
  [[nodiscard]] bool empty() const noexcept { return bits_ == 0; }
  // The names, comma-separated, in a fixed order.
  [[nodiscard]] std::string str() const;
  friend bool operator==(Scopes, Scopes) = default;

 private:
  std::uint8_t bits_ = 0;
};

struct Principal {
  std::string merchant_id;
  // What logs and metrics name the credential by: the API key's id (key_...), or "jwt:<sub>" for a token.
  // Never the secret or the token.
  std::string key_id;
  Scopes scopes;
  std::optional<int> rate_limit_per_second;  // the credential's own limit; nullopt: the service default
};

}  // namespace payments::auth
