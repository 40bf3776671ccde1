// Opens the HTML report in a real browser (Debian's headless Chromium) and reads back the page's
// own self-check: no script error, and every canvas received pixels.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "browser_check.h"
#include "sextant/report/html_report.h"
#include "test_util.h"

namespace sextant {
namespace {

using nlohmann::json;

using testing::check_page_in_browser;
using testing::kChromium;
using testing::PageCheck;

// Writes the report for `summary` into a fresh folder and checks it in the browser.
PageCheck check_in_browser(const json& summary, const std::string& tag) {
    std::string dir = testing::make_temp_dir("report-browser-" + tag);
    std::string page = dir + "/report.html";
    write_report(summary, page);
    PageCheck check = check_page_in_browser(page);
    std::filesystem::remove_all(dir);
    return check;
}

json sample_summary() {
    std::string path = std::string(SEXTANT_SOURCE_DIR) + "/tests/fixtures/summary_sample.json";
    return json::parse(testing::read_file(path));
}

#define SEXTANT_REQUIRE_CHROMIUM()                                                     \
    if (!std::filesystem::exists(kChromium)) {                                         \
        GTEST_SKIP() << kChromium << " not found (Debian package chromium); skipping"; \
    }

TEST(ReportBrowser, SampleDrawsEveryChartWithoutScriptErrors) {
    SEXTANT_REQUIRE_CHROMIUM();
    PageCheck check = check_in_browser(sample_summary(), "sample");
    ASSERT_EQ(check.rc, 0) << check.log;
    EXPECT_EQ(check.status, "ok") << check.log;
    EXPECT_EQ(check.n_canvases, 4);
    EXPECT_EQ(check.charts_drawn, check.n_canvases);
}

TEST(ReportBrowser, LearningCurveWithNullsStillDraws) {
    SEXTANT_REQUIRE_CHROMIUM();
    json summary = sample_summary();
    json& curve = summary["recommend"]["models"]["sasrec"]["learning_curve"];
    curve[0]["train_loss"] = nullptr;
    curve[1]["valid_ndcg@10"] = nullptr;
    curve[4] = {{"epoch", 5}, {"train_loss", nullptr}, {"valid_ndcg@10", nullptr}};
    curve.push_back(nullptr);
    summary["recommend"]["models"]["gru4rec"] = {{"hr@10", nullptr},
                                                 {"learning_curve", json::array({{{"epoch", 1}}})}};
    PageCheck check = check_in_browser(summary, "nulls");
    ASSERT_EQ(check.rc, 0) << check.log;
    EXPECT_EQ(check.status, "ok") << check.log;
    EXPECT_EQ(check.n_canvases, 5);
    EXPECT_EQ(check.charts_drawn, check.n_canvases);
}

// The sample plus prediction and forecast results shaped like predict_job's, small enough to read.
json summary_with_predictions() {
    json summary = sample_summary();
    summary["predict"] = json::parse(R"json({
        "churn": {
            "task": "churn", "horizon_days": 30,
            "risk_bands": {"high": 3, "medium": 2, "low": 5},
            "top_at_risk": [{"user": "<b>u1</b>", "probability": 0.9, "risk_band": "high",
                             "reasons": ["raises: no activity for 41 days (usual gap 6)"]}],
            "recency_baseline": {"roc_auc": 0.7, "average_precision": 0.5},
            "selection": {
                "chosen": "gbdt", "threshold": 0.5,
                "candidates": [{"name": "gbdt", "roc_auc": 0.8, "average_precision": 0.6,
                                "log_loss": null, "log_loss_reason": "not computed"}],
                "importance": [{"feature": "days_since_last_event", "value": 0.4},
                               {"feature": "events_total", "value": 0.1}],
                "test": {
                    "roc_auc": 0.8, "average_precision": null, "prevalence": 0.3,
                    "average_precision_reason": "one class only",
                    "at_threshold": {"precision": 0.7, "recall": 0.6,
                                     "confusion": {"n_tp": 6, "n_fp": 3, "n_tn": 18, "n_fn": 4}},
                    "roc_curve": [{"fpr": 0, "tpr": 0, "threshold": null},
                                  {"fpr": 0.2, "tpr": 0.6}, {"fpr": 1, "tpr": 1}],
                    "pr_curve": [{"recall": 0.1, "precision": 1}, {"recall": 1, "precision": 0.3}],
                    "calibration": {"bins": [
                        {"count": 10, "mean_predicted": 0.1, "observed_rate": 0.05},
                        {"count": 0, "mean_predicted": null, "observed_rate": null},
                        {"count": 4, "mean_predicted": 0.8, "observed_rate": 0.75}]}
                }
            }
        },
        "propensity": {"skipped": "no purchase-like event name in the log"}
    })json");
    summary["forecast"] = json::parse(R"json({
        "events": {
            "test_first_day": "2011-11-29", "test_actual": [10, null, 30], "chosen": "lstm",
            "methods": [{"method": "lstm", "point": [11, 19, 33], "low": [8, 16, 30],
                         "high": [14, 22, 36], "test_mae": 1.5, "test_smape": 0.07}],
            "future_first_day": "2011-12-02",
            "future": {"point": [40, 50], "low": [-5, 45], "high": [45, 55]},
            "anomalies": ["2011-12-01"]
        },
        "value": {"skipped": "too short"}
    })json");
    return summary;
}

TEST(ReportBrowser, PredictionAndForecastChartsDraw) {
    SEXTANT_REQUIRE_CHROMIUM();
    PageCheck check = check_in_browser(summary_with_predictions(), "predict");
    ASSERT_EQ(check.rc, 0) << check.log;
    EXPECT_EQ(check.status, "ok") << check.log;
    // The sample's 4, then ROC, precision-recall, calibration, importance and one forecast.
    EXPECT_EQ(check.n_canvases, 9);
    EXPECT_EQ(check.charts_drawn, check.n_canvases);
}

TEST(ReportBrowser, EmptySummaryHasNoChartsAndNoErrors) {
    SEXTANT_REQUIRE_CHROMIUM();
    PageCheck check = check_in_browser(json::object(), "empty");
    ASSERT_EQ(check.rc, 0) << check.log;
    EXPECT_EQ(check.status, "ok") << check.log;
    EXPECT_EQ(check.n_canvases, 0);
    EXPECT_EQ(check.charts_drawn, 0);
}

TEST(ReportBrowser, MalformedSummaryHasNoScriptErrors) {
    SEXTANT_REQUIRE_CHROMIUM();
    json summary = json::parse(R"({
        "event_names": [1, {"name": 5}],
        "events_per_user": {"histogram": [{"from": "a"}, 7]},
        "active_users": {"daily": [1, {"day": 3}], "weekly": {}, "monthly": [null]},
        "recommend": {"models": {"n": {"learning_curve": [null, {"epoch": "e"}]}}},
        "predict": {"churn": {"selection": {"importance": [{"feature": 1}],
            "test": {"roc_curve": [null, {"fpr": "a", "tpr": 1}],
                     "calibration": {"bins": [{"count": 0}, 4]}}}}},
        "forecast": {"events": {"test_actual": [null], "future": {"point": ["x"]}}}
    })");
    PageCheck check = check_in_browser(summary, "malformed");
    ASSERT_EQ(check.rc, 0) << check.log;
    EXPECT_EQ(check.status, "ok") << check.log;
    EXPECT_EQ(check.charts_drawn, check.n_canvases);
}

}  // namespace
}  // namespace sextant
