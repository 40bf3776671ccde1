// The prediction and forecast sections of the HTML report and their charts, on summaries built by
// hand so that every expected value can be read off the input.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "sextant/report/html_report.h"
#include "sextant/report/report_charts.h"
#include "sextant/report/report_sections.h"
#include "test_util.h"

namespace sextant {
namespace {

using nlohmann::json;

// A churn result shaped like predict_job's, with round figures.
json churn_result() {
    return json::parse(R"json({
        "task": "churn", "horizon_days": 90,
        "split": "backtest: fitted and chosen before 2011-06-12, tested after",
        "train_cutoff": "2011-06-12T12:50:01Z", "test_cutoff": "2011-09-10T12:50:01Z",
        "examples": {"train": 2146, "valid": 715, "test": 3412},
        "recency_baseline": {"roc_auc": 0.69, "average_precision": 0.59,
                             "rule": "more days since the last event, more likely to churn"},
        "risk_bands": {"high": 30, "medium": 10, "low": 60},
        "risk_band_rule": "high: at or above the threshold",
        "scores_file": "/out/predict/churn_scores.csv", "model_dir": "/out/models/churn",
        "top_at_risk": [
            {"user": "<b>x</b>", "probability": 0.9, "risk_band": "high",
             "reasons": ["raises: no activity for 41 days (usual gap 6)",
                         "lowers: 12 cart events (average 5)"]},
            {"user": 17456.0, "probability": 0.8, "risk_band": "high", "reasons": []}
        ],
        "selection": {
            "chosen": "ensemble", "why": "best validation average precision 0.7265 of 2",
            "imbalance": "class_weights",
            "train_balance": {"n_rows": 100, "n_positives": 20, "n_negatives": 80,
                              "negatives_per_positive": 4.0},
            "threshold": 0.304,
            "threshold_choice": {"threshold": 0.304, "reason": "max F1 0.7549 at 0.304"},
            "candidates": [
                {"name": "logistic", "roc_auc": 0.756, "average_precision": 0.7185,
                 "log_loss": 0.571, "fit_seconds": 0.0144, "threshold": {"threshold": 0.389}},
                {"name": "ensemble", "roc_auc": 0.76, "average_precision": 0.7265,
                 "log_loss": 0.565, "fit_seconds": 0.25, "threshold": {"threshold": 0.304}}
            ],
            "importance": [{"feature": "days_since_last_event", "value": 0.25},
                           {"feature": "events_total", "value": 0.5}],
            "test": {
                "n_samples": 1812, "n_positives": 526, "prevalence": 0.29,
                "roc_auc": 0.75, "average_precision": 0.72, "lift": 3.33, "lift_fraction": 0.1,
                "at_threshold": {
                    "precision": 0.8626, "recall": 0.6084,
                    "confusion": {"n_tp": 320, "n_fp": 51, "n_tn": 1235, "n_fn": 206,
                                  "tp": 320.0, "fp": 51.0, "tn": 1235.0, "fn": 206.0}
                },
                "roc_curve": [{"fpr": 0.0, "tpr": 0.0, "threshold": null},
                              {"fpr": 0.25, "tpr": 0.6, "threshold": 0.7},
                              {"fpr": null, "tpr": 0.7, "threshold": 0.6},
                              {"fpr": 1.0, "tpr": 1.0, "threshold": 0.1}],
                "pr_curve": [{"recall": 0.1, "precision": 1.0, "threshold": 0.9},
                             {"recall": 0.6, "precision": 0.8, "threshold": 0.7},
                             {"recall": 1.0, "precision": 0.29, "threshold": 0.1}],
                "calibration": {"bins": [
                    {"lower": 0.0, "upper": 0.1, "count": 100, "mean_predicted": 0.05,
                     "observed_rate": 0.02},
                    {"lower": 0.1, "upper": 0.2, "count": 0, "mean_predicted": null,
                     "mean_predicted_reason": "no sample falls in this bin",
                     "observed_rate": null,
                     "observed_rate_reason": "no sample falls in this bin"},
                    {"lower": 0.2, "upper": 0.3, "count": 25, "mean_predicted": 0.24,
                     "observed_rate": 0.3}
                ]}
            }
        }
    })json");
}

json summary_with_churn(const json& churn) {
    return {{"predict", {{"churn", churn}}}};
}

std::string churn_html(const json& summary) {
    report::Page page(report::build_predict_chart_specs(summary));
    return report::churn_section(summary, page);
}

// A forecast of 3 held-out days from 2011-11-01 and 2 days ahead.
json forecast_series() {
    return json::parse(R"json({
        "test_first_day": "2011-11-01", "test_actual": [10, 20, 30],
        "chosen": "lstm",
        "methods": [
            {"method": "seasonal_naive", "point": [9, 9, 9], "low": [1, 1, 1],
             "high": [19, 19, 19], "valid_mae": 7.5, "test_mae": 11.0, "test_smape": 0.4},
            {"method": "lstm", "point": [11, 19, 33], "low": [8, 16, 30],
             "high": [14, 22, 36], "valid_mae": 4.26, "test_mae": 1.5, "test_smape": 0.07}
        ],
        "future_first_day": "2011-11-04",
        "future": {"method": "lstm", "point": [40, 50], "low": [35, 45], "high": [45, 55]},
        "anomalies": ["2011-11-03"]
    })json");
}

using testing::count_of;

json xy(double x, double y) {
    return {{"x", x}, {"y", y}};
}

TEST(ReportPredictCharts, RocPointsAreTheCurveBesideTheChanceDiagonal) {
    json specs = report::build_predict_chart_specs(summary_with_churn(churn_result()));
    ASSERT_TRUE(specs.contains("predict/churn/roc"));
    const json& roc = specs["predict/churn/roc"];
    EXPECT_EQ(roc["type"], "scatter");
    // The point with a null false positive rate is left out; the others are the input's.
    EXPECT_EQ(roc["data"]["datasets"][0]["data"], json::array({xy(0, 0), xy(0.25, 0.6), xy(1, 1)}));
    EXPECT_EQ(roc["data"]["datasets"][0]["showLine"], true);
    EXPECT_EQ(roc["data"]["datasets"][1]["data"], json::array({xy(0, 0), xy(1, 1)}));
    for (const char* axis : {"x", "y"}) {
        EXPECT_EQ(roc["options"]["scales"][axis]["type"], "linear");
        EXPECT_EQ(roc["options"]["scales"][axis]["min"], 0);
        EXPECT_EQ(roc["options"]["scales"][axis]["max"], 1);
    }
    EXPECT_EQ(roc["options"]["animation"], false);
}

TEST(ReportPredictCharts, PrCurveHasThePrevalenceLine) {
    json specs = report::build_predict_chart_specs(summary_with_churn(churn_result()));
    const json& pr = specs["predict/churn/pr"];
    EXPECT_EQ(pr["data"]["datasets"][0]["data"],
              json::array({xy(0.1, 1.0), xy(0.6, 0.8), xy(1.0, 0.29)}));
    EXPECT_EQ(pr["data"]["datasets"][1]["data"], json::array({xy(0, 0.29), xy(1, 0.29)}));
}

TEST(ReportPredictCharts, CalibrationDropsEmptyBinsAndSizesPointsByUsers) {
    json specs = report::build_predict_chart_specs(summary_with_churn(churn_result()));
    const json& sets = specs["predict/churn/calibration"]["data"]["datasets"];
    const json& points = sets[0]["data"];
    ASSERT_EQ(points.size(), 2u);
    EXPECT_EQ(points[0]["x"], 0.05);
    EXPECT_EQ(points[0]["y"], 0.02);
    EXPECT_EQ(points[0]["count"], 100);
    EXPECT_EQ(points[1]["x"], 0.24);
    EXPECT_EQ(points[1]["y"], 0.3);
    // Radius 3 + 9 * sqrt(count / largest count): 12 for 100 users, 3 + 9 * 0.5 for 25.
    EXPECT_DOUBLE_EQ(sets[0]["pointRadius"][0].get<double>(), 12.0);
    EXPECT_DOUBLE_EQ(sets[0]["pointRadius"][1].get<double>(), 7.5);
    EXPECT_EQ(sets[1]["data"], json::array({xy(0, 0), xy(1, 1)}));

    // Only empty bins: no chart at all.
    json churn = churn_result();
    json& bins = churn["selection"]["test"]["calibration"]["bins"];
    bins.erase(2);
    bins.erase(0);
    EXPECT_FALSE(report::build_predict_chart_specs(summary_with_churn(churn))
                     .contains("predict/churn/calibration"));
}

TEST(ReportPredictCharts, ImportanceShowsTheTopTenLargestFirst) {
    json churn = churn_result();
    json importance = json::array();
    for (int i = 0; i < 12; ++i) {
        importance.push_back({{"feature", "f_" + std::to_string(i)}, {"value", 0.01 * i}});
    }
    importance.push_back({{"feature", "broken"}, {"value", nullptr}});
    churn["selection"]["importance"] = importance;
    json chart =
        report::build_predict_chart_specs(summary_with_churn(churn))["predict/churn/importance"];
    EXPECT_EQ(chart["options"]["indexAxis"], "y");
    const json& labels = chart["data"]["labels"];
    const json& values = chart["data"]["datasets"][0]["data"];
    ASSERT_EQ(labels.size(), 10u);
    EXPECT_EQ(labels[0], "f 11");
    EXPECT_EQ(labels[9], "f 2");
    EXPECT_DOUBLE_EQ(values[0].get<double>(), 0.11);
    EXPECT_DOUBLE_EQ(values[9].get<double>(), 0.02);
}

TEST(ReportPredictCharts, ConsecutiveDaysCrossMonthsAndLeapDays) {
    EXPECT_EQ(report::consecutive_days("2011-11-29", 3),
              (std::vector<std::string>{"2011-11-29", "2011-11-30", "2011-12-01"}));
    EXPECT_EQ(report::consecutive_days("2012-02-28", 3),
              (std::vector<std::string>{"2012-02-28", "2012-02-29", "2012-03-01"}));
    EXPECT_TRUE(report::consecutive_days("Nov 1", 3).empty());
    EXPECT_TRUE(report::consecutive_days("2011-11-01", 0).empty());
}

TEST(ReportPredictCharts, ForecastBandLinesUpWithTheDays) {
    json summary = {{"forecast", {{"events", forecast_series()}}}};
    json chart = report::build_predict_chart_specs(summary)["forecast/events"];
    EXPECT_EQ(chart["type"], "line");
    EXPECT_EQ(chart["data"]["labels"],
              json::array({"2011-11-01", "2011-11-02", "2011-11-03", "2011-11-04", "2011-11-05"}));
    const json& sets = chart["data"]["datasets"];
    ASSERT_EQ(sets.size(), 6u);
    // Band: the chosen method's (lstm's) interval on the held-out days, then the future's.
    EXPECT_EQ(sets[0]["data"], json::parse("[8, 16, 30, 35, 45]"));
    EXPECT_EQ(sets[0]["hideInLegend"], true);
    EXPECT_EQ(sets[1]["data"], json::parse("[14, 22, 36, 45, 55]"));
    EXPECT_EQ(sets[1]["fill"], "-1");
    EXPECT_EQ(sets[2]["data"], json::parse("[11, 19, 33, null, null]"));
    EXPECT_EQ(sets[3]["data"], json::parse("[null, null, null, 40, 50]"));
    EXPECT_EQ(sets[4]["data"], json::parse("[10, 20, 30, null, null]"));
    // The anomaly sits on its day's actual value.
    EXPECT_EQ(sets[5]["data"], json::parse("[null, null, 30, null, null]"));
    EXPECT_EQ(sets[5]["showLine"], false);
}

TEST(ReportPredictCharts, ForecastToleratesMissingAndMalformedParts) {
    json series = forecast_series();
    series["chosen"] = "prophet";  // not among the methods
    series["test_first_day"] = "first of November";
    series["test_actual"][1] = "x";
    series["anomalies"] = json::array({"2011-11-03", 7});
    json chart =
        report::build_predict_chart_specs({{"forecast", {{"events", series}}}})["forecast/events"];
    EXPECT_EQ(chart["data"]["labels"], json::array({"held-out day 1", "held-out day 2",
                                                    "held-out day 3", "2011-11-04", "2011-11-05"}));
    const json& sets = chart["data"]["datasets"];
    EXPECT_EQ(sets[0]["data"], json::parse("[null, null, null, 35, 45]"));
    EXPECT_EQ(sets[4]["data"], json::parse("[10, null, 30, null, null]"));
    EXPECT_EQ(sets[5]["data"], json::parse("[null, null, null, null, null]"));

    json odd = {{"forecast", {{"a", 3}, {"b", {{"skipped", "too short"}}}, {"c", json::array()}}},
                {"predict", {{"churn", {{"selection", {{"test", 1}, {"importance", 2}}}}}}}};
    EXPECT_EQ(report::build_predict_chart_specs(odd), json::object());
}

TEST(ReportPredict, HeadlineFiguresAndBaselineSentence) {
    std::string html = churn_html(summary_with_churn(churn_result()));
    EXPECT_NE(html.find("<h2>Who is about to leave</h2>"), std::string::npos);
    EXPECT_NE(html.find("Users predicted to have no event in the next 90 days."),
              std::string::npos);
    EXPECT_NE(html.find("<div class=\"value\">0.750</div>"), std::string::npos);
    EXPECT_NE(html.find("<div class=\"value\">0.720</div>"), std::string::npos);
    EXPECT_NE(html.find("Lift, top 10%</div><div class=\"value\">3.3\u00d7</div>"),
              std::string::npos);
    EXPECT_NE(html.find("<div class=\"value\">86.3%</div>"), std::string::npos);
    EXPECT_NE(html.find("<div class=\"value\">60.8%</div>"), std::string::npos);
    EXPECT_NE(html.find("The model ranks churners better than \u201clongest inactive "
                        "first\u201d: ROC-AUC 0.750 vs 0.690, PR-AUC 0.720 vs 0.590."),
              std::string::npos);

    // Worse than the rule on both figures: said so.
    json churn = churn_result();
    churn["recency_baseline"]["roc_auc"] = 0.8;
    churn["recency_baseline"]["average_precision"] = 0.8;
    EXPECT_NE(
        churn_html(summary_with_churn(churn))
            .find("The simple rule \u201clongest inactive first\u201d ranks churners better than "
                  "the model here"),
        std::string::npos);
    // Equal to the third decimal: a tie, not "each wins on one figure".
    churn["recency_baseline"]["roc_auc"] = 0.75001;
    churn["recency_baseline"]["average_precision"] = 0.71996;
    EXPECT_NE(churn_html(summary_with_churn(churn)).find("exactly as well as"), std::string::npos);
}

TEST(ReportPredict, NullFiguresRenderNotAvailableWithTheirReason) {
    json churn = churn_result();
    json& test = churn["selection"]["test"];
    test["roc_auc"] = nullptr;
    test["roc_auc_reason"] = "the test part holds one class only";
    test["lift"] = nullptr;
    test["at_threshold"]["precision"] = nullptr;
    test["at_threshold"]["precision_reason"] = "nothing is predicted positive";
    churn["selection"]["threshold"] = nullptr;
    churn["selection"]["threshold_reason"] = "infinite (nothing predicted positive)";
    churn["top_at_risk"][0]["probability"] = nullptr;
    std::string html = churn_html(summary_with_churn(churn));

    EXPECT_NE(html.find("ROC-AUC</div><div class=\"value\">n/a</div><div class=\"note\">the test "
                        "part holds one class only</div>"),
              std::string::npos);
    EXPECT_NE(html.find("Precision</div><div class=\"value\">n/a</div><div class=\"note\">nothing "
                        "is predicted positive</div>"),
              std::string::npos);
    EXPECT_NE(html.find("ROC-AUC n/a (the test part holds one class only) vs 0.690"),
              std::string::npos);
    EXPECT_NE(html.find("Decision threshold n/a (infinite (nothing predicted positive))"),
              std::string::npos);
    EXPECT_EQ(html.find("NaN"), std::string::npos);
    EXPECT_EQ(html.find("null"), std::string::npos);
}

TEST(ReportPredict, SkippedTasksSayWhy) {
    json summary = {{"predict",
                     {{"churn", churn_result()},
                      {"propensity",
                       {{"skipped",
                         "no purchase-like event name in the log (give one with "
                         "--target-event)"}}}}}};
    report::Page page(report::build_predict_chart_specs(summary));
    std::string html = report::propensity_section(summary, page);
    EXPECT_NE(html.find("<h2>Who is about to buy</h2>"), std::string::npos);
    EXPECT_NE(html.find("This prediction was skipped: no purchase-like event name in the log "
                        "(give one with --target-event)."),
              std::string::npos);
    EXPECT_EQ(count_of(html, "<canvas"), 0u);

    // No propensity entry: no section. No `predict` at all (a summary made without
    // predictions): no sections. An empty `predict`: a note under churn.
    EXPECT_EQ(report::propensity_section(summary_with_churn(churn_result()), page), "");
    json nothing = json::object();
    EXPECT_EQ(report::churn_section(nothing, page), "");
    EXPECT_EQ(report::propensity_section(nothing, page), "");
    json empty = {{"predict", json::object()}};
    EXPECT_NE(report::churn_section(empty, page).find("No churn predictions in this summary."),
              std::string::npos);
    json skipped = {{"predict", {{"skipped", "no events"}}}};
    EXPECT_NE(report::churn_section(skipped, page).find("Predictions were skipped: no events."),
              std::string::npos);
    EXPECT_EQ(report::propensity_section(skipped, page), "");
}

TEST(ReportPredict, ConfusionMatrixWordsCarryTheCounts) {
    std::string html = churn_html(summary_with_churn(churn_result()));
    EXPECT_NE(html.find("<b>320</b> caught churners"), std::string::npos);
    EXPECT_NE(html.find("<b>51</b> false alarms"), std::string::npos);
    EXPECT_NE(html.find("<b>206</b> missed churners"), std::string::npos);
    EXPECT_NE(html.find("<b>1,235</b> correctly not flagged"), std::string::npos);
    // 320 + 51 flagged; 320 + 206 churned.
    EXPECT_NE(html.find("of 371 flagged, 320 churned; of 526 who churned, 320 were caught."),
              std::string::npos);
}

TEST(ReportPredict, ModelTableProtocolBandsAndFiles) {
    std::string html = churn_html(summary_with_churn(churn_result()));
    EXPECT_NE(html.find("<tr class=\"best\"><td>ensemble<span class=\"tag\">chosen</span>"),
              std::string::npos);
    EXPECT_EQ(count_of(html, "<span class=\"tag\">chosen</span>"), 1u);
    EXPECT_NE(html.find("Chosen: <b>ensemble</b>, best validation average precision 0.7265 of 2."),
              std::string::npos);
    EXPECT_NE(html.find("Decision threshold 0.304, chosen on validation: max F1 0.7549 at 0.304."),
              std::string::npos);
    EXPECT_NE(html.find("Cutoffs: 2011-06-12 (fit and choose), 2011-09-10 (test)"),
              std::string::npos);
    EXPECT_NE(html.find("Examples: 2,146 train, 715 validation, 3,412 test"), std::string::npos);
    EXPECT_NE(html.find("100 training examples: 20 churners, 80 stayers (4.0 stayers per "
                        "churner)"),
              std::string::npos);
    EXPECT_NE(html.find("Imbalance handled by class weights"), std::string::npos);
    // Bands: 30, 10 and 60 of 100 users.
    EXPECT_NE(html.find("high</span></td><td class=\"num\">30</td><td class=\"num\">30.0%"),
              std::string::npos);
    EXPECT_NE(html.find("low</span></td><td class=\"num\">60</td><td class=\"num\">60.0%"),
              std::string::npos);
    EXPECT_NE(html.find("<code>/out/predict/churn_scores.csv</code>"), std::string::npos);
    EXPECT_NE(html.find("<code>/out/models/churn</code>"), std::string::npos);
    // No calibration report, no calibration line.
    EXPECT_EQ(html.find("calibrated"), std::string::npos);
}

TEST(ReportPredict, CalibrationLineWhenTheSummaryHasOne) {
    json churn = churn_result();
    churn["selection"]["calibration"] = {
        {"method", "platt"}, {"valid_log_loss_before", 0.412}, {"valid_log_loss_after", 0.398}};
    std::string html = churn_html(summary_with_churn(churn));
    EXPECT_NE(html.find("Probabilities were calibrated on the validation part (platt): validation "
                        "log loss 0.4120 \u2192 0.3980 (\u22120.0140)."),
              std::string::npos);

    churn["selection"]["calibration"] = {{"method", "none"}, {"reason", "it did not help"}};
    html = churn_html(summary_with_churn(churn));
    EXPECT_NE(html.find("Probabilities were not recalibrated: it did not help."),
              std::string::npos);
}

TEST(ReportPredict, TopUsersAreEscapedWithTheirReasons) {
    std::string html = churn_html(summary_with_churn(churn_result()));
    EXPECT_NE(html.find("<code>&lt;b&gt;x&lt;/b&gt;</code>"), std::string::npos);
    EXPECT_EQ(html.find("<b>x</b>"), std::string::npos);
    EXPECT_NE(html.find("<span class=\"raises\">raises</span> no activity for 41 days (usual gap "
                        "6)"),
              std::string::npos);
    EXPECT_NE(html.find("<span class=\"lowers\">lowers</span> 12 cart events"), std::string::npos);
    EXPECT_NE(html.find("<td class=\"num\">90.0%</td>"), std::string::npos);
    // A numeric user id is shown as its JSON text.
    EXPECT_NE(html.find("<code>17456.0</code>"), std::string::npos);
}

TEST(ReportPredict, LapsedUsersAreCountedBesideTheAtRiskList) {
    json churn = churn_result();
    churn["lapsed"] = {{"users", 1234}, {"rule", "no event in the last 90 days"}};
    std::string html = churn_html(summary_with_churn(churn));
    EXPECT_NE(html.find("Only users still active are listed: 1,234 users have no event in the "
                        "last 90 days."),
              std::string::npos)
        << html;
    churn["lapsed"]["users"] = 1;
    EXPECT_NE(churn_html(summary_with_churn(churn)).find("1 user has no event"), std::string::npos);
}

TEST(ReportPredict, WarningsAndTheLapsedBandAreShown) {
    json churn = churn_result();
    churn["selection"]["warnings"] = {"only 3 positives in validation and 4 in test: <care>"};
    churn["risk_bands"] = {{"high", 10}, {"medium", 20}, {"low", 50}, {"lapsed", 20}};
    std::string html = churn_html(summary_with_churn(churn));
    EXPECT_NE(html.find("<li><strong>Read with care:</strong> only 3 positives in validation and "
                        "4 in test: &lt;care&gt;.</li>"),
              std::string::npos)
        << html;
    // Shares over all four bands: 20 of 100.
    EXPECT_NE(html.find("<span class=\"band lapsed\">lapsed</span></td><td class=\"num\">20</td>"
                        "<td class=\"num\">20.0%</td>"),
              std::string::npos)
        << html;
}

TEST(ReportPredict, PartialLastDayIsSaidOnceForAllSeries) {
    json events = forecast_series();
    events["left_out"] = "the last day, 2011-12-09, looks partial: its last event is at 12:50";
    json users = events;
    json summary = {{"forecast", {{"events", events}, {"active_users", users}}}};
    report::Page page(report::build_predict_chart_specs(summary));
    std::string html = report::forecast_section(summary, page);
    EXPECT_EQ(count_of(html, "looks partial"), 1u);
    EXPECT_NE(html.find("The last day, 2011-12-09, looks partial: its last event is at 12:50, so "
                        "it is left out of every series."),
              std::string::npos)
        << html;
}

TEST(ReportPredict, PropensityUsesItsOwnWords) {
    json propensity = churn_result();
    propensity["task"] = "propensity";
    propensity["target_event"] = "purchase";
    propensity["horizon_days"] = 30;
    propensity["top_likely"] = propensity["top_at_risk"];
    propensity.erase("top_at_risk");
    json summary = {{"predict", {{"propensity", propensity}}}};
    report::Page page(report::build_predict_chart_specs(summary));
    std::string html = report::propensity_section(summary, page);
    EXPECT_NE(
        html.find("Users predicted to have a \u201cpurchase\u201d event in the next 30 days."),
        std::string::npos);
    EXPECT_NE(html.find("<b>320</b> caught buyers"), std::string::npos);
    EXPECT_NE(
        html.find("The model ranks buyers better than \u201cmost recently active first\u201d"),
        std::string::npos);
    EXPECT_NE(html.find("Most likely to buy now"), std::string::npos);
    // ROC, PR, calibration and importance.
    EXPECT_EQ(count_of(html, "<canvas"), 4u);
    EXPECT_NE(html.find("data-chart=\"predict/propensity/roc\""), std::string::npos);
}

TEST(ReportPredict, ForecastSentenceNamesTheMethodAndTheAnomalies) {
    json skipped = {{"skipped", "fewer than 70 days of data."}};
    json summary = {{"forecast", {{"value", skipped}, {"events", forecast_series()}}}};
    report::Page page(report::build_predict_chart_specs(summary));
    std::string html = report::forecast_section(summary, page);

    EXPECT_NE(html.find("<h2>Where the numbers are heading</h2>"), std::string::npos);
    // Mean of 40 and 50 ahead against the mean of 10, 20 and 30: 45 vs 20, +125%.
    EXPECT_NE(
        html.find("lstm was chosen: on the days before the held-out ones its error was at "
                  "least 5% below both baselines. On the 3 held-out days it was off by 1.5 a day "
                  "on average (sMAPE "
                  "7.0%). 1 held-out day fell outside its 80% interval (anomalies, marked "
                  "red): 2011-11-03. Over the next 2 days from 2011-11-04 it expects 45.0 "
                  "a day on average, against 20.0 a day over the held-out days (+125.0%)."),
        std::string::npos);
    EXPECT_NE(html.find("<tr class=\"best\"><td>lstm<span class=\"tag\">chosen</span></td><td "
                        "class=\"num\">4.3</td><td class=\"num\">1.5</td><td class=\"num\">7.0%"),
              std::string::npos);
    EXPECT_NE(html.find("This forecast was skipped: fewer than 70 days of data."),
              std::string::npos);
    // Events comes before value, whatever the summary's order.
    EXPECT_LT(html.find("Events per day"), html.find("Value per day"));
    EXPECT_EQ(count_of(html, "<canvas"), 1u);

    json none = json::object();
    EXPECT_EQ(report::forecast_section(none, page), "");
    json empty = {{"forecast", json::object()}};
    EXPECT_NE(report::forecast_section(empty, page).find("No forecasts in this summary."),
              std::string::npos);
}

TEST(ReportPredict, PageOrdersTheSectionsAndDrawsTheirCharts) {
    json summary = summary_with_churn(churn_result());
    summary["forecast"] = {{"events", forecast_series()}};
    std::string html = render_report(summary);
    std::size_t recommend = html.find("<h2>Recommendations</h2>");
    std::size_t churn = html.find("<h2>Who is about to leave</h2>");
    std::size_t forecast = html.find("<h2>Where the numbers are heading</h2>");
    std::size_t quality = html.find("<h2>Data quality</h2>");
    ASSERT_NE(churn, std::string::npos);
    EXPECT_LT(recommend, churn);
    EXPECT_LT(churn, forecast);
    EXPECT_LT(forecast, quality);
    EXPECT_NE(quality, std::string::npos);
    EXPECT_EQ(count_of(html, "<canvas "), 5u);
    EXPECT_NE(html.find("\"forecast/events\":{"), std::string::npos);
}

TEST(ReportPredict, MalformedPredictionsRenderWithoutThrowing) {
    for (const char* text : {
             R"json({"predict": {"churn": 5, "propensity": []}, "forecast": []})json",
             R"json({"predict": {"churn": {"selection": 1, "top_at_risk": {"a": 1}}}})json",
             R"json({"predict": {"churn": {"selection": {"candidates": [1, {"name": 2}],
                 "test": {"at_threshold": {"confusion": []}, "calibration": {"bins": [null]}}},
                 "risk_bands": [], "top_at_risk": [null, {"reasons": [3]}]}},
                 "forecast": {"events": {"chosen": 1, "methods": [null], "future": [],
                 "test_actual": {}, "anomalies": "x"}}})json",
         }) {
        json summary = json::parse(text);
        std::string html;
        ASSERT_NO_THROW(html = render_report(summary)) << text;
        // The page's text, before the data and Chart.js (whose source names NaN).
        std::string body = html.substr(0, html.find("<script type=\"application/json\""));
        EXPECT_EQ(body.find("could not be read"), std::string::npos) << text;
        EXPECT_EQ(body.find("NaN"), std::string::npos) << text;
        EXPECT_EQ(body.find("null"), std::string::npos) << text;
    }
}

}  // namespace
}  // namespace sextant
