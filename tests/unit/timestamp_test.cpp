#include "sextant/data/timestamp.h"

#include <gtest/gtest.h>

namespace sextant {
namespace {

// Expected values were computed by hand from days since 1970-01-01 and checked with Python's
// calendar.timegm: 2010-12-01 is day 14944, 2024-03-31 is day 19813, 2024-07-01 is day 19905.
constexpr Seconds k20101201T0826 = 1291191960;
constexpr Seconds k20240331 = 1711843200;
constexpr Seconds k20240331T0130 = 1711848600;

Seconds utc_of(std::string_view text, const TimeZone& tz = TimeZone()) {
    ParsedTime t = parse_timestamp(text, tz);
    EXPECT_TRUE(t.ok) << "could not parse \"" << text << "\"";
    return t.utc;
}

bool parses(std::string_view text) {
    return parse_timestamp(text, TimeZone()).ok;
}

TEST(Timestamp, EpochSecondsAndMillisecondsByMagnitude) {
    ParsedTime s = parse_timestamp("978300760", TimeZone());
    EXPECT_TRUE(s.ok);
    EXPECT_EQ(s.utc, 978300760);
    EXPECT_EQ(s.epoch, EpochUnit::kSeconds);

    ParsedTime ms = parse_timestamp("978300760123", TimeZone());
    EXPECT_TRUE(ms.ok);
    EXPECT_EQ(ms.utc, 978300760);
    EXPECT_EQ(ms.epoch, EpochUnit::kMilliseconds);

    // The boundary: below 1e11 is seconds (year 5138), from 1e11 on milliseconds (1973).
    EXPECT_EQ(parse_timestamp("99999999999", TimeZone()).epoch, EpochUnit::kSeconds);
    EXPECT_EQ(utc_of("99999999999"), 99999999999);
    EXPECT_EQ(parse_timestamp("100000000000", TimeZone()).epoch, EpochUnit::kMilliseconds);
    EXPECT_EQ(utc_of("100000000000"), 100000000);
}

TEST(Timestamp, EpochWithDecimalsSignsAndSpaces) {
    EXPECT_EQ(utc_of("978300760.5"), 978300760);
    EXPECT_EQ(utc_of("  978300760 "), 978300760);
    EXPECT_EQ(utc_of("+60"), 60);
    EXPECT_EQ(utc_of("-86400"), -86400);
    EXPECT_EQ(utc_of("-0.5"), -1);  // rounded down, not toward zero
    EXPECT_EQ(utc_of("-100000000500"), -100000001);
    EXPECT_EQ(utc_of("1711848600000.9"), k20240331T0130);
    EXPECT_FALSE(parses("1.5e9"));
    EXPECT_FALSE(parses("12."));
    EXPECT_FALSE(parses("99999999999999999999"));  // beyond int64
}

TEST(Timestamp, IsoForms) {
    EXPECT_EQ(utc_of("2024-03-31"), k20240331);
    EXPECT_EQ(utc_of("2024-03-31T01:30:00Z"), k20240331T0130);
    EXPECT_EQ(utc_of("2024-03-31t01:30:00z"), k20240331T0130);
    EXPECT_EQ(utc_of("2024-03-31T01:30:00"), k20240331T0130);
    EXPECT_EQ(utc_of("2024-03-31T01:30"), k20240331T0130);
    EXPECT_EQ(utc_of("2024-03-31 01:30:00"), k20240331T0130);
    EXPECT_EQ(utc_of("2024-03-31 01:30"), k20240331T0130);
    EXPECT_EQ(utc_of("2024-03-31T01:30:00.750Z"), k20240331T0130);
    EXPECT_EQ(utc_of("2024-03-31T01:30:59.999999999Z"), k20240331T0130 + 59);
    EXPECT_EQ(utc_of("2010-12-01 08:26:00"), k20101201T0826);
    EXPECT_EQ(utc_of("2024/03/31 01:30:00"), k20240331T0130);
}

TEST(Timestamp, OffsetsAreExact) {
    EXPECT_EQ(utc_of("2024-03-31T01:30:00+01:00"), k20240331T0130 - 3600);
    EXPECT_EQ(utc_of("2024-03-31T01:30:00+0100"), k20240331T0130 - 3600);
    EXPECT_EQ(utc_of("2024-03-31T01:30:00+01"), k20240331T0130 - 3600);
    EXPECT_EQ(utc_of("2024-03-31T01:30:00-05:30"), k20240331T0130 + 5 * 3600 + 1800);
    EXPECT_EQ(utc_of("2024-03-31 01:30:00.5+00:00"), k20240331T0130);
    // An offset wins over the zone of naive times.
    TimeZone london = TimeZone::named("Europe/London");
    EXPECT_EQ(utc_of("2024-07-01T12:00:00Z", london), 1719835200);
    EXPECT_EQ(utc_of("2024-07-01T12:00:00+02:00", london), 1719828000);
}

TEST(Timestamp, UsOrderAsInUciOnlineRetail) {
    EXPECT_EQ(utc_of("12/1/2010 8:26"), k20101201T0826);
    EXPECT_EQ(utc_of("12/1/2010 8:26:00"), k20101201T0826);
    EXPECT_EQ(utc_of("12/01/2010 08:26"), k20101201T0826);
    EXPECT_EQ(utc_of("12/1/2010"), k20101201T0826 - (8 * 3600 + 26 * 60));
    EXPECT_FALSE(parses("12/1/10 8:26"));  // a two-digit year is ambiguous
}

TEST(Timestamp, NaiveTimesAreInTheGivenZone) {
    TimeZone london = TimeZone::named("Europe/London");
    // Summer: BST is UTC+1, so 12:00 local is 11:00Z.
    EXPECT_EQ(utc_of("2024-07-01 12:00", london), 1719831600);
    // Winter: GMT, the same as UTC.
    EXPECT_EQ(utc_of("2024-01-15 12:00", london), utc_of("2024-01-15 12:00"));
    // 01:30 on 2024-03-31 does not exist in London; it maps to the end of the gap (01:00Z).
    EXPECT_EQ(utc_of("2024-03-31 01:30", london), k20240331 + 3600);

    LocalTimeConverter converter(london);
    EXPECT_EQ(parse_timestamp("2024-07-01 12:00", converter).utc, 1719831600);
    EXPECT_EQ(parse_timestamp("2024-07-01 12:00", converter).utc, 1719831600);  // cached
    EXPECT_EQ(parse_timestamp("2024-01-15 12:00", converter).utc, utc_of("2024-01-15 12:00"));
}

TEST(Timestamp, RangesAreChecked) {
    EXPECT_FALSE(parses("31/02/2024"));
    EXPECT_FALSE(parses("2024-02-30"));
    EXPECT_FALSE(parses("2023-02-29"));
    EXPECT_FALSE(parses("2100-02-29"));  // not a leap year
    EXPECT_EQ(utc_of("2024-02-29"), k20240331 - 31 * kSecondsPerDay);
    EXPECT_TRUE(parses("2000-02-29"));
    EXPECT_FALSE(parses("2024-13-01"));
    EXPECT_FALSE(parses("2024-00-10"));
    EXPECT_FALSE(parses("2024-04-31"));
    EXPECT_FALSE(parses("2024-01-01 24:00"));
    EXPECT_FALSE(parses("2024-01-01 12:60"));
    EXPECT_FALSE(parses("2024-01-01 12:00:60"));
    EXPECT_FALSE(parses("2024-01-01T12:00:00+24:00"));
}

TEST(Timestamp, OtherTextIsRejected) {
    EXPECT_FALSE(parses(""));
    EXPECT_FALSE(parses("   "));
    EXPECT_FALSE(parses("yesterday"));
    EXPECT_FALSE(parses("2024-01-01x"));
    EXPECT_FALSE(parses("2024-01-01 12"));
    EXPECT_FALSE(parses("2024-01-01T12:00:00 UTC"));
    EXPECT_FALSE(parses("24-01-01"));
}

}  // namespace
}  // namespace sextant
