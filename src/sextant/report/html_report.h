// The HTML report: one self-contained page rendered from the summary JSON (docs/summary.md).
//
// The page inlines everything it needs (style, Chart.js, the data), so it opens offline and
// names no external URL. It shows the headline figures as cards, active users over time, weekly
// cohort retention as a heatmap, the events-per-user distribution, the recommendation results
// with their learning curves, churn and purchase propensity (test figures beside the recency
// rule, ROC, precision-recall and calibration charts, the confusion matrix, risk bands, the users
// most at risk with their reasons, feature importance), the forecasts of the daily series with
// their intervals and anomalies, event names, and data quality. A section whose data is missing or
// malformed in the summary shows a short note instead. A script at the end of the page checks
// itself: it sets `data-report-status` on <body> to "ok" or "error: ..." and `data-charts-drawn`
// to the number of canvases that received pixels.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace sextant {

// Returns the complete HTML document for `summary`. Never throws on the summary's content:
// missing keys, nulls and values of the wrong type become notes or "n/a". Thread-safe.
std::string render_report(const nlohmann::json& summary);

// Renders the report and writes it to `path` through a temporary file beside it, renamed into
// place, so a reader never sees a half-written page. Throws Error(kIo) naming the path when the
// file cannot be written or renamed.
void write_report(const nlohmann::json& summary, const std::string& path);

}  // namespace sextant
