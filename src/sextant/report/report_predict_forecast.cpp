// The forecast section: for each daily series, the held-out days against the chosen method's
// forecast, the days ahead, the methods compared and the anomalies.
#include <algorithm>
#include <cmath>
#include <vector>

#include "sextant/report/report_charts.h"
#include "sextant/report/report_format.h"
#include "sextant/report/report_sections.h"

namespace sextant::report {

namespace {

using nlohmann::json;

// Series in the order a reader meets them; others follow in the summary's order.
constexpr const char* kSeriesOrder[] = {"active_users", "events", "value"};

std::string series_title(const std::string& name) {
    if (name == "active_users") {
        return "Daily active users";
    }
    if (name == "events") {
        return "Events per day";
    }
    if (name == "value") {
        return "Value per day";
    }
    std::string title = name;
    std::replace(title.begin(), title.end(), '_', ' ');
    return title;
}

// Errors and levels of a daily series: whole numbers from 100 up, one decimal below.
std::string amount_text(double v) {
    return format_decimal(v, std::abs(v) >= 100 ? 0 : 1);
}

std::optional<double> mean_of(const json* values) {
    if (values == nullptr || !values->is_array()) {
        return std::nullopt;
    }
    double sum = 0;
    std::size_t n = 0;
    for (const json& v : *values) {
        if (auto x = number(&v)) {
            sum += *x;
            ++n;
        }
    }
    return n > 0 ? std::optional<double>(sum / static_cast<double>(n)) : std::nullopt;
}

const json* find_method(const json& series, const std::string& name) {
    if (const json* methods = array_at(series, "methods")) {
        for (const json& method : *methods) {
            if (text_at(method, "method") == name) {
                return &method;
            }
        }
    }
    return nullptr;
}

std::string methods_table(const json& series, const std::string& chosen) {
    const json* methods = array_at(series, "methods");
    if (methods == nullptr || methods->empty()) {
        return missing_note("No forecasting methods in this summary.");
    }
    std::string html =
        "<table><thead><tr><th>Method</th><th class=\"num\">Valid MAE</th><th class=\"num\">"
        "Test MAE</th><th class=\"num\">Test sMAPE</th></tr></thead><tbody>";
    for (const json& method : *methods) {
        std::string name = text_at(method, "method").value_or("?");
        bool is_chosen = name == chosen;
        auto valid = number_at(method, "valid_mae");
        auto mae = number_at(method, "test_mae");
        auto smape = number_at(method, "test_smape");
        html += std::string(is_chosen ? "<tr class=\"best\">" : "<tr>") + "<td>" +
                escape_html(name) + (is_chosen ? "<span class=\"tag\">chosen</span>" : "") +
                "</td><td class=\"num\">" + (valid ? amount_text(*valid) : "n/a") +
                "</td><td class=\"num\">" + (mae ? amount_text(*mae) : "n/a") +
                "</td><td class=\"num\">" + (smape ? format_percent(*smape) : "n/a") + "</td></tr>";
    }
    return html + "</tbody></table>";
}

std::string anomaly_sentence(const json& series) {
    const json* anomalies = array_at(series, "anomalies");
    if (anomalies == nullptr) {
        return "";
    }
    if (anomalies->empty()) {
        return " No held-out day fell outside its 80% interval.";
    }
    std::vector<std::string> days;
    for (const json& day : *anomalies) {
        days.push_back(day.is_string() ? day.get<std::string>() : day.dump());
    }
    // Appended piece by piece: GCC 12 warns falsely (-Wrestrict) on " " + std::string here.
    std::string text = " ";
    text += count_noun(static_cast<double>(days.size()), "held-out day", "held-out days");
    text += " fell outside its 80% interval (anomalies, marked red): ";
    std::size_t shown = std::min(days.size(), kMaxAnomalyDays);
    for (std::size_t i = 0; i < shown; ++i) {
        if (i > 0) {
            text += ", ";
        }
        text += days[i];
    }
    if (days.size() > shown) {
        text += " and " + std::to_string(days.size() - shown) + " more";
    }
    return text + ".";
}

// What the chosen method says about the days ahead, beside the held-out days' level.
std::string outlook_sentence(const json& series) {
    const json* future = member(series, "future");
    const json* points = future != nullptr ? array_at(*future, "point") : nullptr;
    auto ahead = mean_of(points);
    if (!ahead) {
        return "";
    }
    std::string text =
        " Over the next " + count_noun(static_cast<double>(points->size()), "day", "days");
    if (auto first = text_at(series, "future_first_day")) {
        text += " from " + *first;
    }
    text += " it expects " + amount_text(*ahead) + " a day on average";
    auto recent = mean_of(array_at(series, "test_actual"));
    if (recent) {
        text += ", against " + amount_text(*recent) + " a day over the held-out days";
        if (*recent > 0) {
            double change = *ahead / *recent - 1;
            // Below a twentieth of a percent the sign would be rounding noise ("-0.0%").
            if (std::abs(change) < 0.0005) {
                text += " (no change)";
            } else {
                text += change < 0 ? " (\u2212" : " (+";
                text += format_percent(std::abs(change));
                text += ")";
            }
        }
    }
    return text + ".";
}

std::string series_summary(const json& series) {
    auto chosen = text_at(series, "chosen");
    if (!chosen) {
        return missing_note("No method was chosen for this series.");
    }
    std::string text =
        *chosen + (*chosen == "lstm" ? " was chosen: on the days before the held-out ones its "
                                       "error was at least 5% below both baselines"
                                     : " was chosen, the baseline with the lower error on the "
                                       "days before the held-out ones");
    const json* method = find_method(series, *chosen);
    if (method != nullptr) {
        auto mae = number_at(*method, "test_mae");
        auto smape = number_at(*method, "test_smape");
        const json* actual = array_at(series, "test_actual");
        if (mae && actual != nullptr) {
            text +=
                ". On the " +
                count_noun(static_cast<double>(actual->size()), "held-out day", "held-out days") +
                " it was off by " + amount_text(*mae) + " a day on average" +
                (smape ? " (sMAPE " + format_percent(*smape) + ")" : std::string());
        }
    }
    text += ".";
    text += anomaly_sentence(series) + outlook_sentence(series);
    return "<p class=\"verdict\">" + escape_html(text) + "</p>";
}

std::string series_block(const std::string& name, const json& series, Page& page) {
    std::string html = "<h3>" + escape_html(series_title(name)) + "</h3>";
    if (!series.is_object()) {
        return html + missing_note("This forecast could not be read from the summary.");
    }
    if (auto skipped = text_at(series, "skipped")) {
        std::string reason = *skipped;
        if (!reason.empty() && reason.back() == '.') {
            reason.pop_back();
        }
        return html + missing_note("This forecast was skipped: " + reason + ".");
    }
    std::string chosen = text_at(series, "chosen").value_or("");
    return html + "<div class=\"rec\"><div>" +
           page.canvas(forecast_chart_key(name),
                       "Forecast of " + series_title(name) +
                           ": held-out days, the days ahead and the 80% interval") +
           "</div><div>" + series_summary(series) + methods_table(series, chosen) + "</div></div>";
}

std::string capitalized(std::string text) {
    if (!text.empty() && text[0] >= 'a' && text[0] <= 'z') {
        text[0] = static_cast<char>(text[0] - 'a' + 'A');
    }
    return text;
}

}  // namespace

std::string forecast_section(const json& summary, Page& page) {
    std::string html =
        "<section class=\"panel\" id=\"forecast\"><h2>Where the numbers are heading</h2>";
    const json* forecast = member(summary, "forecast");
    // A summary made without forecasts (`sextant analyze`, or an older one) gets no section.
    if (forecast == nullptr) {
        return "";
    }
    if (!forecast->is_object() || forecast->empty()) {
        return html + missing_note("No forecasts in this summary.") + "</section>";
    }
    html +=
        "<p class=\"lede\">The last days of each daily series were held out and forecast by each "
        "method; the chosen one (by its error on the days before) then forecasts the days after "
        "the data. The shaded band is its 80% interval.</p>";

    // The series share their days, so a partial last day left out of them is said once.
    for (const auto& [name, series] : forecast->items()) {
        if (auto left_out = text_at(series, "left_out")) {
            html += "<p class=\"lede\">" + escape_html(capitalized(*left_out)) +
                    ", so it is left out of every series.</p>";
            break;
        }
    }

    std::vector<std::string> names;
    for (const char* name : kSeriesOrder) {
        if (forecast->contains(name)) {
            names.emplace_back(name);
        }
    }
    for (const auto& [name, series] : forecast->items()) {
        if (std::find(names.begin(), names.end(), name) == names.end()) {
            names.push_back(name);
        }
    }
    for (const std::string& name : names) {
        html += series_block(name, forecast->at(name), page);
    }
    return html + "</section>";
}

}  // namespace sextant::report
