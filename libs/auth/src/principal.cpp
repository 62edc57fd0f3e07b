#include "payments/auth/principal.hpp"

#include <array>
#include <optional>

namespace payments::auth {
namespace {

// Every scope, in the order str() writes them.
constexpr std::array kAllScopes{Scope::payments_read, Scope::payments_write, Scope::refunds_write};

std::optional<Scope> scope_named(std::string_view name) noexcept {
  for (const Scope scope : kAllScopes) {
    if (to_string(scope) == name) return scope;
  }
  return std::nullopt;
}

bool is_separator(char c) noexcept { return c == ',' || c == ' '; }

// Named in the unknown-scope error, so a person fixing the configuration sees the choices.
std::string known_names() {
  std::string out;
  for (const Scope scope : kAllScopes) {
    if (!out.empty()) out += ", ";
    out += to_string(scope);
  }
  return out;
}

}  // namespace

std::string_view to_string(Scope scope) noexcept {
  switch (scope) {
    case Scope::payments_read: return "payments:read";
    case Scope::payments_write: return "payments:write";
    case Scope::refunds_write: return "refunds:write";
  }
  return "unknown";
}

Scopes Scopes::all() noexcept {
  Scopes scopes;
  for (const Scope scope : kAllScopes) scopes.add(scope);
  return scopes;
}

Result<Scopes> Scopes::parse(std::string_view text, bool ignore_unknown) {
  Scopes scopes;
  std::size_t at = 0;
  while (at < text.size()) {
    if (is_separator(text[at])) {
      ++at;
      continue;
    }
    std::size_t end = at;
    while (end < text.size() && !is_separator(text[end])) ++end;
    const std::string_view name = text.substr(at, end - at);
    at = end;

    if (const auto scope = scope_named(name)) {
      scopes.add(*scope);
    } else if (!ignore_unknown) {
      return Error::validation("scopes", "unknown scope '" + std::string(name) + "'; known: " + known_names());
    }
  }
  return scopes;
}

std::string Scopes::str() const {
  std::string out;
  for (const Scope scope : kAllScopes) {
    if (!has(scope)) continue;
    if (!out.empty()) out += ',';
    out += to_string(scope);
  }
  return out;
}

}  // namespace payments::auth
