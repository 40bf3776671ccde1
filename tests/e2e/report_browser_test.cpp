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
        "recommend": {"models": {"n": {"learning_curve": [null, {"epoch": "e"}]}}}
    })");
    PageCheck check = check_in_browser(summary, "malformed");
    ASSERT_EQ(check.rc, 0) << check.log;
    EXPECT_EQ(check.status, "ok") << check.log;
    EXPECT_EQ(check.charts_drawn, check.n_canvases);
}

}  // namespace
}  // namespace sextant
