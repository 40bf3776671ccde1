#include "sextant/report/report_charts.h"

#include "sextant/core/time.h"
#include "sextant/report/report_format.h"

namespace sextant::report {

namespace {

using nlohmann::json;

constexpr const char* kPaleBlue = "rgba(37, 99, 235, 0.35)";
constexpr const char* kTeal = "#0d9488";
constexpr std::size_t kMovingAverageDays = 7;
// Filling gaps beyond this span would mean a malformed summary, not a real product's history.
constexpr std::int64_t kMaxFilledDays = 40000;

json to_json(const std::vector<std::optional<double>>& values) {
    json out = json::array();
    for (const auto& v : values) {
        out.push_back(v ? json(*v) : json(nullptr));
    }
    return out;
}

json value_or_null(const json* value) {
    auto v = number(value);
    return v ? json(*v) : json(nullptr);
}

json label_of(const json* value) {
    if (value == nullptr || value->is_null()) {
        return "?";
    }
    return value->is_string() ? value->get<std::string>() : value->dump();
}

json line_dataset(const std::string& label, json data, const char* color, double width) {
    return {{"label", label},           {"data", std::move(data)}, {"borderColor", color},
            {"backgroundColor", color}, {"borderWidth", width},    {"pointRadius", 0},
            {"pointHoverRadius", 3},    {"tension", 0.25},         {"spanGaps", false}};
}

// A bar chart of one period's active users (`period_key` is "week" or "month").
std::optional<json> period_chart(const json& active, const char* array_key, const char* period_key,
                                 const std::string& label) {
    const json* rows = array_at(active, array_key);
    if (rows == nullptr || rows->empty()) {
        return std::nullopt;
    }
    json labels = json::array();
    json users = json::array();
    for (const json& row : *rows) {
        labels.push_back(label_of(member(row, period_key)));
        users.push_back(value_or_null(member(row, "users")));
    }
    // Bars: a period is a bucket, and a handful of months reads poorly as a line.
    json bars = {{"label", label},       {"data", std::move(users)}, {"backgroundColor", kPaleBlue},
                 {"borderColor", kBlue}, {"borderWidth", 1},         {"categoryPercentage", 0.85},
                 {"barPercentage", 0.9}};
    return json{{"type", "bar"},
                {"data", {{"labels", labels}, {"datasets", json::array({bars})}}},
                {"options", base_options(count_format())}};
}

std::optional<json> daily_chart(const json& active) {
    const json* daily = array_at(active, "daily");
    if (daily == nullptr || daily->empty()) {
        return std::nullopt;
    }
    DailySeries series = daily_series(*daily);
    json users = line_dataset("Daily active users", to_json(series.users), kPaleBlue, 1.5);
    json average =
        line_dataset("7-day moving average",
                     to_json(moving_average(series.users, kMovingAverageDays)), kBlue, 2.5);
    return json{{"type", "line"},
                {"data", {{"labels", series.days}, {"datasets", json::array({users, average})}}},
                {"options", base_options(count_format())}};
}

std::optional<json> histogram_chart(const json& per_user) {
    const json* bins = array_at(per_user, "histogram");
    if (bins == nullptr || bins->empty()) {
        return std::nullopt;
    }
    json labels = json::array();
    json users = json::array();
    for (const json& bin : *bins) {
        auto from = number_at(bin, "from");
        auto to = number_at(bin, "to");
        std::string label = from ? format_count(*from) : "?";
        if (!from || !to || *to != *from) {
            label += "\u2013" + (to ? format_count(*to) : std::string("?"));
        }
        labels.push_back(label);
        users.push_back(value_or_null(member(bin, "users")));
    }
    json bars = {{"label", "Users"},     {"data", users},    {"backgroundColor", kTealFill},
                 {"borderColor", kTeal}, {"borderWidth", 1}, {"categoryPercentage", 0.9},
                 {"barPercentage", 1.0}};
    json options = base_options(count_format());
    options["plugins"]["legend"]["display"] = false;
    options["scales"]["x"]["title"] = {{"display", true}, {"text", "events per user"}};
    options["scales"]["y"]["title"] = {{"display", true}, {"text", "users"}};
    return json{{"type", "bar"},
                {"data", {{"labels", labels}, {"datasets", json::array({bars})}}},
                {"options", options}};
}

std::optional<json> learning_chart(const json& model) {
    const json* curve = array_at(model, "learning_curve");
    if (curve == nullptr || curve->empty()) {
        return std::nullopt;
    }
    json epochs = json::array();
    json loss = json::array();
    json ndcg = json::array();
    for (const json& point : *curve) {
        epochs.push_back(label_of(member(point, "epoch")));
        loss.push_back(value_or_null(member(point, "train_loss")));
        ndcg.push_back(value_or_null(member(point, "valid_ndcg@10")));
    }
    json loss_line = line_dataset("Train loss", loss, kOrange, 2);
    loss_line["yAxisID"] = "y";
    json ndcg_line = line_dataset("Validation NDCG@10", ndcg, kBlue, 2);
    ndcg_line["yAxisID"] = "y1";
    for (json* line : {&loss_line, &ndcg_line}) {
        (*line)["pointRadius"] = curve->size() > 40 ? 0 : 3;
        (*line)["tension"] = 0;
    }

    json options = base_options(decimals_format(3));
    options["scales"]["x"]["title"] = {{"display", true}, {"text", "epoch"}};
    options["scales"]["y"]["beginAtZero"] = false;
    options["scales"]["y"]["title"] = {{"display", true}, {"text", "train loss"}};
    options["scales"]["y1"] = {
        {"position", "right"},
        {"beginAtZero", true},
        {"grid", {{"drawOnChartArea", false}}},
        {"title", {{"display", true}, {"text", "validation NDCG@10"}}},
        {"ticks", {{"format", decimals_format(3)}}},
    };
    return json{{"type", "line"},
                {"data", {{"labels", epochs}, {"datasets", json::array({loss_line, ndcg_line})}}},
                {"options", options}};
}

}  // namespace

// Chart.js merges a format over its own, which sets minimumFractionDigits from the tick spacing;
// a maximum below that minimum is a RangeError, so every format here gives both bounds.
json decimals_format(int decimals) {
    return {{"minimumFractionDigits", 0}, {"maximumFractionDigits", decimals}};
}

json count_format() {
    return decimals_format(0);
}

// Options shared by every chart: no animation, so a chart is complete when its constructor
// returns (the page's self-check relies on it), and a fixed height from the surrounding box.
json base_options(const json& y_format) {
    // Counts get whole-number ticks even when their range is tiny.
    json y_ticks = {{"format", y_format}};
    if (y_format == count_format()) {
        y_ticks["precision"] = 0;
    }
    return {
        {"animation", false},
        {"responsive", true},
        {"maintainAspectRatio", false},
        {"locale", "en-US"},
        {"interaction", {{"mode", "index"}, {"intersect", false}}},
        {"plugins",
         {{"legend", {{"position", "top"}, {"align", "end"}, {"labels", {{"boxWidth", 12}}}}}}},
        {"scales",
         {{"x",
           {{"grid", {{"display", false}}},
            {"ticks", {{"maxTicksLimit", 12}, {"maxRotation", 0}, {"autoSkip", true}}}}},
          {"y", {{"beginAtZero", true}, {"ticks", y_ticks}}}}},
    };
}

std::string learning_curve_key(const std::string& model) {
    return "learning_curve/" + model;
}

std::vector<std::optional<double>> moving_average(const std::vector<std::optional<double>>& values,
                                                  std::size_t window) {
    std::vector<std::optional<double>> out(values.size());
    if (window == 0) {
        return out;
    }
    double sum = 0;
    std::size_t present = 0;
    for (std::size_t i = 0; i < values.size(); ++i) {
        if (values[i]) {
            sum += *values[i];
            ++present;
        }
        if (i >= window && values[i - window]) {
            sum -= *values[i - window];
            --present;
        }
        if (i + 1 >= window && present > 0) {
            out[i] = sum / static_cast<double>(present);
        }
    }
    return out;
}

DailySeries daily_series(const json& daily) {
    DailySeries given;
    std::vector<std::int64_t> day_numbers;
    bool calendar = daily.is_array();
    if (!daily.is_array()) {
        return given;
    }
    for (const json& row : daily) {
        json label = label_of(member(row, "day"));
        given.days.push_back(label.get<std::string>());
        given.users.push_back(number_at(row, "users"));
        auto d = parse_day(given.days.back());
        calendar = calendar && d && (day_numbers.empty() || *d > day_numbers.back());
        if (d) {
            day_numbers.push_back(*d);
        }
    }
    if (!calendar || day_numbers.empty() ||
        day_numbers.back() - day_numbers.front() > kMaxFilledDays) {
        return given;
    }

    DailySeries filled;
    std::size_t next = 0;
    for (std::int64_t d = day_numbers.front(); d <= day_numbers.back(); ++d) {
        filled.days.push_back(format_day(static_cast<Day>(d)));
        if (day_numbers[next] == d) {
            filled.users.push_back(given.users[next]);
            ++next;
        } else {
            filled.users.push_back(0.0);
        }
    }
    return filled;
}

json build_chart_specs(const json& summary) {
    json specs = json::object();
    if (const json* active = member(summary, "active_users")) {
        if (auto chart = daily_chart(*active)) {
            specs["active_daily"] = std::move(*chart);
        }
        if (auto chart = period_chart(*active, "weekly", "week", "Weekly active users")) {
            specs["active_weekly"] = std::move(*chart);
        }
        if (auto chart = period_chart(*active, "monthly", "month", "Monthly active users")) {
            specs["active_monthly"] = std::move(*chart);
        }
    }
    if (const json* per_user = member(summary, "events_per_user")) {
        if (auto chart = histogram_chart(*per_user)) {
            specs["events_per_user"] = std::move(*chart);
        }
    }
    const json* recommend = member(summary, "recommend");
    const json* models = recommend != nullptr ? member(*recommend, "models") : nullptr;
    if (models != nullptr && models->is_object()) {
        for (const auto& [name, model] : models->items()) {
            if (auto chart = learning_chart(model)) {
                specs[learning_curve_key(name)] = std::move(*chart);
            }
        }
    }
    return specs;
}

}  // namespace sextant::report
