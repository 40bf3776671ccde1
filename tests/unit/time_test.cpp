#include <gtest/gtest.h>

#include "sextant/core/time.h"

namespace sextant {
namespace {

TEST(Time, CivilDaysRoundTrip) {
    EXPECT_EQ(days_from_civil(1970, 1, 1), 0);
    EXPECT_EQ(days_from_civil(2000, 3, 1), 11017);
    int y;
    unsigned m, d;
    civil_from_days(11017, y, m, d);
    EXPECT_EQ(y, 2000);
    EXPECT_EQ(m, 3u);
    EXPECT_EQ(d, 1u);
}

TEST(Time, LondonDayBoundaryAcrossSpringForward) {
    // 2024-03-31: clocks in London go from 01:00 GMT to 02:00 BST; the day is 23 hours long.
    TimeZone london = TimeZone::named("Europe/London");
    Day d = static_cast<Day>(days_from_civil(2024, 3, 31));
    EXPECT_EQ(london.start_of(d), 1711843200);      // 2024-03-31T00:00:00Z (GMT)
    EXPECT_EQ(london.start_of(d + 1), 1711926000);  // 2024-03-31T23:00:00Z (BST midnight)
    EXPECT_EQ(london.day_of(1711925999), d);
    EXPECT_EQ(london.day_of(1711926000), d + 1);
    // UTC puts 23:30Z on the same day; London already on the next.
    EXPECT_EQ(TimeZone().day_of(1711927800), d);
    EXPECT_EQ(london.day_of(1711927800), d + 1);
}

TEST(Time, WeekStartsOnMonday) {
    Day wed = static_cast<Day>(days_from_civil(2024, 1, 3));
    EXPECT_EQ(format_day(week_start(wed)), "2024-01-01");
    EXPECT_EQ(format_day(month_start(wed)), "2024-01-01");
}

TEST(Time, UnknownZoneIsInvalidInput) {
    EXPECT_THROW(TimeZone::named("Mars/Olympus"), std::exception);
}

}  // namespace
}  // namespace sextant
