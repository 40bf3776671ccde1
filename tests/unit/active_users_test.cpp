#include <gtest/gtest.h>

#include <chrono>
#include <iostream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "analytics_fixture.h"
#include "sextant/analytics/active_users.h"
#include "sextant/data/event_table.h"

namespace sextant {
namespace {

using testing::day;
using testing::make;
using testing::tiny_log;

TEST(ActiveUsers, DailyFiguresOfTinyLog) {
    ActiveUsers a = compute_active_users(tiny_log(), TimeZone());
    std::map<std::string, std::uint64_t> nonzero = {
        {"2024-01-29", 2}, {"2024-01-30", 1}, {"2024-01-31", 1}, {"2024-02-01", 1},
        {"2024-02-05", 1}, {"2024-02-06", 1}, {"2024-02-07", 2}, {"2024-02-12", 1},
        {"2024-02-13", 1}, {"2024-02-27", 1}, {"2024-02-28", 1}, {"2024-03-01", 1},
        {"2024-03-04", 3}};
    ASSERT_EQ(a.daily.size(), 36u);  // Jan 29 to Mar 4, zero days included
    EXPECT_EQ(a.daily.front().start, day(2024, 1, 29));
    for (std::size_t i = 0; i < a.daily.size(); ++i) {
        EXPECT_EQ(a.daily[i].start, day(2024, 1, 29) + static_cast<Day>(i));
        std::string d = format_day(a.daily[i].start);
        std::uint64_t want = nonzero.count(d) ? nonzero[d] : 0;
        EXPECT_EQ(a.daily[i].users, want) << d;
    }
    // 17 distinct user-days over 36 days.
    ASSERT_TRUE(a.dau_mean);
    EXPECT_DOUBLE_EQ(*a.dau_mean, 17.0 / 36.0);
}

TEST(ActiveUsers, WeeklyAndMonthlyFiguresOfTinyLog) {
    ActiveUsers a = compute_active_users(tiny_log(), TimeZone());
    std::vector<std::pair<std::string, std::uint64_t>> weeks = {
        {"2024-01-29", 3}, {"2024-02-05", 3}, {"2024-02-12", 2},
        {"2024-02-19", 0}, {"2024-02-26", 3}, {"2024-03-04", 3}};
    ASSERT_EQ(a.weekly.size(), weeks.size());
    for (std::size_t i = 0; i < weeks.size(); ++i) {
        EXPECT_EQ(format_day(a.weekly[i].start), weeks[i].first);
        EXPECT_EQ(a.weekly[i].users, weeks[i].second) << weeks[i].first;
    }
    // January: A, B, C; February: A, B, C, D, E; March: A, C, E, F.
    ASSERT_EQ(a.monthly.size(), 3u);
    EXPECT_EQ(format_day(a.monthly[0].start), "2024-01-01");
    EXPECT_EQ(a.monthly[0].users, 3u);
    EXPECT_EQ(a.monthly[1].users, 5u);
    EXPECT_EQ(a.monthly[2].users, 4u);
}

TEST(ActiveUsers, StickinessUsesOnlyFullMonths) {
    // Only February is wholly inside Jan 29 - Mar 4: DAU sum 9 over 29 days, MAU 5.
    ActiveUsers a = compute_active_users(tiny_log(), TimeZone());
    ASSERT_TRUE(a.stickiness);
    EXPECT_DOUBLE_EQ(*a.stickiness, (9.0 / 29.0) / 5.0);
    EXPECT_EQ(a.n_stickiness_months, 1u);
    EXPECT_NE(a.stickiness_rule.find("wholly inside"), std::string::npos);
    EXPECT_EQ(a.stickiness_rule.find("No calendar month"), std::string::npos);
}

TEST(ActiveUsers, StickinessFallsBackToAllMonthsAndSaysSo) {
    // Jan 30 - Feb 2: January part Jan 30-31 (DAU 2, 1; MAU 2), February part Feb 1-2 (DAU 1, 1;
    // MAU 2). Stickiness = (1.5 / 2 + 1 / 2) / 2 = 0.625.
    std::vector<Event> ev = {make("x", day(2024, 1, 30) * kSecondsPerDay),
                             make("y", day(2024, 1, 30) * kSecondsPerDay),
                             make("y", day(2024, 1, 31) * kSecondsPerDay),
                             make("y", day(2024, 2, 1) * kSecondsPerDay + 100),
                             make("x", day(2024, 2, 2) * kSecondsPerDay + 1)};
    ActiveUsers a = compute_active_users(EventTable::from_events(ev), TimeZone());
    ASSERT_EQ(a.daily.size(), 4u);
    EXPECT_EQ(a.daily[0].users, 2u);
    EXPECT_EQ(a.daily[1].users, 1u);
    EXPECT_EQ(a.daily[2].users, 1u);
    EXPECT_EQ(a.daily[3].users, 1u);
    ASSERT_TRUE(a.stickiness);
    EXPECT_DOUBLE_EQ(*a.stickiness, 0.625);
    EXPECT_EQ(a.n_stickiness_months, 2u);
    EXPECT_NE(a.stickiness_rule.find("No calendar month lies wholly inside"), std::string::npos);
}

TEST(ActiveUsers, LondonSpringForwardMovesLateEventsToNextDay) {
    // 2024-03-31 is 23 hours long in London. u1 at 2024-03-31T23:30Z is 00:30 BST on April 1;
    // u1 again at 2024-04-01T00:30Z; u2 at 2024-03-31T00:30Z (still GMT); u3 at 23:30Z on
    // March 30 (GMT).
    std::vector<Event> ev = {make("u1", 1711927800), make("u1", 1711931400), make("u2", 1711845000),
                             make("u3", 1711841400)};
    EventTable t = EventTable::from_events(ev);

    ActiveUsers london = compute_active_users(t, TimeZone::named("Europe/London"));
    ASSERT_EQ(london.daily.size(), 3u);
    EXPECT_EQ(format_day(london.daily[0].start), "2024-03-30");
    EXPECT_EQ(london.daily[0].users, 1u);  // u3
    EXPECT_EQ(london.daily[1].users, 1u);  // u2
    EXPECT_EQ(london.daily[2].users, 1u);  // u1
    ASSERT_EQ(london.weekly.size(), 2u);   // Mar 30-31 are Sat-Sun, April 1 a Monday
    EXPECT_EQ(london.weekly[0].users, 2u);
    EXPECT_EQ(london.weekly[1].users, 1u);
    EXPECT_EQ(london.monthly[0].users, 2u);
    EXPECT_EQ(london.monthly[1].users, 1u);

    ActiveUsers utc = compute_active_users(t, TimeZone());
    ASSERT_EQ(utc.daily.size(), 3u);
    EXPECT_EQ(utc.daily[0].users, 1u);  // u3
    EXPECT_EQ(utc.daily[1].users, 2u);  // u2, u1
    EXPECT_EQ(utc.daily[2].users, 1u);  // u1
    EXPECT_EQ(utc.weekly[0].users, 3u);
    EXPECT_EQ(utc.weekly[1].users, 1u);
    EXPECT_EQ(utc.monthly[0].users, 3u);
    EXPECT_EQ(utc.monthly[1].users, 1u);
}

TEST(ActiveUsers, LondonFallBackDayHoldsTwentyFiveHours) {
    // London's 2024-10-27 runs from 2024-10-26T23:00Z to 2024-10-28T00:00Z. u4 at 23:30Z on
    // Oct 26 is 00:30 BST on Oct 27; u6 at 00:30Z on Oct 27 is 01:30 BST; u5 at 23:30Z on Oct 27
    // is 23:30 GMT; u7 at 22:30Z on Oct 26 is 23:30 BST on Oct 26.
    std::vector<Event> ev = {make("u4", 1729985400), make("u5", 1730071800), make("u6", 1729989000),
                             make("u7", 1729981800)};
    EventTable t = EventTable::from_events(ev);

    ActiveUsers london = compute_active_users(t, TimeZone::named("Europe/London"));
    ASSERT_EQ(london.daily.size(), 2u);
    EXPECT_EQ(format_day(london.daily[0].start), "2024-10-26");
    EXPECT_EQ(london.daily[0].users, 1u);  // u7
    EXPECT_EQ(london.daily[1].users, 3u);  // u4, u6, u5

    ActiveUsers utc = compute_active_users(t, TimeZone());
    ASSERT_EQ(utc.daily.size(), 2u);
    EXPECT_EQ(utc.daily[0].users, 2u);  // u7, u4
    EXPECT_EQ(utc.daily[1].users, 2u);  // u6, u5
}

TEST(ActiveUsers, JsonHasTheDocumentedKeys) {
    nlohmann::json j = to_json(compute_active_users(tiny_log(), TimeZone()));
    std::set<std::string> keys;
    for (auto& [k, v] : j.items()) {
        keys.insert(k);
    }
    EXPECT_EQ(keys, (std::set<std::string>{"daily", "weekly", "monthly", "dau_mean", "stickiness",
                                           "stickiness_rule"}));
    EXPECT_EQ(j["daily"][0], (nlohmann::json{{"day", "2024-01-29"}, {"users", 2}}));
    EXPECT_EQ(j["weekly"][3], (nlohmann::json{{"week", "2024-02-19"}, {"users", 0}}));
    EXPECT_EQ(j["monthly"][1], (nlohmann::json{{"month", "2024-02"}, {"users", 5}}));
}

TEST(ActiveUsers, EmptyTableGivesNullsWithReasons) {
    nlohmann::json j = to_json(compute_active_users(EventTable::from_events({}), TimeZone()));
    EXPECT_TRUE(j["daily"].empty());
    EXPECT_TRUE(j["dau_mean"].is_null());
    EXPECT_TRUE(j["dau_mean_reason"].is_string());
    EXPECT_TRUE(j["stickiness"].is_null());
    EXPECT_TRUE(j["stickiness_reason"].is_string());
}

TEST(ActiveUsers, MillionEventsAreAnalysedCorrectly) {
    EventTable t = testing::million_events(day(2022, 1, 1), 730, 12345);
    TimeZone london = TimeZone::named("Europe/London");
    auto start = std::chrono::steady_clock::now();
    ActiveUsers a = compute_active_users(t, london);
    double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    std::cout << "[ timing   ] active users of 1,000,000 events (Europe/London): " << ms << " ms\n";
    EXPECT_EQ(a.monthly.size(), 24u);
    std::uint64_t user_days = 0;
    for (const PeriodUsers& d : a.daily) {
        user_days += d.users;
    }
    EXPECT_GT(user_days, 900000u);  // 50 random days of 730 rarely repeat
}

}  // namespace
}  // namespace sextant
