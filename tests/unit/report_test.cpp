#include <gtest/gtest.h>

#include <filesystem>
#include <regex>
#include <string>

#include "sextant/core/error.h"
#include "sextant/report/html_report.h"
#include "sextant/report/report_charts.h"
#include "sextant/report/report_format.h"
#include "sextant/report/report_sections.h"
#include "test_util.h"

namespace sextant {
namespace {

using nlohmann::json;

json sample_summary() {
    std::string path = std::string(SEXTANT_SOURCE_DIR) + "/tests/fixtures/summary_sample.json";
    return json::parse(testing::read_file(path));
}

using testing::count_of;

// The text of the <script> element with the given id.
std::string script_block(const std::string& html, const std::string& id) {
    std::string open = "id=\"" + id + "\">";
    std::size_t begin = html.find(open);
    if (begin == std::string::npos) {
        return "";
    }
    begin += open.size();
    return html.substr(begin, html.find("</script>", begin) - begin);
}

TEST(ReportFormat, CountsHaveThousandsSeparators) {
    EXPECT_EQ(report::format_count(std::int64_t{0}), "0");
    EXPECT_EQ(report::format_count(std::int64_t{999}), "999");
    EXPECT_EQ(report::format_count(std::int64_t{1000}), "1,000");
    EXPECT_EQ(report::format_count(std::int64_t{135080}), "135,080");
    EXPECT_EQ(report::format_count(std::int64_t{1000209}), "1,000,209");
    EXPECT_EQ(report::format_count(std::int64_t{-1204}), "-1,204");
    EXPECT_EQ(report::format_count(INT64_MIN), "-9,223,372,036,854,775,808");
    EXPECT_EQ(report::format_count(1234.6), "1,235");
    EXPECT_EQ(report::format_count(std::nan("")), "n/a");
}

TEST(ReportFormat, RatesArePercentages) {
    EXPECT_EQ(report::format_percent(0.4231), "42.3%");
    EXPECT_EQ(report::format_percent(1.0), "100.0%");
    EXPECT_EQ(report::format_percent(0.086, 0), "9%");
    EXPECT_EQ(report::format_percent(12.5), "1,250.0%");
    EXPECT_EQ(report::format_percent(INFINITY), "n/a");
}

TEST(ReportFormat, DecimalsAndCompactNumbers) {
    EXPECT_EQ(report::format_decimal(1234.5678, 2), "1,234.57");
    EXPECT_EQ(report::format_decimal(0.08912, 4), "0.0891");
    EXPECT_EQ(report::format_decimal(-0.001, 1), "0.0");
    EXPECT_EQ(report::format_decimal(-2.25, 1), "-2.2");  // printf rounds half to even here
    EXPECT_EQ(report::format_number(2.5), "2.5");
    EXPECT_EQ(report::format_number(14.0), "14");
    EXPECT_EQ(report::format_number(118.25), "118.25");
    EXPECT_EQ(report::format_number(1234567.0), "1,234,567");
}

TEST(ReportFormat, EscapesHtmlAndScripts) {
    EXPECT_EQ(report::escape_html("a<b & \"c\" 'd'>"),
              "a&lt;b &amp; &quot;c&quot; &#39;d&#39;&gt;");
    EXPECT_EQ(report::escape_json_for_script(R"({"x":"</script>&"})"),
              R"({"x":"\u003c/script\u003e\u0026"})");
    EXPECT_EQ(report::escape_script_source("a</SCRIPT>b</script"), "a<\\/SCRIPT>b<\\/script");
    EXPECT_EQ(report::escape_script_source("x < y && y > z"), "x < y && y > z");
}

TEST(ReportFormat, SkipReasonsReadAsSentences) {
    EXPECT_EQ(report::describe_skip("missing user", 135080),
              "135,080 rows had no user and were skipped");
    EXPECT_EQ(report::describe_skip("bad time", 1), "1 row had an unreadable time and was skipped");
    EXPECT_EQ(report::describe_skip("too long", 3), "3 rows were skipped: too long");
}

TEST(ReportFormat, ParsesCivilDays) {
    EXPECT_EQ(report::parse_day("1970-01-02"), 1);
    EXPECT_EQ(report::parse_day("2000-03-01"), 11017);
    EXPECT_FALSE(report::parse_day("2000-13-01"));
    EXPECT_FALSE(report::parse_day("2000-3-01"));
    EXPECT_FALSE(report::parse_day("20x0-03-01"));
}

TEST(ReportCharts, MovingAverageIsTrailingAndWaitsForAFullWindow) {
    std::vector<std::optional<double>> values;
    for (int i = 1; i <= 10; ++i) {
        values.push_back(i);
    }
    auto avg = report::moving_average(values, 7);
    ASSERT_EQ(avg.size(), 10u);
    for (int i = 0; i < 6; ++i) {
        EXPECT_FALSE(avg[i]) << i;
    }
    EXPECT_DOUBLE_EQ(*avg[6], 4.0);  // (1+...+7)/7
    EXPECT_DOUBLE_EQ(*avg[9], 7.0);  // (4+...+10)/7

    // A missing value is left out of its windows' means.
    values[8] = std::nullopt;
    avg = report::moving_average(values, 3);
    EXPECT_DOUBLE_EQ(*avg[8], 7.5);  // (7+8)/2
    EXPECT_DOUBLE_EQ(*avg[9], 9.0);  // (8+10)/2
}

TEST(ReportCharts, DailySeriesFillsMissingDaysWithZero) {
    json daily = json::parse(R"([{"day":"2024-02-28","users":5},{"day":"2024-03-02","users":7}])");
    report::DailySeries s = report::daily_series(daily);
    ASSERT_EQ(s.days.size(), 4u);  // 2024 is a leap year: 28, 29, 1, 2
    EXPECT_EQ(s.days[1], "2024-02-29");
    EXPECT_EQ(s.days[3], "2024-03-02");
    EXPECT_EQ(*s.users[0], 5);
    EXPECT_EQ(*s.users[1], 0);
    EXPECT_EQ(*s.users[2], 0);
    EXPECT_EQ(*s.users[3], 7);

    // Days that do not parse are kept as given rather than guessed at.
    json odd = json::parse(R"([{"day":"day one","users":5},{"day":"2024-03-02","users":"x"}])");
    s = report::daily_series(odd);
    ASSERT_EQ(s.days.size(), 2u);
    EXPECT_EQ(s.days[0], "day one");
    EXPECT_FALSE(s.users[1]);
}

TEST(ReportCharts, SpecsForTheSampleHaveNoAnimationAndNullGaps) {
    json summary = sample_summary();
    summary["recommend"]["models"]["sasrec"]["learning_curve"][2]["train_loss"] = nullptr;
    summary["recommend"]["models"]["sasrec"]["learning_curve"][3]["valid_ndcg@10"] = "oops";
    json specs = report::build_chart_specs(summary);

    for (const char* key : {"active_daily", "active_weekly", "active_monthly", "events_per_user",
                            "learning_curve/sasrec"}) {
        ASSERT_TRUE(specs.contains(key)) << key;
        EXPECT_EQ(specs[key]["options"]["animation"], false) << key;
    }
    EXPECT_FALSE(specs.contains("learning_curve/popular"));

    const json& daily = specs["active_daily"]["data"];
    EXPECT_EQ(daily["labels"].size(), 60u);
    EXPECT_TRUE(daily["datasets"][1]["data"][5].is_null());
    double first_week = 0;
    for (int i = 0; i < 7; ++i) {
        first_week += summary["active_users"]["daily"][i]["users"].get<double>();
    }
    EXPECT_NEAR(daily["datasets"][1]["data"][6].get<double>(), first_week / 7, 1e-9);

    const json& curve = specs["learning_curve/sasrec"]["data"]["datasets"];
    EXPECT_TRUE(curve[0]["data"][2].is_null());
    EXPECT_TRUE(curve[1]["data"][3].is_null());
    EXPECT_EQ(specs["events_per_user"]["data"]["labels"][0], "1");
    EXPECT_EQ(specs["events_per_user"]["data"]["labels"][2], "3\u20134");
}

TEST(Report, SampleShowsTheHeadlineFigures) {
    std::string html = render_report(sample_summary());
    EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
    EXPECT_NE(html.find("events-2024q1.csv.gz"), std::string::npos);
    EXPECT_NE(html.find(">886,297<"), std::string::npos);  // events
    EXPECT_NE(html.find(">8,231<"), std::string::npos);    // users
    EXPECT_NE(html.find(">16.0%<"), std::string::npos);    // day-7: 1182 / 7390 = 15.99%
    EXPECT_NE(html.find(">16.2%<"), std::string::npos);    // best HR@10
    EXPECT_NE(html.find("135,080 rows had no user and were skipped"), std::string::npos);
    EXPECT_NE(html.find("214 rows repeated an earlier row"), std::string::npos);
    EXPECT_NE(html.find("<tr class=\"best\"><td>sasrec"), std::string::npos);
    EXPECT_NE(html.find("Stopped: validation NDCG@10 did not improve"), std::string::npos);
    EXPECT_NE(html.find("7,412 users evaluated"), std::string::npos);
    // Both protocols, each named, with every cut-off, coverage and popularity; a figure the
    // summary lacks (popular has no sampled figures here) reads n/a.
    EXPECT_NE(html.find("Full ranking: every item is a candidate"), std::string::npos);
    EXPECT_NE(html.find("1 held-out item + 100 sampled"), std::string::npos);
    for (const char* cell : {">4.1%<", ">10.2%<", ">0.0712<", ">0.187<", ">74.5%<", ">0.4867<"}) {
        EXPECT_NE(html.find(cell), std::string::npos) << cell;
    }
    EXPECT_EQ(html.find("Synthetic data"), std::string::npos);
    // Daily, weekly/monthly (one canvas with a toggle), histogram, one learning curve.
    EXPECT_EQ(count_of(html, "<canvas "), 4u);
    EXPECT_EQ(count_of(html, "class=\"missing\""), 0u);
    // Nine cohorts, none cut.
    EXPECT_EQ(count_of(html, "<tr><th>2024-"), 9u);
    EXPECT_EQ(html.find("most recent"), std::string::npos);
}

TEST(Report, SyntheticBanner) {
    json summary = sample_summary();
    summary["synthetic"] = true;
    EXPECT_NE(render_report(summary).find("Synthetic data"), std::string::npos);
}

TEST(Report, ScriptInDataCannotCloseTheDataElement) {
    json summary = sample_summary();
    const std::string evil = "</script><script>alert(1)</script><!--";
    summary["event_names"][0]["name"] = evil;
    std::string html = render_report(summary);

    // The page's own elements: error trap, two data blocks, Chart.js, the main script.
    EXPECT_EQ(count_of(html, "</script>"), 5u);
    EXPECT_EQ(html.find("<script>alert"), std::string::npos);
    EXPECT_EQ(html.find("<!--"), std::string::npos);

    // The data block still parses back to the summary, evil name included.
    json back = json::parse(script_block(html, "sextant-data"));
    EXPECT_EQ(back, summary);
    EXPECT_EQ(back["event_names"][0]["name"], evil);
    // In the event-name table it is shown as text.
    EXPECT_NE(html.find("&lt;/script&gt;&lt;script&gt;alert(1)"), std::string::npos);
}

TEST(Report, NoExternalUrls) {
    std::string html = render_report(sample_summary());
    std::regex external(R"((src|href)\s*=\s*["']?\s*(https?:)?//)", std::regex::icase);
    EXPECT_FALSE(std::regex_search(html, external));
    EXPECT_EQ(html.find("<link"), std::string::npos);
    EXPECT_EQ(html.find("<script src"), std::string::npos);
    EXPECT_EQ(html.find("@import"), std::string::npos);
    EXPECT_EQ(html.find("url("), std::string::npos);
    // Chart.js itself is inlined.
    EXPECT_NE(html.find("Chart.js v4"), std::string::npos);
}

TEST(Report, MissingSectionsProduceNotes) {
    std::string html = render_report(json::object());
    EXPECT_NE(html.find("No active-user figures in this summary."), std::string::npos);
    EXPECT_NE(html.find("No retention figures in this summary."), std::string::npos);
    EXPECT_NE(html.find("No events-per-user figures in this summary."), std::string::npos);
    EXPECT_NE(html.find("No event names in this summary."), std::string::npos);
    EXPECT_NE(html.find("No recommendation results in this summary."), std::string::npos);
    EXPECT_NE(html.find("No data-quality figures in this summary."), std::string::npos);
    EXPECT_EQ(count_of(html, "<canvas "), 0u);

    // Only the recommendation part missing: the rest is still drawn.
    json summary = sample_summary();
    summary.erase("recommend");
    html = render_report(summary);
    EXPECT_NE(html.find("No recommendation results in this summary."), std::string::npos);
    EXPECT_EQ(count_of(html, "<canvas "), 3u);
}

TEST(Report, NullFiguresShowTheirReason) {
    json summary = sample_summary();
    summary["retention"]["day"]["30"] = {{"users_eligible", 0},
                                         {"users_retained", 0},
                                         {"rate", nullptr},
                                         {"rate_reason", "no user's day 30 falls inside the data"}};
    summary["active_users"]["stickiness"] = nullptr;
    summary["active_users"]["stickiness_reason"] = "no month with active users";
    std::string html = render_report(summary);
    EXPECT_NE(html.find("Day 30: <b>n/a</b> (no user&#39;s day 30 falls inside the data)"),
              std::string::npos);
    EXPECT_NE(html.find("Stickiness <b>n/a</b> (no month with active users)"), std::string::npos);
}

TEST(Report, WrongTypesDoNotThrow) {
    json summary = json::parse(R"({
        "events": "lots", "users": null, "synthetic": "yes", "inputs": 3,
        "time_range": [1, 2], "event_names": [1, {"name": 5}],
        "events_per_user": {"histogram": [{"from": "a"}, 7]},
        "active_users": {"daily": [1, {"day": 3}], "weekly": {}, "monthly": [null]},
        "retention": {"cohorts": [{"week": 1, "active": "x"}, 4], "day": [1]},
        "recommend": {"models": {"m": 1, "n": {"learning_curve": [null, {"epoch": "e"}]}},
                      "best": 2},
        "skip_reasons": {"x": "y"}, "rows_skipped": -1
    })");
    std::string html;
    ASSERT_NO_THROW(html = render_report(summary));
    EXPECT_NE(html.find("</html>"), std::string::npos);
    ASSERT_NO_THROW(render_report(json("not an object")));
    ASSERT_NO_THROW(render_report(json::array()));
}

TEST(Report, InvalidUtf8IsReplacedNotThrown) {
    json summary = sample_summary();
    summary["event_names"][0]["name"] = std::string("caf\xe9");
    EXPECT_NO_THROW(render_report(summary));
}

TEST(Report, ManyCohortsAreCutToTheMostRecent) {
    json summary = sample_summary();
    json cohorts = json::array();
    for (int week = 0; week < 30; ++week) {
        cohorts.push_back({{"week", "2023-w" + std::to_string(week)},
                           {"users", 100},
                           {"active", json::array({1.0, 0.5})}});
    }
    summary["retention"]["cohorts"] = cohorts;
    std::string html = render_report(summary);
    EXPECT_EQ(count_of(html, "<tr><th>2023-w"), report::kMaxCohorts);
    EXPECT_EQ(html.find("<tr><th>2023-w3<"), std::string::npos);  // the oldest ones are cut
    EXPECT_NE(html.find("<tr><th>2023-w4<"), std::string::npos);
    EXPECT_NE(html.find("Showing the most recent 26 of 30 cohorts"), std::string::npos);
}

TEST(Report, WriteReportRenamesIntoPlace) {
    std::string dir = testing::make_temp_dir("report");
    std::string path = dir + "/report.html";
    json summary = sample_summary();
    write_report(summary, path);
    EXPECT_EQ(testing::read_file(path), render_report(summary));
    std::size_t n_files = 0;
    for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir)) {
        ++n_files;
    }
    EXPECT_EQ(n_files, 1u);  // no temporary file left behind
    std::filesystem::remove_all(dir);
}

TEST(Report, WriteReportToAMissingFolderIsAnIoError) {
    std::string path = "/nonexistent-sextant-folder/report.html";
    try {
        write_report(json::object(), path);
        FAIL() << "expected an error";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::kIo);
        EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
    }
}

}  // namespace
}  // namespace sextant
