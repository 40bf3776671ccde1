#include <gtest/gtest.h>

#include <chrono>
#include <iostream>
#include <string>
#include <vector>

#include "analytics_fixture.h"
#include "sextant/analytics/retention.h"
#include "sextant/core/error.h"
#include "sextant/data/event_table.h"

namespace sextant {
namespace {

using testing::day;
using testing::make;
using testing::tiny_log;

TEST(Retention, EveryCohortCellOfTinyLog) {
    Retention r = compute_retention(tiny_log(), TimeZone());
    // W0: A, B, C; W1: D; W4: E; W5: F. Weeks W2 and W3 have no new users.
    ASSERT_EQ(r.cohorts.size(), 4u);
    std::vector<std::string> weeks = {"2024-01-29", "2024-02-05", "2024-02-26", "2024-03-04"};
    std::vector<std::uint64_t> users = {3, 1, 1, 1};
    std::vector<std::vector<double>> active = {
        {1.0, 2.0 / 3, 1.0 / 3, 0.0, 2.0 / 3, 1.0 / 3},  // W1: A, C; W2: B; W4: A, C; W5: A
        {1.0, 1.0, 0.0, 0.0, 0.0},                       // D again in W2 only
        {1.0, 1.0},                                      // E again on Mar 4
        {1.0}};
    for (std::size_t c = 0; c < weeks.size(); ++c) {
        EXPECT_EQ(format_day(r.cohorts[c].week), weeks[c]);
        EXPECT_EQ(r.cohorts[c].users, users[c]);
        ASSERT_EQ(r.cohorts[c].active.size(), active[c].size()) << weeks[c];
        for (std::size_t k = 0; k < active[c].size(); ++k) {
            EXPECT_DOUBLE_EQ(r.cohorts[c].active[k], active[c][k]) << weeks[c] << " week " << k;
        }
    }
    EXPECT_EQ(r.cohorts[0].active_users, (std::vector<std::uint64_t>{3, 2, 1, 0, 2, 1}));
}

TEST(Retention, DayNExcludesIncompleteCohortsAndWeightsBySize) {
    Retention r = compute_retention(tiny_log(), TimeZone());
    ASSERT_EQ(r.day.size(), 3u);

    // Day 1: F (Mar 4 + 1 = Mar 5) is not eligible; A, C, D retained, B, E not.
    EXPECT_EQ(r.day[0].day, 1);
    EXPECT_EQ(r.day[0].users_eligible, 5u);
    EXPECT_EQ(r.day[0].users_retained, 3u);
    EXPECT_DOUBLE_EQ(*r.day[0].rate, 0.6);

    // Day 7: E (Mar 5) and F are not eligible; A (Feb 5), C (Feb 7), D (Feb 13) retained, B not.
    // Cohort W0 retains 2 of 3 and W1 1 of 1: weighted 3 / 4, not the plain mean 5 / 6.
    EXPECT_EQ(r.day[1].day, 7);
    EXPECT_EQ(r.day[1].users_eligible, 4u);
    EXPECT_EQ(r.day[1].users_retained, 3u);
    EXPECT_DOUBLE_EQ(*r.day[1].rate, 0.75);

    // Day 30: only the W0 cohort is complete (D's day 30 is Mar 7); A (Feb 28) and C (Mar 1,
    // 2024 being a leap year) retained, B not.
    EXPECT_EQ(r.day[2].day, 30);
    EXPECT_EQ(r.day[2].users_eligible, 3u);
    EXPECT_EQ(r.day[2].users_retained, 2u);
    EXPECT_DOUBLE_EQ(*r.day[2].rate, 2.0 / 3);
    EXPECT_NE(r.rule.find("incomplete cohorts are excluded"), std::string::npos);
    EXPECT_NE(r.rule.find("2024-03-04"), std::string::npos);
}

TEST(Retention, NoEligibleUserGivesNullRateWithReason) {
    Retention r = compute_retention(tiny_log(), TimeZone(), {60});
    ASSERT_EQ(r.day.size(), 1u);
    EXPECT_EQ(r.day[0].users_eligible, 0u);
    EXPECT_FALSE(r.day[0].rate);
    nlohmann::json j = to_json(r);
    EXPECT_TRUE(j["day"]["60"]["rate"].is_null());
    EXPECT_TRUE(j["day"]["60"]["rate_reason"].is_string());
    EXPECT_EQ(j.dump().find("NaN"), std::string::npos);
}

TEST(Retention, BadDayListIsInvalidInput) {
    EventTable t = tiny_log();
    try {
        compute_retention(t, TimeZone(), {1, 0});
        FAIL() << "N = 0 accepted";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::kInvalidInput);
    }
    EXPECT_THROW(compute_retention(t, TimeZone(), {7, 7}), Error);
}

TEST(Retention, DayBoundariesFollowLondonAcrossSpringForward) {
    // u1 at 2024-03-31T23:30Z (April 1 in London) and 2024-04-01T00:30Z; u2 at 2024-03-31T00:30Z;
    // u3 at 2024-03-30T23:30Z. In London u1's two events share April 1 and u1 has no day 1;
    // in UTC u1 starts on March 31 and is back on April 1.
    std::vector<Event> ev = {make("u1", 1711927800), make("u1", 1711931400), make("u2", 1711845000),
                             make("u3", 1711841400)};
    EventTable t = EventTable::from_events(ev);

    Retention london = compute_retention(t, TimeZone::named("Europe/London"), {1});
    EXPECT_EQ(london.day[0].users_eligible, 2u);  // u2, u3
    EXPECT_EQ(london.day[0].users_retained, 0u);
    ASSERT_EQ(london.cohorts.size(), 2u);
    EXPECT_EQ(format_day(london.cohorts[1].week), "2024-04-01");
    EXPECT_EQ(london.cohorts[0].users, 2u);
    EXPECT_EQ(london.cohorts[0].active, (std::vector<double>{1.0, 0.0}));

    Retention utc = compute_retention(t, TimeZone(), {1});
    EXPECT_EQ(utc.day[0].users_eligible, 3u);
    EXPECT_EQ(utc.day[0].users_retained, 1u);
    ASSERT_EQ(utc.cohorts.size(), 1u);
    EXPECT_EQ(utc.cohorts[0].users, 3u);
    EXPECT_EQ(utc.cohorts[0].active, (std::vector<double>{1.0, 1.0 / 3}));
}

TEST(Retention, JsonHasTheDocumentedKeys) {
    nlohmann::json j = to_json(compute_retention(tiny_log(), TimeZone()));
    EXPECT_EQ(j.size(), 3u);
    EXPECT_TRUE(j["rule"].is_string());
    EXPECT_EQ(j["cohorts"][0]["week"], "2024-01-29");
    EXPECT_EQ(j["cohorts"][0]["users"], 3);
    EXPECT_EQ(j["cohorts"][0].size(), 3u);
    EXPECT_EQ(j["cohorts"][3]["active"], (nlohmann::json{1.0}));
    EXPECT_EQ(j["day"].size(), 3u);
    EXPECT_EQ(j["day"]["7"],
              (nlohmann::json{{"rate", 0.75}, {"users_eligible", 4}, {"users_retained", 3}}));
    EXPECT_TRUE(j["day"].contains("1"));
    EXPECT_TRUE(j["day"].contains("30"));
}

TEST(Retention, EmptyTableHasNoCohortsAndNullRates) {
    Retention r = compute_retention(EventTable::from_events({}), TimeZone());
    EXPECT_TRUE(r.cohorts.empty());
    ASSERT_EQ(r.day.size(), 3u);
    EXPECT_FALSE(r.day[0].rate);
    EXPECT_TRUE(to_json(r)["day"]["30"]["rate"].is_null());
}

TEST(Retention, MillionEventsAreAnalysedCorrectly) {
    EventTable t = testing::million_events(day(2022, 1, 3), 728, 99);

    auto begin = std::chrono::steady_clock::now();
    Retention r = compute_retention(t, TimeZone::named("Europe/London"));
    double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - begin).count();
    std::cout << "[ timing   ] retention of 1,000,000 events (Europe/London): " << ms << " ms\n";
    std::uint64_t n = 0;
    for (const Cohort& c : r.cohorts) {
        n += c.users;
    }
    EXPECT_EQ(n, 20000u);
}

}  // namespace
}  // namespace sextant
