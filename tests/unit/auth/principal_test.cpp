// Scope names as credentials and tokens spell them.
#include <doctest/doctest.h>

#include "payments/auth/principal.hpp"

using namespace payments;
using namespace payments::auth;

TEST_CASE("each scope has its documented name") {
  CHECK(to_string(Scope::payments_read) == "payments:read");
  CHECK(to_string(Scope::payments_write) == "payments:write");
  CHECK(to_string(Scope::refunds_write) == "refunds:write");
}

TEST_CASE("Scopes::all holds every scope and prints them in a fixed order") {
  const Scopes all = Scopes::all();
  CHECK(all.has(Scope::payments_read));
  CHECK(all.has(Scope::payments_write));
  CHECK(all.has(Scope::refunds_write));
  CHECK(all.str() == "payments:read,payments:write,refunds:write");
}

TEST_CASE("Scopes::parse accepts commas, spaces or both as separators") {
  for (const char* text : {"refunds:write,payments:read", "refunds:write payments:read",
                           " refunds:write , payments:read ", "refunds:write,,payments:read,"}) {
    CAPTURE(text);
    const auto scopes = Scopes::parse(text);
    REQUIRE(scopes.has_value());
    CHECK(scopes->has(Scope::payments_read));
    CHECK(scopes->has(Scope::refunds_write));
    CHECK_FALSE(scopes->has(Scope::payments_write));
    CHECK(scopes->str() == "payments:read,refunds:write");
  }
}

TEST_CASE("empty text gives no scopes") {
  for (const char* text : {"", " ", ",", " , "}) {
    CAPTURE(text);
    const auto scopes = Scopes::parse(text);
    REQUIRE(scopes.has_value());
    CHECK(scopes->empty());
    CHECK(scopes->str().empty());
  }
}

TEST_CASE("str and parse round-trip every combination") {
  for (unsigned bits = 0; bits < 8; ++bits) {
    Scopes scopes;
    if ((bits & 1U) != 0) scopes.add(Scope::payments_read);
    if ((bits & 2U) != 0) scopes.add(Scope::payments_write);
    if ((bits & 4U) != 0) scopes.add(Scope::refunds_write);
    CAPTURE(scopes.str());
    const auto parsed = Scopes::parse(scopes.str());
    REQUIRE(parsed.has_value());
    CHECK(parsed.value() == scopes);
  }
}

TEST_CASE("a repeated name counts once") {
  const auto scopes = Scopes::parse("payments:read payments:read");
  REQUIRE(scopes.has_value());
  CHECK(scopes->str() == "payments:read");
}

TEST_CASE("an unknown name is an error naming it and the known ones") {
  const auto scopes = Scopes::parse("payments:read,payments:admin");
  REQUIRE_FALSE(scopes.has_value());
  CHECK(scopes.error().code == ErrorCode::validation_error);
  CHECK(scopes.error().field == "scopes");
  CHECK(scopes.error().message ==
        "unknown scope 'payments:admin'; known: payments:read, payments:write, refunds:write");
}

TEST_CASE("names that differ from ours in case or suffix are unknown") {
  for (const char* text : {"Payments:Read", "payments:reads", "payments", "payments:read:"}) {
    CAPTURE(text);
    CHECK_FALSE(Scopes::parse(text).has_value());
  }
}

TEST_CASE("with ignore_unknown, other services' scopes are skipped") {
  const auto scopes = Scopes::parse("openid profile payments:write ledger:read", /*ignore_unknown=*/true);
  REQUIRE(scopes.has_value());
  CHECK(scopes->str() == "payments:write");

  const auto none = Scopes::parse("openid profile", /*ignore_unknown=*/true);
  REQUIRE(none.has_value());
  CHECK(none->empty());
}
