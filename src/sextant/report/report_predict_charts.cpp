// The Chart.js configurations of the prediction and forecast sections: ROC, precision-recall and
// calibration curves, feature importance, and each forecast series.
#include <algorithm>
#include <cmath>
#include <utility>

#include "sextant/core/time.h"
#include "sextant/report/report_charts.h"
#include "sextant/report/report_format.h"

namespace sextant::report {

namespace {

using nlohmann::json;

constexpr const char* kBandFill = "rgba(37, 99, 235, 0.15)";
constexpr const char* kGrey = "#9ca3af";
constexpr const char* kInk = "#1f2937";
constexpr const char* kRed = "#dc2626";
constexpr std::size_t kMaxImportanceBars = 10;
// A longer run of days would mean a malformed summary, not a forecast horizon.
constexpr std::size_t kMaxForecastDays = 4000;

json value_or_null(const json* value) {
    auto v = number(value);
    return v ? json(*v) : json(nullptr);
}

json unit_axis(const std::string& title) {
    return {{"type", "linear"},
            {"min", 0},
            {"max", 1},
            {"title", {{"display", true}, {"text", title}}},
            {"ticks", {{"stepSize", 0.2}, {"format", decimals_format(1)}}}};
}

// Options of a chart whose axes both run over 0..1 (rates and probabilities). No animation, so
// that a chart is complete when its constructor returns; the page's self-check relies on it.
json unit_square_options(const std::string& x_title, const std::string& y_title) {
    json options = base_options(decimals_format(1));
    options["interaction"]["mode"] = "nearest";
    options["scales"] = {{"x", unit_axis(x_title)}, {"y", unit_axis(y_title)}};
    return options;
}

json curve_dataset(const std::string& label, json points, const char* color) {
    return {{"label", label},       {"data", std::move(points)}, {"showLine", true},
            {"borderColor", color}, {"backgroundColor", color},  {"borderWidth", 2},
            {"pointRadius", 0},     {"pointHoverRadius", 3},     {"tension", 0}};
}

// A dashed reference line through the given points; never the target of a tooltip.
json reference_dataset(const std::string& label, json points) {
    json line = curve_dataset(label, std::move(points), kGrey);
    line["borderDash"] = json::array({6, 4});
    line["borderWidth"] = 1.5;
    line["pointHoverRadius"] = 0;
    return line;
}

json xy(double x, double y) {
    return {{"x", x}, {"y", y}};
}

// The points of a curve array whose two coordinates are finite; the others are left out.
json curve_points(const json& curve, const char* x_key, const char* y_key) {
    json points = json::array();
    for (const json& point : curve) {
        auto x = number_at(point, x_key);
        auto y = number_at(point, y_key);
        if (x && y) {
            points.push_back(xy(*x, *y));
        }
    }
    return points;
}

std::optional<json> roc_chart(const json& test) {
    const json* curve = array_at(test, "roc_curve");
    json points = curve != nullptr ? curve_points(*curve, "fpr", "tpr") : json::array();
    if (points.empty()) {
        return std::nullopt;
    }
    json datasets = json::array({curve_dataset("Model", std::move(points), kBlue),
                                 reference_dataset("Chance", {xy(0, 0), xy(1, 1)})});
    return json{{"type", "scatter"},
                {"data", {{"datasets", std::move(datasets)}}},
                {"options", unit_square_options("false positive rate", "true positive rate")}};
}

std::optional<json> pr_chart(const json& test) {
    const json* curve = array_at(test, "pr_curve");
    json points = curve != nullptr ? curve_points(*curve, "recall", "precision") : json::array();
    if (points.empty()) {
        return std::nullopt;
    }
    json datasets = json::array({curve_dataset("Model", std::move(points), kBlue)});
    if (auto prevalence = number_at(test, "prevalence")) {
        datasets.push_back(reference_dataset("Random list (prevalence)",
                                             {xy(0, *prevalence), xy(1, *prevalence)}));
    }
    return json{{"type", "scatter"},
                {"data", {{"datasets", std::move(datasets)}}},
                {"options", unit_square_options("recall", "precision")}};
}

std::optional<json> calibration_chart(const json& test) {
    const json* calibration = member(test, "calibration");
    const json* bins = calibration != nullptr ? array_at(*calibration, "bins") : nullptr;
    if (bins == nullptr) {
        return std::nullopt;
    }
    json points = json::array();
    std::vector<double> counts;
    for (const json& bin : *bins) {
        auto predicted = number_at(bin, "mean_predicted");
        auto observed = number_at(bin, "observed_rate");
        auto count = number_at(bin, "count");
        if (!predicted || !observed || (count && *count <= 0)) {
            continue;
        }
        json point = xy(*predicted, *observed);
        point["count"] = count ? json(*count) : json(nullptr);
        points.push_back(std::move(point));
        counts.push_back(count.value_or(0));
    }
    if (points.empty()) {
        return std::nullopt;
    }

    // Area proportional to the users in the bin, between 3 and 12 pixels of radius.
    double top = *std::max_element(counts.begin(), counts.end());
    json radii = json::array();
    for (double count : counts) {
        radii.push_back(top > 0 ? 3 + 9 * std::sqrt(count / top) : 5);
    }
    json bins_set =
        curve_dataset("Users by predicted probability (size: users)", std::move(points), kOrange);
    bins_set["pointRadius"] = radii;
    bins_set["pointHoverRadius"] = radii;
    bins_set["backgroundColor"] = "rgba(234, 88, 12, 0.55)";
    bins_set["borderWidth"] = 1.5;
    json datasets = json::array(
        {std::move(bins_set), reference_dataset("Perfect calibration", {xy(0, 0), xy(1, 1)})});
    return json{{"type", "scatter"},
                {"data", {{"datasets", std::move(datasets)}}},
                {"options", unit_square_options("mean predicted probability", "observed rate")}};
}

std::optional<json> importance_chart(const json& selection) {
    const json* importance = array_at(selection, "importance");
    if (importance == nullptr) {
        return std::nullopt;
    }
    std::vector<std::pair<std::string, double>> rows;
    for (const json& entry : *importance) {
        auto feature = text_at(entry, "feature");
        auto value = number_at(entry, "value");
        if (feature && value) {
            rows.emplace_back(*feature, *value);
        }
    }
    if (rows.empty()) {
        return std::nullopt;
    }
    std::stable_sort(rows.begin(), rows.end(),
                     [](const auto& a, const auto& b) { return a.second > b.second; });
    rows.resize(std::min(rows.size(), kMaxImportanceBars));

    json labels = json::array();
    json values = json::array();
    for (const auto& [feature, value] : rows) {
        std::string label = feature;
        std::replace(label.begin(), label.end(), '_', ' ');
        labels.push_back(label);
        values.push_back(value);
    }
    json bars = {{"label", "Importance"},        {"data", std::move(values)},
                 {"backgroundColor", kTealFill}, {"borderWidth", 0},
                 {"categoryPercentage", 0.85},   {"barPercentage", 0.9}};
    json options = {
        {"animation", false},
        {"responsive", true},
        {"maintainAspectRatio", false},
        {"locale", "en-US"},
        {"indexAxis", "y"},
        {"plugins", {{"legend", {{"display", false}}}}},
        {"scales",
         {{"x",
           {{"beginAtZero", true},
            {"title", {{"display", true}, {"text", "mean absolute attribution (log-odds)"}}},
            {"ticks", {{"format", decimals_format(3)}}}}},
          {"y", {{"grid", {{"display", false}}}}}}},
    };
    return json{{"type", "bar"},
                {"data", {{"labels", std::move(labels)}, {"datasets", json::array({bars})}}},
                {"options", std::move(options)}};
}

// Entry i of the number array under `key` of `object`, or null; an absent array reads as nulls.
json entry_or_null(const json* object, const char* key, std::size_t i) {
    const json* values = object != nullptr ? array_at(*object, key) : nullptr;
    return values != nullptr && i < values->size() ? value_or_null(&(*values)[i]) : json(nullptr);
}

const json* chosen_method(const json& series) {
    const json* methods = array_at(series, "methods");
    auto chosen = text_at(series, "chosen");
    if (methods == nullptr || !chosen) {
        return nullptr;
    }
    for (const json& method : *methods) {
        if (text_at(method, "method") == chosen) {
            return &method;
        }
    }
    return nullptr;
}

// Day labels: the calendar days when the first one parses, else "prefix 1", "prefix 2", ...
std::vector<std::string> day_labels(const json& series, const char* first_key, std::size_t n,
                                    const std::string& prefix) {
    std::vector<std::string> days = consecutive_days(text_at(series, first_key).value_or(""), n);
    if (days.size() == n) {
        return days;
    }
    days.clear();
    for (std::size_t i = 0; i < n; ++i) {
        days.push_back(prefix + " " + std::to_string(i + 1));
    }
    return days;
}

json series_line(const std::string& label, json data, const char* color, double width) {
    return {{"label", label},        {"data", std::move(data)},
            {"borderColor", color},  {"backgroundColor", color},
            {"borderWidth", width},  {"pointRadius", 0},
            {"pointHoverRadius", 3}, {"tension", 0},
            {"spanGaps", false},     {"fill", false}};
}

std::optional<json> forecast_chart(const json& series) {
    const json* actual = array_at(series, "test_actual");
    const json* future = member(series, "future");
    const json* future_points = future != nullptr ? array_at(*future, "point") : nullptr;
    std::size_t n_test = actual != nullptr ? std::min(actual->size(), kMaxForecastDays) : 0;
    std::size_t n_future =
        future_points != nullptr ? std::min(future_points->size(), kMaxForecastDays) : 0;
    if (n_test + n_future == 0) {
        return std::nullopt;
    }

    std::vector<std::string> labels = day_labels(series, "test_first_day", n_test, "held-out day");
    for (std::string& day : day_labels(series, "future_first_day", n_future, "next day")) {
        labels.push_back(std::move(day));
    }
    const json* method = chosen_method(series);
    json actual_values = json::array();
    json point = json::array();
    json low = json::array();
    json high = json::array();
    json ahead = json::array();
    for (std::size_t i = 0; i < n_test; ++i) {
        actual_values.push_back(value_or_null(&(*actual)[i]));
        point.push_back(entry_or_null(method, "point", i));
        low.push_back(entry_or_null(method, "low", i));
        high.push_back(entry_or_null(method, "high", i));
        ahead.push_back(nullptr);
    }
    for (std::size_t i = 0; i < n_future; ++i) {
        actual_values.push_back(nullptr);
        point.push_back(nullptr);
        low.push_back(entry_or_null(future, "low", i));
        high.push_back(entry_or_null(future, "high", i));
        ahead.push_back(entry_or_null(future, "point", i));
    }

    // Anomalies sit on the actual value of their held-out day.
    json anomalies = json::array();
    for (std::size_t i = 0; i < labels.size(); ++i) {
        anomalies.push_back(nullptr);
    }
    if (const json* days = array_at(series, "anomalies")) {
        for (const json& day : *days) {
            auto at = std::find(labels.begin(), labels.begin() + static_cast<long>(n_test),
                                day.is_string() ? day.get<std::string>() : std::string());
            if (at != labels.begin() + static_cast<long>(n_test)) {
                auto i = static_cast<std::size_t>(at - labels.begin());
                anomalies[i] = actual_values[i];
            }
        }
    }

    // The band is the area between its low and high lines: high fills down to the dataset
    // before it.
    json band_low = series_line("80% interval, low end", std::move(low), "rgba(0, 0, 0, 0)", 0);
    band_low["pointHoverRadius"] = 0;
    band_low["hideInLegend"] = true;
    json band_high = series_line("80% interval", std::move(high), "rgba(0, 0, 0, 0)", 0);
    band_high["backgroundColor"] = kBandFill;
    band_high["fill"] = "-1";
    band_high["pointHoverRadius"] = 0;
    json forecast = series_line("Forecast of the held-out days", std::move(point), kBlue, 2);
    forecast["borderDash"] = json::array({5, 3});
    json next = series_line("Forecast ahead", std::move(ahead), kBlue, 2);
    json observed = series_line("Actual", std::move(actual_values), kInk, 2);
    json marks = series_line("Anomaly (outside the interval)", std::move(anomalies), kRed, 0);
    marks["showLine"] = false;
    marks["pointRadius"] = 5;
    marks["pointHoverRadius"] = 6;

    json options = base_options(decimals_format(1));
    options["scales"]["x"]["ticks"]["maxTicksLimit"] = 10;
    options["scales"]["y"]["beginAtZero"] = false;
    return json{
        {"type", "line"},
        {"data",
         {{"labels", labels},
          {"datasets", json::array({band_low, band_high, forecast, next, observed, marks})}}},
        {"options", std::move(options)}};
}

}  // namespace

std::string predict_chart_key(const std::string& task, const std::string& chart) {
    return "predict/" + task + "/" + chart;
}

std::string forecast_chart_key(const std::string& series) {
    return "forecast/" + series;
}

std::vector<std::string> consecutive_days(std::string_view first_day, std::size_t n) {
    std::vector<std::string> days;
    auto first = parse_day(first_day);
    if (!first) {
        return days;
    }
    for (std::size_t i = 0; i < n; ++i) {
        days.push_back(format_day(static_cast<Day>(*first + static_cast<std::int64_t>(i))));
    }
    return days;
}

json build_predict_chart_specs(const json& summary) {
    json specs = json::object();
    if (const json* predict = member(summary, "predict")) {
        for (const char* task : {"churn", "propensity"}) {
            const json* result = member(*predict, task);
            const json* selection = result != nullptr ? member(*result, "selection") : nullptr;
            if (selection == nullptr) {
                continue;
            }
            if (auto chart = importance_chart(*selection)) {
                specs[predict_chart_key(task, "importance")] = std::move(*chart);
            }
            const json* test = member(*selection, "test");
            if (test == nullptr) {
                continue;
            }
            if (auto chart = roc_chart(*test)) {
                specs[predict_chart_key(task, "roc")] = std::move(*chart);
            }
            if (auto chart = pr_chart(*test)) {
                specs[predict_chart_key(task, "pr")] = std::move(*chart);
            }
            if (auto chart = calibration_chart(*test)) {
                specs[predict_chart_key(task, "calibration")] = std::move(*chart);
            }
        }
    }
    const json* forecast = member(summary, "forecast");
    if (forecast != nullptr && forecast->is_object()) {
        for (const auto& [name, series] : forecast->items()) {
            if (auto chart = forecast_chart(series)) {
                specs[forecast_chart_key(name)] = std::move(*chart);
            }
        }
    }
    return specs;
}

}  // namespace sextant::report
