// The sections of the HTML report, each rendered from the summary JSON to an HTML fragment.
//
// Internal to the report: html_report.cpp assembles the page from these. Every function reads the
// summary through the tolerant accessors of report_format.h and renders a short note where its
// data is missing, so none of them throws on the summary's content.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace sextant::report {

// What the sections share while one page is rendered: the chart configurations (from
// build_chart_specs) and the canvases placed so far.
class Page {
public:
    explicit Page(nlohmann::json chart_specs) : chart_specs_(std::move(chart_specs)) {}

    // A fixed-height box holding a canvas for chart `key`, or a note when there is no such chart.
    // `label` describes the chart for screen readers.
    std::string canvas(const std::string& key, const std::string& label, bool short_box = false);

    // The id the next canvas will get ("chart-1", "chart-2", ...).
    std::string next_canvas_id() const { return "chart-" + std::to_string(n_canvases_ + 1); }

    bool has_chart(const std::string& key) const { return chart_specs_.contains(key); }
    const nlohmann::json& chart_specs() const { return chart_specs_; }
    int n_canvases() const { return n_canvases_; }

private:
    nlohmann::json chart_specs_;
    int n_canvases_ = 0;
};

// A paragraph saying that a section's data is absent.
std::string missing_note(const std::string& text);

// "1 row" / "135,080 rows" style phrase: the count and the noun, singular when it is 1.
std::string count_noun(double n, const std::string& singular, const std::string& plural);

// How one skip reason reads in a sentence: "135,080 rows had no user and were skipped".
std::string describe_skip(const std::string& reason, double n_rows);

// The sections, in page order.
std::string header_section(const nlohmann::json& summary);
std::string cards_section(const nlohmann::json& summary);
std::string activity_section(const nlohmann::json& summary, Page& page);
std::string retention_section(const nlohmann::json& summary);
std::string distribution_section(const nlohmann::json& summary, Page& page);
std::string recommend_section(const nlohmann::json& summary, Page& page);
// The prediction and forecast sections render "" when the summary has no `predict` (or
// `forecast`) at all, as one made by `sextant analyze` or before predictions existed.
// "Who is about to leave": predict.churn (report_predict.cpp).
std::string churn_section(const nlohmann::json& summary, Page& page);
// "Who is about to buy": predict.propensity; also "" when the summary has no such entry.
std::string propensity_section(const nlohmann::json& summary, Page& page);
// "Where the numbers are heading": each series under `forecast` (report_predict_forecast.cpp).
std::string forecast_section(const nlohmann::json& summary, Page& page);
std::string data_quality_section(const nlohmann::json& summary);

// The most recent cohorts the heatmap shows, and the most weeks it shows per cohort.
constexpr std::size_t kMaxCohorts = 26;
constexpr std::size_t kMaxCohortWeeks = 26;
// Event names listed before the rest are summed into one line.
constexpr std::size_t kMaxEventNames = 15;
// Users listed in a prediction section's top table; the scores file holds every user.
constexpr std::size_t kMaxTopUsers = 10;
// Anomaly days named in a forecast's sentence before the rest are counted.
constexpr std::size_t kMaxAnomalyDays = 10;

}  // namespace sextant::report
