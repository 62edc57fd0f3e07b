#include <doctest/doctest.h>

#include <chrono>
#include <string>

#include "payments/core/time.hpp"

using namespace payments;
using namespace std::chrono;

namespace {

// 2026-11-22T10:00:00Z, worked out by hand: 20779 days after 1970-01-01, plus ten hours.
constexpr auto kNov22 = sys_days{days{20779}} + hours{10};

std::string formatted(std::string_view text) {
  auto t = parse_rfc3339(text);
  REQUIRE_MESSAGE(t.has_value(), text);
  return format_rfc3339(*t);
}

}  // namespace

TEST_CASE("parse_rfc3339 reads the instant format_rfc3339 wrote") {
  CHECK(sys_days{2026y / November / 22} == sys_days{days{20779}});
  CHECK(format_rfc3339(kNov22 + milliseconds{412}) == "2026-11-22T10:00:00.412Z");

  auto t = parse_rfc3339("2026-11-22T10:00:00.412Z");
  REQUIRE(t.has_value());
  CHECK(*t == kNov22 + milliseconds{412});

  // Round trips both ways, across days, months, years, leap days and the epoch.
  for (const auto instant : {sys_days{1970y / January / 1} + milliseconds{0},
                             sys_days{2024y / February / 29} + hours{23} + minutes{59} + seconds{59} + milliseconds{999},
                             sys_days{2026y / December / 31} + hours{23} + minutes{59} + seconds{59} + milliseconds{1},
                             sys_days{2038y / January / 19} + hours{3} + minutes{14} + seconds{8} + milliseconds{70},
                             sys_days{2099y / July / 4} + hours{12} + milliseconds{500}}) {
    const std::string text = format_rfc3339(instant);
    CAPTURE(text);
    auto back = parse_rfc3339(text);
    REQUIRE(back.has_value());
    CHECK(*back == instant);
    CHECK(format_rfc3339(*back) == text);
  }
  // The clock's own now() survives the trip to the millisecond.
  const auto now = time_point_cast<milliseconds>(system_clock::now());
  auto back = parse_rfc3339(format_rfc3339(now));
  REQUIRE(back.has_value());
  CHECK(*back == now);
}

TEST_CASE("fractional seconds are optional and may have one to six digits - past milliseconds they are cut") {
  auto whole = parse_rfc3339("2026-11-22T10:00:00Z");
  REQUIRE(whole.has_value());
  CHECK(*whole == kNov22);
  CHECK(formatted("2026-11-22T10:00:00Z") == "2026-11-22T10:00:00.000Z");

  // Fewer digits are tenths and hundredths, not milliseconds.
  CHECK(*parse_rfc3339("2026-11-22T10:00:00.4Z") == kNov22 + milliseconds{400});
  CHECK(*parse_rfc3339("2026-11-22T10:00:00.41Z") == kNov22 + milliseconds{410});
  CHECK(*parse_rfc3339("2026-11-22T10:00:00.041Z") == kNov22 + milliseconds{41});
  CHECK(*parse_rfc3339("2026-11-22T10:00:00.000Z") == kNov22);

  // MySQL's DATETIME(6) gives microseconds: truncated, never rounded up into the next millisecond or second.
  CHECK(*parse_rfc3339("2026-11-22T10:00:00.412999Z") == kNov22 + milliseconds{412});
  CHECK(*parse_rfc3339("2026-11-22T10:00:00.412001Z") == kNov22 + milliseconds{412});
  CHECK(*parse_rfc3339("2026-11-22T10:00:59.999999Z") == kNov22 + seconds{59} + milliseconds{999});
  CHECK(formatted("2026-11-22T10:00:00.123456Z") == "2026-11-22T10:00:00.123Z");
}

TEST_CASE("anything that is not such a timestamp is nullopt") {
  for (const char* text : {
           "",
           "Z",
           "now",
           "garbage",
           "2026-11-22",
           "10:00:00Z",
           "2026-11-22T10:00:00",            // no Z
           "2026-11-22T10:00:00.412",        // no Z
           "2026-11-22T10:00:00.412z",       // lower-case z
           "2026-11-22T10:00:00+00:00",      // an offset instead of Z
           "2026-11-22T11:00:00.412+01:00",  // an offset instead of Z
           "2026-11-22 10:00:00Z",           // a space instead of T
           "2026-11-22T10:00:00.Z",          // a dot without digits
           "2026-11-22T10:00:00.abcZ",
           "2026-11-22T10:00:00ZZ",          // trailing junk
           "2026-11-22T10:00:00Z ",
           "2026-11-22T10:00:00.412Z\n",
           "2026-11-22T10:00:00.412Zjunk",
           "2026-11-22T10:00:00.412Z2026-11-22T10:00:00.412Z",
           "2026-13-01T10:00:00Z",           // no 13th month
           "2026-11-32T10:00:00Z",
           "2026-11-22T25:00:00Z",
           "2026-11-22T10:61:00Z",
           "1718900021",                     // unix seconds are not RFC 3339
       }) {
    CAPTURE(text);
    CHECK_FALSE(parse_rfc3339(text).has_value());
  }
}

// Whatever the text is bent into: junk after a long fraction, an embedded NUL, leading blanks, unpadded fields,
// a date that does not exist (strptime/timegm would quietly accept or move each of these).
TEST_CASE("text format_rfc3339 could never write is refused, however it is bent") {
  CHECK_FALSE(parse_rfc3339("2026-11-22T10:00:00.4120000000000000000Zjunk").has_value());
  CHECK_FALSE(parse_rfc3339(std::string_view("2026-11-22T10:00:00Z\0junk", 25)).has_value());
  CHECK_FALSE(parse_rfc3339(" 2026-11-22T10:00:00Z").has_value());
  CHECK_FALSE(parse_rfc3339("2026-1-2T3:4:5Z").has_value());
  CHECK_FALSE(parse_rfc3339("2026-02-31T10:00:00Z").has_value());  // read today as 2026-03-03
}
