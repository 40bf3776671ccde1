// Forecasts of a product's daily metrics (active users, events, value) for the next N days: an
// LSTM over the series with day-of-week inputs, beside a seasonal-naive and a moving-average
// baseline, each evaluated on the last N days held out, with an 80% interval and the held-out
// days that fell outside it (anomalies).
//
// The protocol, per series y[0..T) (one value per civil day, zero-filled between the first and
// the last day of the data):
//   - the last N days are the test window; everything is fitted on y[0..T-N) only;
//   - the LSTM reads windows of `context` days (scaled values and the day of week of the day
//     to predict) and predicts the next day; a forecast of N days feeds its own predictions
//     back, one day at a time (recursive). It trains with train_module() (learn/), the last N
//     days of the training part serving as validation (mean absolute error, lower is better);
//   - the 80% interval of every method comes from its own errors on that validation window: the
//     10th and 90th percentiles of (actual - forecast) over the N validation days, added to each
//     point forecast (empirical, so skewed errors give a skewed interval);
//   - test MAE and sMAPE (mean of 2|a - f| / (|a| + |f|), a day where both are 0 counting 0)
//     compare the methods on the held-out days. The baseline with the lower validation MAE is
//     chosen, or the LSTM when its validation MAE is at least 5% lower still (a near tie on one
//     window of N days says nothing, and a baseline is what a reader can check by hand); the
//     chosen method's forecast of the N days after the data (inputs up to the last day, the
//     held-out days included) is the one reported;
//   - a weekday that was 0 in each of the last 8 weeks before a forecast starts is closed (a shop
//     shut on Saturdays): every method forecasts it as 0 with an interval of 0..0, so a day that
//     stays closed is not an anomaly, and one that opens is.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sextant/core/time.h"
#include "sextant/data/event_table.h"

namespace sextant {

// One daily series.
struct DailySeries {
    std::string name;   // "active_users", "events", "value"
    Day first_day = 0;  // the day of values[0]
    std::vector<double> values;
    // Why the data's last day is not in `values`, when it is not (see daily_series()).
    std::string left_out;
};

// Daily active users, events and the sum of event values (NaN values skipped) from the first to
// the last day of `table` in `zone`. The value series is left out when no event has a value.
//
// An export usually stops part way through its last day, which would read as a collapse (and an
// anomaly) on that day. So the last day is left out, and `left_out` says why, when its last event
// comes earlier in the day than the last event of nine days in ten: before the 10th percentile,
// over the other days with events, of each day's latest time of day. Needs a week of other days
// to judge.
std::vector<DailySeries> daily_series(const EventTable& table, const TimeZone& zone);

// Monday = 0 .. Sunday = 6.
int day_of_week(Day d);

struct ForecastOptions {
    std::size_t horizon = 28;         // N: days held out and days forecast
    std::size_t context = 28;         // days the LSTM reads before each prediction
    std::size_t hidden = 32;          // LSTM state width
    std::size_t season = 7;           // the seasonal-naive period
    std::size_t moving_average = 28;  // days averaged by the moving-average baseline
    int max_epochs = 200;
    double learning_rate = 1e-2;
    double budget_seconds = 0;  // training budget of the LSTM per series; 0 = unlimited
    std::uint64_t seed = 42;
};

// A method's forecast over some days.
struct MethodForecast {
    std::string method;         // "lstm", "seasonal_naive", "moving_average"
    std::vector<double> point;  // one per day
    std::vector<double> low;    // 80% interval, one per day
    std::vector<double> high;
    double valid_mae = 0;  // on the validation window (chooses the method)
    double test_mae = 0;   // on the held-out days
    double test_smape = 0;
};

struct SeriesForecast {
    std::string name;
    Day test_first_day = 0;               // first held-out day
    std::vector<double> test_actual;      // the held-out values
    std::vector<MethodForecast> methods;  // each method's forecast of the held-out days
    std::string chosen;                   // by validation MAE, as above
    Day future_first_day = 0;             // the day after the data
    MethodForecast future;                // the chosen method's next N days (no test figures)
    std::vector<Day> anomalies;           // held-out days outside the chosen method's interval
    std::string left_out;                 // DailySeries::left_out

    nlohmann::json to_json() const;
};

// Seasonal naive: day t after the end of `history` gets history[end - season + (t mod season)].
// REQUIRES history.size() >= season (kInvalidInput otherwise).
std::vector<double> seasonal_naive(std::span<const double> history, std::size_t season,
                                   std::size_t days);

// Moving average: every day gets the mean of the last `window` values of history (all of it
// when shorter). REQUIRES a non-empty history.
std::vector<double> moving_average(std::span<const double> history, std::size_t window,
                                   std::size_t days);

// Mean absolute error and sMAPE (see above) of forecast against actual. REQUIRES equal, non-zero
// sizes.
double mean_absolute_error(std::span<const double> actual, std::span<const double> forecast);
double smape(std::span<const double> actual, std::span<const double> forecast);

// The p-th percentile (0..100) of values, linear between closest ranks (numpy's default).
// REQUIRES non-empty values.
double percentile(std::vector<double> values, double p);

// Runs the protocol above on one series. A series with no negative value before the held-out
// days (users, events, most revenue) gets forecasts and intervals floored at 0. Throws
// sextant::Error (kInvalidInput) when the series is shorter than context + 2 x horizon + season
// days (context, validation, test, and at least a season of training targets), naming the series,
// its length and what it needs.
SeriesForecast forecast_series(const DailySeries& series, const ForecastOptions& options);

}  // namespace sextant
