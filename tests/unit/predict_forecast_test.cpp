#include "sextant/predict/forecast.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

#include "sextant/core/error.h"

namespace sextant {
namespace {

TEST(Forecast, DayOfWeekFromTheEpoch) {
    EXPECT_EQ(day_of_week(0), 3);   // 1970-01-01, a Thursday
    EXPECT_EQ(day_of_week(4), 0);   // 1970-01-05, a Monday
    EXPECT_EQ(day_of_week(-1), 2);  // 1969-12-31, a Wednesday
    EXPECT_EQ(day_of_week(static_cast<Day>(days_from_civil(2024, 12, 1))), 6);  // a Sunday
}

TEST(Forecast, SeasonalNaiveRepeatsTheLastSeason) {
    std::vector<double> h = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    // Season 3: the last season is 7, 8, 9, repeated.
    EXPECT_EQ(seasonal_naive(h, 3, 5), (std::vector<double>{7, 8, 9, 7, 8}));
    EXPECT_THROW(seasonal_naive(std::vector<double>{1, 2}, 3, 1), Error);
}

TEST(Forecast, MovingAverageOfTheLastWindow) {
    std::vector<double> h = {10, 0, 2, 4, 6};
    EXPECT_EQ(moving_average(h, 3, 2), (std::vector<double>{4, 4}));  // (2 + 4 + 6) / 3
    EXPECT_EQ(moving_average(h, 10, 1), (std::vector<double>{4.4}));  // all 5: 22 / 5
}

TEST(Forecast, ErrorsByHand) {
    std::vector<double> actual = {10, 0, 5, 0};
    std::vector<double> forecast = {8, 0, 10, 2};
    // |2| + 0 + |5| + |2| = 9, over 4.
    EXPECT_DOUBLE_EQ(mean_absolute_error(actual, forecast), 2.25);
    // 2*2/18 + 0 (both zero) + 2*5/15 + 2*2/2 = 0.2222 + 0 + 0.6667 + 2, over 4.
    EXPECT_NEAR(smape(actual, forecast), (4.0 / 18 + 10.0 / 15 + 2.0) / 4, 1e-12);
    EXPECT_THROW(smape(actual, std::vector<double>{1}), Error);
}

TEST(Forecast, PercentileInterpolatesBetweenRanks) {
    std::vector<double> v = {4, 1, 3, 2, 5};  // sorted 1..5
    EXPECT_DOUBLE_EQ(percentile(v, 50), 3);
    EXPECT_DOUBLE_EQ(percentile(v, 10), 1.4);  // rank 0.4 between 1 and 2
    EXPECT_DOUBLE_EQ(percentile(v, 90), 4.6);
    EXPECT_DOUBLE_EQ(percentile(v, 100), 5);
}

TEST(Forecast, DailySeriesCountsUsersEventsAndValues) {
    // Two users over three days in UTC; day 2 has no event (zero-filled).
    std::vector<Event> events;
    auto add = [&](const char* user, Seconds t, double value) {
        Event e;
        e.user = user;
        e.name = "buy";
        e.time = t;
        e.value = value;
        events.push_back(e);
    };
    const Seconds day = kSecondsPerDay;
    add("a", 0, 5);
    add("a", 3600, 1);
    add("b", 7200, std::nan(""));
    add("b", 2 * day, -2);
    EventTable table = EventTable::from_events(events);
    auto series = daily_series(table, TimeZone{});
    ASSERT_EQ(series.size(), 3u);
    EXPECT_EQ(series[0].name, "active_users");
    EXPECT_EQ(series[0].first_day, 0);
    EXPECT_EQ(series[0].values, (std::vector<double>{2, 0, 1}));
    EXPECT_EQ(series[1].values, (std::vector<double>{3, 0, 1}));
    EXPECT_EQ(series[2].values, (std::vector<double>{6, 0, -2}));
}

// Ten days, each with a user active at 09:00 and 18:00 UTC; the last day's events `last_hours`.
EventTable ten_days(std::vector<int> last_hours) {
    std::vector<Event> events;
    for (int d = 0; d < 10; ++d) {
        std::vector<int> hours = d == 9 ? last_hours : std::vector<int>{9, 18};
        for (int h : hours) {
            Event e;
            char user[16];
            std::snprintf(user, sizeof user, "u%d", h);  // "u" + to_string: GCC 12 -Wrestrict
            e.user = user;
            e.name = "view";
            e.time = d * kSecondsPerDay + h * 3600;
            events.push_back(e);
        }
    }
    return EventTable::from_events(events);
}

TEST(Forecast, PartialLastDayIsLeftOutAndSaidSo) {
    // Every other day's last event is at 18:00; the export stops at 12:00 on day 10.
    auto cut = daily_series(ten_days({9, 12}), TimeZone{});
    ASSERT_EQ(cut[0].values.size(), 9u);
    EXPECT_EQ(cut[1].values, std::vector<double>(9, 2.0));
    EXPECT_EQ(cut[0].left_out,
              "the last day, 1970-01-10, looks partial: its last event is at 12:00, nine days in "
              "ten end after 18:00");
    // A last day that runs as late as the others is kept.
    auto whole = daily_series(ten_days({9, 18}), TimeZone{});
    EXPECT_EQ(whole[0].values.size(), 10u);
    EXPECT_TRUE(whole[0].left_out.empty());
}

TEST(Forecast, CountsAreNeverForecastBelowZero) {
    // Weekdays 100, weekends 0 with noise: the interval of a weekend day would reach below 0.
    DailySeries s;
    s.name = "events";
    s.first_day = static_cast<Day>(days_from_civil(2024, 1, 1));
    std::mt19937_64 rng(4);
    std::normal_distribution<double> noise(0.0, 15.0);
    for (std::size_t t = 0; t < 140; ++t) {
        int dow = day_of_week(s.first_day + static_cast<Day>(t));
        s.values.push_back(dow < 5 ? std::max(0.0, 100 + noise(rng)) : 0.0);
    }
    ForecastOptions o;
    o.horizon = 14;
    o.context = 14;
    o.max_epochs = 20;
    SeriesForecast f = forecast_series(s, o);
    for (const MethodForecast& m : f.methods) {
        for (std::size_t t = 0; t < m.point.size(); ++t) {
            EXPECT_GE(m.point[t], 0) << m.method;
            EXPECT_GE(m.low[t], 0) << m.method;
        }
    }
    for (double v : f.future.low) {
        EXPECT_GE(v, 0);
    }
}

// A weekly pattern (weekdays high, weekends low) with a slow trend: the seasonal baseline and
// the LSTM both see the week; the moving average cannot.
DailySeries weekly_series(std::size_t days) {
    DailySeries s;
    s.name = "active_users";
    s.first_day = static_cast<Day>(days_from_civil(2024, 1, 1));  // a Monday
    for (std::size_t t = 0; t < days; ++t) {
        int dow = day_of_week(s.first_day + static_cast<Day>(t));
        s.values.push_back((dow < 5 ? 100.0 : 40.0) + 0.05 * static_cast<double>(t));
    }
    return s;
}

TEST(Forecast, WeeklySeriesIsLearnedAndTheBestMethodChosenOnValidation) {
    ForecastOptions o;
    o.horizon = 14;
    o.context = 14;
    o.max_epochs = 60;
    SeriesForecast f = forecast_series(weekly_series(140), o);
    ASSERT_EQ(f.methods.size(), 3u);
    const MethodForecast& lstm = f.methods[0];
    const MethodForecast& naive = f.methods[1];
    const MethodForecast& average = f.methods[2];
    EXPECT_EQ(lstm.method, "lstm");
    // Seasonal naive misses only the trend. Held-out day 126 + t gets day 119 + t mod 7: off by
    // 0.05 x 7 = 0.35 in the first week and 0.05 x 14 = 0.70 in the second; mean 0.525.
    EXPECT_NEAR(naive.test_mae, 0.525, 1e-9);
    // The moving average of 28 days sits between 100 and 40: off by ~17-26 every day.
    EXPECT_GT(average.test_mae, 15);
    EXPECT_LT(lstm.test_mae, average.test_mae / 2) << "the LSTM learned the week";
    EXPECT_NE(f.chosen, "moving_average");
    ASSERT_EQ(f.future.point.size(), 14u);
    EXPECT_EQ(f.future_first_day, f.test_first_day + 14);
    for (std::size_t t = 0; t < 14; ++t) {
        // The interval is the forecast shifted by its own validation errors, so it need not
        // hold the point itself (seasonal naive always falls short of a rising series).
        EXPECT_LE(f.future.low[t], f.future.high[t]);
    }
    // The clean series has no day outside the chosen method's interval.
    EXPECT_TRUE(f.anomalies.empty()) << f.anomalies.size() << " anomalies, chosen " << f.chosen;
    // JSON holds no NaN and names the days.
    std::string text = f.to_json().dump();
    EXPECT_EQ(text.find("nan"), std::string::npos);
    EXPECT_NE(text.find("\"test_first_day\":\"2024-05-06\""), std::string::npos) << text;
}

TEST(Forecast, DayOutsideTheIntervalIsAnAnomaly) {
    DailySeries s = weekly_series(140);
    s.values[140 - 3] += 500;  // a spike on a held-out day
    ForecastOptions o;
    o.horizon = 14;
    o.context = 14;
    o.max_epochs = 30;
    SeriesForecast f = forecast_series(s, o);
    Day spike = s.first_day + 137;
    EXPECT_NE(std::find(f.anomalies.begin(), f.anomalies.end(), spike), f.anomalies.end());
}

// Online Retail's shop is shut on Saturdays: the LSTM once forecast 4,451 for one, and the
// held-out Saturday's 0 was flagged as an anomaly.
TEST(Forecast, ClosedWeekdaysAreForecastAsZeroAndAreNoAnomaly) {
    DailySeries s;
    s.name = "value";
    s.first_day = static_cast<Day>(days_from_civil(2024, 1, 1));  // a Monday
    std::mt19937_64 rng(8);
    std::normal_distribution<double> noise(0.0, 20.0);
    for (std::size_t t = 0; t < 140; ++t) {
        int dow = day_of_week(s.first_day + static_cast<Day>(t));
        s.values.push_back(dow == 5 ? 0.0 : std::max(0.0, (dow == 6 ? 60 : 150) + noise(rng)));
    }
    s.values[140 - 2] = 0;   // the last Saturday but one stays shut; ...
    s.values[140 - 9] = 40;  // ... the one before opens for once
    ForecastOptions o;
    o.horizon = 14;
    o.context = 14;
    o.max_epochs = 20;
    SeriesForecast f = forecast_series(s, o);
    auto saturday = [](Day d) { return day_of_week(d) == 5; };
    for (const MethodForecast& m : f.methods) {
        for (std::size_t t = 0; t < m.point.size(); ++t) {
            if (saturday(f.test_first_day + static_cast<Day>(t))) {
                EXPECT_EQ(m.point[t], 0) << m.method << " day " << t;
                EXPECT_EQ(m.low[t], 0) << m.method;
                EXPECT_EQ(m.high[t], 0) << m.method;
            }
        }
    }
    for (std::size_t t = 0; t < f.future.point.size(); ++t) {
        if (saturday(f.future_first_day + static_cast<Day>(t))) {
            EXPECT_EQ(f.future.point[t], 0) << "day " << t;
        }
    }
    const Day shut = s.first_day + 138, opened = s.first_day + 131;
    EXPECT_EQ(std::find(f.anomalies.begin(), f.anomalies.end(), shut), f.anomalies.end());
    EXPECT_NE(std::find(f.anomalies.begin(), f.anomalies.end(), opened), f.anomalies.end());
}

TEST(Forecast, TooShortASeriesIsRefusedWithWhatItNeeds) {
    ForecastOptions o;  // horizon 28, context 28, season 7: 91 days
    try {
        forecast_series(weekly_series(60), o);
        ADD_FAILURE() << "no error";
    } catch (const Error& e) {
        EXPECT_EQ(std::string(e.what()),
                  "forecast of active_users: 60 days of data; a 28-day forecast needs 91 (28 of "
                  "context, 28 to validate, 28 held out, and some to train on)");
    }
}

}  // namespace
}  // namespace sextant
