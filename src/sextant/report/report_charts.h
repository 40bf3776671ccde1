// The report's charts as Chart.js configurations, built from the summary JSON.
//
// Charts are drawn in the browser by Chart.js, but everything about them that can be computed is
// computed here, where it is testable: the series, the 7-day moving average, the axes and their
// number formats. The page's script only hands each configuration to Chart.js. Pure functions.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace sextant::report {

// The colours every chart shares, so that a model or a series looks the same across sections.
inline constexpr const char* kBlue = "#2563eb";
inline constexpr const char* kOrange = "#ea580c";
inline constexpr const char* kTealFill = "rgba(13, 148, 136, 0.75)";

// A Chart.js number format with at most `decimals` decimals.
nlohmann::json decimals_format(int decimals);
// The format of counts: whole numbers.
nlohmann::json count_format();
// Options every chart starts from: no animation (a chart is complete when its constructor
// returns; the page's self-check relies on it), the legend at the top right, thinned x ticks
// without grid lines, and a y axis from 0 whose ticks use `y_format`.
nlohmann::json base_options(const nlohmann::json& y_format);

// Returns an object mapping a chart key to a Chart.js configuration (`type`, `data`,
// `options`; plain JSON, no functions). A key is present only when the summary has the data:
//   "active_daily"      daily active users and their 7-day moving average
//   "active_weekly"     weekly active users
//   "active_monthly"    monthly active users
//   "events_per_user"   the histogram of events per user
//   learning_curve_key(model) for each model with a non-empty `learning_curve`
// Values that are not finite numbers become null, which Chart.js draws as a gap.
nlohmann::json build_chart_specs(const nlohmann::json& summary);

// The chart key of a model's learning curve.
std::string learning_curve_key(const std::string& model);

// Trailing moving average: entry i is the mean of the present values among values[i-window+1..i],
// and nullopt for i < window-1 (no full window yet) or when the window holds no value.
std::vector<std::optional<double>> moving_average(const std::vector<std::optional<double>>& values,
                                                  std::size_t window);

// Daily active users as consecutive days. When every day parses and they ascend, days missing
// from `daily` are filled in with 0 users (no one was active); otherwise the entries are kept as
// given. `daily` is the summary's `active_users.daily` array.
struct DailySeries {
    std::vector<std::string> days;
    std::vector<std::optional<double>> users;
};
DailySeries daily_series(const nlohmann::json& daily);

// The charts of the prediction and forecast sections (report_predict_charts.cpp), an object like
// build_chart_specs's that render_report merges into it. A key is present only with its data:
//   predict_chart_key(task, "roc")          the test ROC curve and the chance diagonal
//   predict_chart_key(task, "pr")           the test precision-recall curve and the prevalence
//   predict_chart_key(task, "calibration")  the non-empty calibration bins, sized by their users,
//                                           and the perfect-calibration diagonal
//   predict_chart_key(task, "importance")   the 10 most important features as horizontal bars
//   forecast_chart_key(series)              the held-out days (actual, the chosen method's
//                                           forecast and 80% band), then the days ahead with
//                                           their band, and the anomalies as points
// for task "churn" and "propensity" and each series under `forecast`. Curve points whose
// coordinates are not both finite numbers are left out; forecast values that are not become null.
nlohmann::json build_predict_chart_specs(const nlohmann::json& summary);

// "predict/churn/roc" style keys.
std::string predict_chart_key(const std::string& task, const std::string& chart);
// "forecast/active_users" style keys.
std::string forecast_chart_key(const std::string& series);

// `n` consecutive civil days ("YYYY-MM-DD") starting at `first_day`; empty when it does not parse.
std::vector<std::string> consecutive_days(std::string_view first_day, std::size_t n);

}  // namespace sextant::report
