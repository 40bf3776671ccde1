#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <iostream>
#include <set>
#include <string>
#include <vector>

#include "sextant/analytics/active_users.h"
#include "sextant/analytics/overview.h"
#include "sextant/analytics/retention.h"
#include "sextant/data/event_table.h"
#include "test_util.h"

namespace sextant {
namespace {

Seconds at(int y, unsigned m, unsigned d, int hour = 12, int minute = 0) {
    return days_from_civil(y, m, d) * kSecondsPerDay + hour * 3600 + minute * 60;
}

Event make(const std::string& user, Seconds t, const std::string& name = "view",
           const std::string& item = "") {
    Event e;
    e.user = user;
    e.time = t;
    e.name = name;
    e.item = item;
    return e;
}

// Six users with 6, 2, 10, 3, 2, 1 events from 2024-01-29 to 2024-03-04 (UTC noon).
EventTable tiny_log() {
    std::vector<Event> ev;
    ev.push_back(make("F", at(2024, 3, 4), "view", "i1"));
    ev.push_back(make("A", at(2024, 1, 29), "view", "i1"));
    ev.push_back(make("A", at(2024, 1, 29, 13), "purchase", "i1"));
    ev.push_back(make("A", at(2024, 1, 30), "view", "i2"));
    ev.push_back(make("A", at(2024, 2, 5)));
    ev.push_back(make("A", at(2024, 2, 28)));
    ev.push_back(make("A", at(2024, 3, 4)));
    ev.push_back(make("B", at(2024, 1, 29), "view", "i3"));
    ev.push_back(make("B", at(2024, 2, 12)));
    for (int i = 0; i < 7; ++i) {
        ev.push_back(make("C", at(2024, 1, 31, 12, i), i < 3 ? "purchase" : "view", "i2"));
    }
    ev.push_back(make("C", at(2024, 2, 1)));
    ev.push_back(make("C", at(2024, 2, 7)));
    ev.push_back(make("C", at(2024, 3, 1)));
    ev.push_back(make("D", at(2024, 2, 6), "rate", "i4"));
    ev.push_back(make("D", at(2024, 2, 7)));
    ev.push_back(make("D", at(2024, 2, 13)));
    ev.push_back(make("E", at(2024, 2, 27)));
    ev.push_back(make("E", at(2024, 3, 4, 18)));
    return EventTable::from_events(ev);
}

TEST(Overview, CountsAndTimeRangeOfTinyLog) {
    Overview o = compute_overview(tiny_log(), TimeZone());
    EXPECT_EQ(o.events, 24u);
    EXPECT_EQ(o.users, 6u);
    EXPECT_EQ(o.items, 4u);
    ASSERT_TRUE(o.time_range);
    EXPECT_EQ(format_utc(o.time_range->first), "2024-01-29T12:00:00Z");
    EXPECT_EQ(format_utc(o.time_range->last), "2024-03-04T18:00:00Z");
    EXPECT_EQ(o.time_range->days, 36);  // Jan 29-31, all 29 days of February, Mar 1-4

    // view: 24 - 4 purchases - 1 rate = 19.
    ASSERT_EQ(o.event_names.size(), 3u);
    EXPECT_EQ(o.event_names[0].name, "view");
    EXPECT_EQ(o.event_names[0].events, 19u);
    EXPECT_EQ(o.event_names[1].name, "purchase");
    EXPECT_EQ(o.event_names[1].events, 4u);
    EXPECT_EQ(o.event_names[2].name, "rate");
    EXPECT_EQ(o.event_names[2].events, 1u);
}

TEST(Overview, EventsPerUserQuartilesFollowNumpyLinearRule) {
    // Sorted counts 1 2 2 3 6 10 (n = 6). numpy's linear rule: position p * (n - 1).
    // q1: 1.25 -> 2 + 0.25 * (2 - 2) = 2; median: 2.5 -> 2 + 0.5 * (3 - 2) = 2.5;
    // q3: 3.75 -> 3 + 0.75 * (6 - 3) = 5.25; mean 24 / 6 = 4.
    Overview o = compute_overview(tiny_log(), TimeZone());
    ASSERT_TRUE(o.events_per_user);
    const EventsPerUser& e = *o.events_per_user;
    EXPECT_EQ(e.min, 1u);
    EXPECT_DOUBLE_EQ(e.q1, 2.0);
    EXPECT_DOUBLE_EQ(e.median, 2.5);
    EXPECT_DOUBLE_EQ(e.q3, 5.25);
    EXPECT_EQ(e.max, 10u);
    EXPECT_DOUBLE_EQ(e.mean, 4.0);

    // 1 -> [1,1]; 2, 2 -> [2,2]; 3 -> [3,4]; 6 -> [5,8]; 10 -> [9,16].
    std::vector<std::vector<std::uint64_t>> want = {
        {1, 1, 1}, {2, 2, 2}, {3, 4, 1}, {5, 8, 1}, {9, 16, 1}};
    ASSERT_EQ(e.histogram.size(), want.size());
    for (std::size_t i = 0; i < want.size(); ++i) {
        EXPECT_EQ(e.histogram[i].from, want[i][0]) << i;
        EXPECT_EQ(e.histogram[i].to, want[i][1]) << i;
        EXPECT_EQ(e.histogram[i].users, want[i][2]) << i;
    }
}

TEST(Overview, QuantileLinearMatchesNumpyValues) {
    // numpy.percentile([10, 20, 30, 40], [0, 25, 50, 90, 100]) = 10, 17.5, 25, 37, 40.
    std::vector<std::uint64_t> x = {10, 20, 30, 40};
    EXPECT_DOUBLE_EQ(quantile_linear(x, 0.0), 10.0);
    EXPECT_DOUBLE_EQ(quantile_linear(x, 0.25), 17.5);
    EXPECT_DOUBLE_EQ(quantile_linear(x, 0.5), 25.0);
    EXPECT_NEAR(quantile_linear(x, 0.9), 37.0, 1e-12);
    EXPECT_DOUBLE_EQ(quantile_linear(x, 1.0), 40.0);
    std::vector<std::uint64_t> one = {7};
    EXPECT_DOUBLE_EQ(quantile_linear(one, 0.75), 7.0);
}

TEST(Overview, HistogramKeepsEmptyBinsBetween) {
    std::vector<Event> ev;
    for (int i = 0; i < 5; ++i) {
        ev.push_back(make("u", at(2024, 1, 1, 0, i)));
    }
    ev.push_back(make("v", at(2024, 1, 1)));
    Overview o = compute_overview(EventTable::from_events(ev), TimeZone());
    ASSERT_TRUE(o.events_per_user);
    const auto& h = o.events_per_user->histogram;
    ASSERT_EQ(h.size(), 4u);  // 1, 2, 3-4, 5-8
    EXPECT_EQ(h[0].users, 1u);
    EXPECT_EQ(h[1].users, 0u);
    EXPECT_EQ(h[2].users, 0u);
    EXPECT_EQ(h[3].users, 1u);
    EXPECT_EQ(o.items, 0u);
    EXPECT_EQ(o.time_range->days, 1);
}

TEST(Overview, JsonHasTheDocumentedKeys) {
    nlohmann::json j = to_json(compute_overview(tiny_log(), TimeZone()));
    std::set<std::string> keys;
    for (auto& [k, v] : j.items()) {
        keys.insert(k);
    }
    EXPECT_EQ(keys, (std::set<std::string>{"events", "users", "items", "time_range", "event_names",
                                           "events_per_user"}));
    EXPECT_EQ(j["time_range"]["first"], "2024-01-29T12:00:00Z");
    EXPECT_EQ(j["time_range"]["days"], 36);
    EXPECT_EQ(j["event_names"][0]["name"], "view");
    EXPECT_EQ(j["event_names"][0]["events"], 19);
    const auto& e = j["events_per_user"];
    for (const char* k : {"min", "q1", "median", "q3", "max", "mean", "histogram"}) {
        EXPECT_TRUE(e.contains(k)) << k;
    }
    EXPECT_EQ(e.size(), 7u);
    EXPECT_EQ(e["q3"], 5.25);
    EXPECT_EQ(e["histogram"][4], (nlohmann::json{{"from", 9}, {"to", 16}, {"users", 1}}));
}

TEST(Overview, EmptyTableGivesNullsWithReasons) {
    nlohmann::json j = to_json(compute_overview(EventTable::from_events({}), TimeZone()));
    EXPECT_EQ(j["events"], 0);
    EXPECT_TRUE(j["time_range"].is_null());
    EXPECT_TRUE(j["time_range_reason"].is_string());
    EXPECT_TRUE(j["events_per_user"].is_null());
    EXPECT_TRUE(j["events_per_user_reason"].is_string());
    EXPECT_TRUE(j["event_names"].is_array());
    EXPECT_NE(j.dump().find("null"), std::string::npos);
}

TEST(Overview, TimeRangeDaysFollowTheZone) {
    // 2024-03-30T23:30Z and 2024-03-31T23:30Z: two UTC days; in London the second is already
    // April 1 (BST), so three civil days.
    std::vector<Event> ev = {make("u", 1711841400), make("u", 1711927800)};
    EventTable t = EventTable::from_events(ev);
    EXPECT_EQ(compute_overview(t, TimeZone()).time_range->days, 2);
    EXPECT_EQ(compute_overview(t, TimeZone::named("Europe/London")).time_range->days, 3);
}

TEST(OverviewMovieLens, FiguresOfTheRealFile) {
    SEXTANT_REQUIRE_DATA(path, "movielens-1m/ratings_users1-2999.dat");
    EventTable t = testing::load_movielens_table(path);
    TimeZone utc;

    auto start = std::chrono::steady_clock::now();
    Overview o = compute_overview(t, utc);
    auto t1 = std::chrono::steady_clock::now();
    ActiveUsers a = compute_active_users(t, utc);
    auto t2 = std::chrono::steady_clock::now();
    Retention r = compute_retention(t, utc);
    auto t3 = std::chrono::steady_clock::now();
    auto ms = [](auto d) { return std::chrono::duration<double, std::milli>(d).count(); };
    std::cout << "[ timing   ] MovieLens " << t.n_events() << " events: overview " << ms(t1 - start)
              << " ms, active users " << ms(t2 - t1) << " ms, retention " << ms(t3 - t2) << " ms\n";

    EXPECT_EQ(o.events, 487650u);
    EXPECT_EQ(o.users, 2999u);
    EXPECT_EQ(o.items, 3615u);
    ASSERT_TRUE(o.events_per_user);
    EXPECT_EQ(o.events_per_user->min, 20u);
    ASSERT_TRUE(o.time_range);
    EXPECT_EQ(format_utc(o.time_range->first).substr(0, 4), "2000");
    EXPECT_EQ(format_utc(o.time_range->last).substr(0, 4), "2003");
    ASSERT_EQ(o.event_names.size(), 1u);
    EXPECT_EQ(o.event_names[0].events, 487650u);

    // Every user is active in some month, and days and cohorts cover every user.
    EXPECT_EQ(a.daily.size(), static_cast<std::size_t>(o.time_range->days));
    std::uint64_t cohort_users = 0;
    for (const Cohort& c : r.cohorts) {
        cohort_users += c.users;
        EXPECT_DOUBLE_EQ(c.active[0], 1.0);
    }
    EXPECT_EQ(cohort_users, 2999u);
    EXPECT_TRUE(a.stickiness.has_value());
    EXPECT_FALSE(to_json(a).dump().empty());
}

}  // namespace
}  // namespace sextant
