#include "sextant/report/report_sections.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <utility>
#include <vector>

#include "sextant/report/report_format.h"

namespace sextant::report {

namespace {

using nlohmann::json;

std::string card(const std::string& label, const std::string& value, const std::string& note) {
    std::string html = "<div class=\"card\"><div class=\"label\">" + escape_html(label) +
                       "</div><div class=\"value\">" + escape_html(value) + "</div>";
    if (!note.empty()) {
        html += "<div class=\"note\">" + escape_html(note) + "</div>";
    }
    return html + "</div>";
}

std::string count_or_na(const json& object, std::string_view key) {
    auto n = number_at(object, key);
    return n ? format_count(*n) : "n/a";
}

// The reason the summary gives for a null figure (`<key>_reason`), or "".
std::string reason_for(const json& object, const std::string& key) {
    return text_at(object, key + "_reason").value_or("");
}

std::string first_day(const std::string& iso) {
    return iso.substr(0, std::min<size_t>(10, iso.size()));
}

std::string time_range_text(const json& summary) {
    const json* range = member(summary, "time_range");
    if (range == nullptr) {
        return "";
    }
    auto first = text_at(*range, "first");
    auto last = text_at(*range, "last");
    if (!first || !last) {
        return "";
    }
    std::string text = first_day(*first) + " \u2013 " + first_day(*last);
    if (auto days = number_at(*range, "days")) {
        text += " (" + count_noun(*days, "day", "days") + ")";
    }
    return text;
}

std::string dataset_name(const json& summary) {
    const json* inputs = array_at(summary, "inputs");
    if (inputs == nullptr || inputs->empty()) {
        return "";
    }
    std::string name =
        std::filesystem::path(text_at((*inputs)[0], "path").value_or("")).filename().string();
    if (inputs->size() > 1) {
        name += " and " +
                count_noun(static_cast<double>(inputs->size() - 1), "more file", "more files");
    }
    return name;
}

// The HTML background of a heatmap cell: a square root scale, so that the small shares of later
// weeks stay distinguishable next to week 0's (usually) 100%.
std::string heat_style(double share) {
    double intensity = std::sqrt(std::clamp(share, 0.0, 1.0));
    double alpha = 0.06 + 0.94 * intensity;
    char buf[96];
    std::snprintf(buf, sizeof buf, "background:rgba(37,99,235,%.3f);color:%s", alpha,
                  alpha > 0.55 ? "#fff" : "#1f2937");
    return buf;
}

std::string cohort_table(const json& cohorts) {
    std::size_t first = cohorts.size() > kMaxCohorts ? cohorts.size() - kMaxCohorts : 0;
    std::size_t n_weeks = 0;
    for (std::size_t i = first; i < cohorts.size(); ++i) {
        if (const json* active = array_at(cohorts[i], "active")) {
            n_weeks = std::max(n_weeks, active->size());
        }
    }
    bool weeks_cut = n_weeks > kMaxCohortWeeks;
    n_weeks = std::min(n_weeks, kMaxCohortWeeks);

    std::string html =
        "<div class=\"heat-wrap\"><table class=\"heat\"><thead><tr>"
        "<th>Cohort (week of)</th><th class=\"num\">Users</th>";
    for (std::size_t w = 0; w < n_weeks; ++w) {
        html += "<th class=\"num\">W" + std::to_string(w) + "</th>";
    }
    html += "</tr></thead><tbody>";
    for (std::size_t i = first; i < cohorts.size(); ++i) {
        const json& cohort = cohorts[i];
        std::string week = text_at(cohort, "week").value_or("?");
        auto users = number_at(cohort, "users");
        html += "<tr><th>" + escape_html(week) + "</th><td class=\"num\">" +
                (users ? format_count(*users) : "n/a") + "</td>";
        const json* active = array_at(cohort, "active");
        for (std::size_t w = 0; w < n_weeks; ++w) {
            auto share =
                active != nullptr && w < active->size() ? number(&(*active)[w]) : std::nullopt;
            if (!share) {
                html += "<td class=\"cell empty\"></td>";
                continue;
            }
            std::string pct = format_percent(*share, *share < 0.1 ? 1 : 0);
            html += "<td class=\"cell\" style=\"" + heat_style(*share) + "\" title=\"" +
                    escape_html(week + ", week " + std::to_string(w) + ": " + pct) + "\">" + pct +
                    "</td>";
        }
        html += "</tr>";
    }
    html += "</tbody></table></div>";

    std::vector<std::string> cuts;
    if (first > 0) {
        cuts.push_back("the most recent " + std::to_string(kMaxCohorts) + " of " +
                       format_count(static_cast<std::int64_t>(cohorts.size())) + " cohorts");
    }
    if (weeks_cut) {
        cuts.push_back("the first " + std::to_string(kMaxCohortWeeks) + " weeks of each");
    }
    if (!cuts.empty()) {
        html += "<p class=\"rule\">Showing " + cuts[0] + (cuts.size() > 1 ? ", " + cuts[1] : "") +
                "; summary.json holds them all.</p>";
    }
    return html;
}

std::string day_retention_facts(const json& retention) {
    const json* days = member(retention, "day");
    if (days == nullptr || !days->is_object()) {
        return missing_note("No day-N retention in this summary.");
    }
    std::string html = "<ul class=\"facts\">";
    for (const char* key : {"1", "7", "30"}) {
        const json* entry = member(*days, key);
        if (entry == nullptr) {
            continue;
        }
        html += "<li>Day " + std::string(key) + ": ";
        if (auto rate = number_at(*entry, "rate")) {
            html += "<b>" + format_percent(*rate) + "</b>";
            auto eligible = number_at(*entry, "users_eligible");
            auto retained = number_at(*entry, "users_retained");
            if (eligible && retained) {
                html += " (" + format_count(*retained) + " of " +
                        count_noun(*eligible, "user", "users") + ")";
            }
        } else {
            std::string why = reason_for(*entry, "rate");
            html += "<b>n/a</b>" + (why.empty() ? "" : " (" + escape_html(why) + ")");
        }
        html += "</li>";
    }
    return html + "</ul>";
}

std::string quartile_facts(const json& per_user) {
    std::string html = "<ul class=\"facts\">";
    const std::pair<const char*, const char*> stats[] = {
        {"min", "Min"}, {"q1", "Q1"}, {"median", "Median"}, {"q3", "Q3"}, {"max", "Max"}};
    for (const auto& [key, label] : stats) {
        auto v = number_at(per_user, key);
        html +=
            "<li>" + std::string(label) + " <b>" + (v ? format_number(*v, 2) : "n/a") + "</b></li>";
    }
    if (auto mean = number_at(per_user, "mean")) {
        html += "<li>Mean <b>" + format_decimal(*mean, 1) + "</b></li>";
    }
    return html + "</ul>";
}

std::string event_names_table(const json& names) {
    std::vector<std::pair<std::string, double>> rows;
    for (const json& entry : names) {
        rows.emplace_back(text_at(entry, "name").value_or("?"),
                          number_at(entry, "events").value_or(0));
    }
    std::stable_sort(rows.begin(), rows.end(),
                     [](const auto& a, const auto& b) { return a.second > b.second; });
    double total = 0;
    for (const auto& row : rows) {
        total += row.second;
    }
    double top = rows.empty() ? 0 : rows[0].second;

    std::string html =
        "<table><thead><tr><th>Event name</th><th class=\"num\">Events</th>"
        "<th class=\"num\">Share</th></tr></thead><tbody>";
    for (std::size_t i = 0; i < rows.size() && i < kMaxEventNames; ++i) {
        const auto& [name, n] = rows[i];
        char width[32];
        std::snprintf(width, sizeof width, "%.1f%%", top > 0 ? 100.0 * n / top : 0.0);
        html += "<tr><td class=\"bar\"><i style=\"width:" + std::string(width) + "\"></i><span>" +
                escape_html(name) + "</span></td><td class=\"num\">" + format_count(n) +
                "</td><td class=\"num\">" + (total > 0 ? format_percent(n / total) : "n/a") +
                "</td></tr>";
    }
    if (rows.size() > kMaxEventNames) {
        double rest = 0;
        for (std::size_t i = kMaxEventNames; i < rows.size(); ++i) {
            rest += rows[i].second;
        }
        html += "<tr><td>" + format_count(static_cast<double>(rows.size() - kMaxEventNames)) +
                " other names</td><td class=\"num\">" + format_count(rest) +
                "</td><td class=\"num\">" + (total > 0 ? format_percent(rest / total) : "n/a") +
                "</td></tr>";
    }
    return html + "</tbody></table>";
}

std::string inputs_table(const json& inputs) {
    std::string html =
        "<table><thead><tr><th>File</th><th>Format</th><th>Layout</th><th class=\"num\">Rows</th>"
        "<th class=\"num\">Stored</th><th class=\"num\">Skipped</th>"
        "<th class=\"num\">Exact duplicates</th></tr></thead><tbody>";
    for (const json& input : inputs) {
        std::string layout = text_at(input, "layout").value_or("");
        if (auto unit = text_at(input, "epoch_unit"); unit && !unit->empty()) {
            layout += " (epoch " + *unit + ")";
        }
        const json* already = member(input, "already_ingested");
        std::string path = text_at(input, "path").value_or("?");
        html += "<tr><td><code>" + escape_html(path) + "</code>" +
                (already != nullptr && already->is_boolean() && already->get<bool>()
                     ? " <span class=\"rule\">(already in the store)</span>"
                     : "") +
                "</td><td>" + escape_html(text_at(input, "format").value_or("")) + "</td><td>" +
                escape_html(layout) + "</td><td class=\"num\">" + count_or_na(input, "rows") +
                "</td><td class=\"num\">" + count_or_na(input, "stored") +
                "</td><td class=\"num\">" + count_or_na(input, "rows_skipped") +
                "</td><td class=\"num\">" + count_or_na(input, "exact_duplicates") + "</td></tr>";
    }
    return html + "</tbody></table>";
}

}  // namespace

std::string Page::canvas(const std::string& key, const std::string& label, bool short_box) {
    if (!has_chart(key)) {
        return missing_note("No data for this chart in the summary.");
    }
    std::string id = next_canvas_id();
    ++n_canvases_;
    return "<div class=\"chart" + std::string(short_box ? " short" : "") + "\"><canvas id=\"" + id +
           "\" data-chart=\"" + escape_html(key) + "\" role=\"img\" aria-label=\"" +
           escape_html(label) + "\"></canvas></div>";
}

std::string missing_note(const std::string& text) {
    return "<p class=\"missing\">" + escape_html(text) + "</p>";
}

std::string count_noun(double n, const std::string& singular, const std::string& plural) {
    return format_count(n) + " " + (std::llround(n) == 1 ? singular : plural);
}

std::string describe_skip(const std::string& reason, double n_rows) {
    bool one = std::llround(n_rows) == 1;
    std::string rows = count_noun(n_rows, "row", "rows");
    std::string tail = one ? " and was skipped" : " and were skipped";
    if (reason.rfind("missing ", 0) == 0) {
        return rows + " had no " + reason.substr(8) + tail;
    }
    if (reason.rfind("bad ", 0) == 0) {
        return rows + " had an unreadable " + reason.substr(4) + tail;
    }
    return rows + (one ? " was" : " were") + " skipped: " + reason;
}

std::string header_section(const json& summary) {
    std::string name = dataset_name(summary);
    std::string html = "<header class=\"top\"><div class=\"inner\"><h1>Sextant report" +
                       (name.empty() ? "" : ": " + escape_html(name)) + "</h1><div class=\"sub\">";
    if (std::string range = time_range_text(summary); !range.empty()) {
        html += "<span>" + escape_html(range) + "</span>";
    }
    if (auto zone = text_at(summary, "time_zone")) {
        html += "<span>days in " + escape_html(*zone) + "</span>";
    }
    if (auto version = text_at(summary, "sextant_version")) {
        html += "<span>sextant " + escape_html(*version) + "</span>";
    }
    html += "</div>";

    if (const json* inputs = array_at(summary, "inputs"); inputs != nullptr && !inputs->empty()) {
        html += "<ul class=\"inputs\">";
        for (const json& input : *inputs) {
            std::string details = text_at(input, "format").value_or("");
            if (auto layout = text_at(input, "layout"); layout && !layout->empty()) {
                details += (details.empty() ? "" : ", ") + *layout;
            }
            if (auto rows = number_at(input, "rows")) {
                details += (details.empty() ? "" : ", ") + count_noun(*rows, "row", "rows");
            }
            html += "<li><code>" + escape_html(text_at(input, "path").value_or("?")) + "</code>" +
                    (details.empty() ? "" : " \u2014 " + escape_html(details)) + "</li>";
        }
        html += "</ul>";
    }
    return html + "</div></header>";
}

std::string cards_section(const json& summary) {
    std::string html = "<div class=\"cards\">";
    html += card("Events", count_or_na(summary, "events"), "");
    html += card("Users", count_or_na(summary, "users"), "");
    html += card("Items", count_or_na(summary, "items"), "");

    const json* range = member(summary, "time_range");
    auto first = range != nullptr ? text_at(*range, "first") : std::nullopt;
    auto last = range != nullptr ? text_at(*range, "last") : std::nullopt;
    auto days = range != nullptr ? number_at(*range, "days") : std::nullopt;
    html += card("Time range", days ? count_noun(*days, "day", "days") : "n/a",
                 first && last ? first_day(*first) + " \u2013 " + first_day(*last) : "");

    const json* active = member(summary, "active_users");
    auto stickiness = active != nullptr ? number_at(*active, "stickiness") : std::nullopt;
    auto dau = active != nullptr ? number_at(*active, "dau_mean") : std::nullopt;
    html += card(
        "Stickiness", stickiness ? format_percent(*stickiness) : "n/a",
        dau ? "mean DAU " + format_count(*dau) : (active ? reason_for(*active, "stickiness") : ""));

    const json* retention = member(summary, "retention");
    const json* day_map = retention != nullptr ? member(*retention, "day") : nullptr;
    const json* day7 = day_map != nullptr ? member(*day_map, "7") : nullptr;
    auto rate = day7 != nullptr ? number_at(*day7, "rate") : std::nullopt;
    auto eligible = day7 != nullptr ? number_at(*day7, "users_eligible") : std::nullopt;
    html += card("Day-7 retention", rate ? format_percent(*rate) : "n/a",
                 rate && eligible ? "of " + count_noun(*eligible, "eligible user", "eligible users")
                                  : (day7 ? reason_for(*day7, "rate") : ""));

    const json* recommend = member(summary, "recommend");
    auto best = recommend != nullptr ? text_at(*recommend, "best") : std::nullopt;
    const json* models = recommend != nullptr ? member(*recommend, "models") : nullptr;
    const json* best_model = best && models != nullptr ? member(*models, *best) : nullptr;
    auto hr = best_model != nullptr ? number_at(*best_model, "hr@10") : std::nullopt;
    html += card("Best HR@10", hr ? format_percent(*hr) : "n/a", hr ? *best : "");
    return html + "</div>";
}

std::string activity_section(const json& summary, Page& page) {
    std::string html = "<section class=\"panel\" id=\"activity\"><h2>Active users</h2>";
    const json* active = member(summary, "active_users");
    if (active == nullptr || !active->is_object()) {
        return html + missing_note("No active-user figures in this summary.") + "</section>";
    }
    html +=
        "<p class=\"lede\">Distinct users with at least one event in each day, week or month."
        "</p><h3>Daily</h3>" +
        page.canvas("active_daily", "Daily active users with a 7-day moving average");

    bool weekly = page.has_chart("active_weekly");
    bool monthly = page.has_chart("active_monthly");
    html +=
        std::string("<h3>") + (weekly && monthly ? "Weekly and monthly" : "By period") + "</h3>";
    if (weekly && monthly) {
        html += "<div class=\"toggle\" role=\"group\" data-target=\"" + page.next_canvas_id() +
                "\"><button type=\"button\" data-chart=\"active_weekly\" aria-pressed=\"true\">"
                "Weekly</button><button type=\"button\" data-chart=\"active_monthly\" "
                "aria-pressed=\"false\">Monthly</button></div>";
    }
    html += page.canvas(weekly ? "active_weekly" : "active_monthly",
                        "Active users by week or month", true);

    html += "<ul class=\"facts\">";
    if (auto dau = number_at(*active, "dau_mean")) {
        html += "<li>Mean daily active users <b>" + format_count(*dau) + "</b></li>";
    }
    if (auto stickiness = number_at(*active, "stickiness")) {
        html += "<li>Stickiness <b>" + format_percent(*stickiness) + "</b></li>";
    } else if (std::string why = reason_for(*active, "stickiness"); !why.empty()) {
        html += "<li>Stickiness <b>n/a</b> (" + escape_html(why) + ")</li>";
    }
    html += "</ul>";
    if (auto rule = text_at(*active, "stickiness_rule")) {
        html += "<p class=\"rule\">" + escape_html(*rule) + "</p>";
    }
    return html + "</section>";
}

std::string retention_section(const json& summary) {
    std::string html = "<section class=\"panel\" id=\"retention\"><h2>Retention</h2>";
    const json* retention = member(summary, "retention");
    if (retention == nullptr || !retention->is_object()) {
        return html + missing_note("No retention figures in this summary.") + "</section>";
    }
    html +=
        "<p class=\"lede\">Each row is the users whose first event fell in that week; each "
        "cell is the share of them active n weeks later.</p>";
    const json* cohorts = array_at(*retention, "cohorts");
    html += cohorts != nullptr && !cohorts->empty()
                ? cohort_table(*cohorts)
                : missing_note("No weekly cohorts in this summary.");
    html += "<h3>Day-N retention</h3>" + day_retention_facts(*retention);
    if (auto rule = text_at(*retention, "rule")) {
        html += "<p class=\"rule\">" + escape_html(*rule) + "</p>";
    }
    return html + "</section>";
}

std::string distribution_section(const json& summary, Page& page) {
    std::string html =
        "<section class=\"panel\" id=\"distribution\"><div class=\"two\"><div>"
        "<h2>Events per user</h2>";
    const json* per_user = member(summary, "events_per_user");
    if (per_user == nullptr || !per_user->is_object()) {
        html += missing_note("No events-per-user figures in this summary.");
    } else {
        html += "<p class=\"lede\">How many events each user has, in bins.</p>" +
                page.canvas("events_per_user", "Histogram of events per user", true) +
                quartile_facts(*per_user);
    }
    html += "</div><div><h2>Event names</h2>";
    const json* names = array_at(summary, "event_names");
    html += names != nullptr && !names->empty()
                ? "<p class=\"lede\">Events by name.</p>" + event_names_table(*names)
                : missing_note("No event names in this summary.");
    return html + "</div></div></section>";
}

std::string data_quality_section(const json& summary) {
    std::string html = "<section class=\"panel\" id=\"data-quality\"><h2>Data quality</h2>";
    // Reasons by count, the most common first.
    std::vector<std::pair<std::string, double>> reasons;
    if (const json* map = member(summary, "skip_reasons"); map != nullptr && map->is_object()) {
        for (const auto& [reason, n] : map->items()) {
            if (auto count = number(&n); count && *count > 0) {
                reasons.emplace_back(reason, *count);
            }
        }
    }
    std::stable_sort(reasons.begin(), reasons.end(),
                     [](const auto& a, const auto& b) { return a.second > b.second; });

    std::string items;
    auto skipped = number_at(summary, "rows_skipped");
    if (skipped && *skipped == 0 && reasons.empty()) {
        items += "<li>No rows were skipped.</li>";
    } else if (skipped && (reasons.size() != 1 || reasons[0].second != *skipped)) {
        items += "<li>In all, " + escape_html(count_noun(*skipped, "row was", "rows were")) +
                 " skipped.</li>";
    }
    for (const auto& [reason, n] : reasons) {
        items += "<li>" + escape_html(describe_skip(reason, n)) + ".</li>";
    }
    if (auto duplicates = number_at(summary, "exact_duplicates")) {
        items +=
            "<li>" +
            escape_html(*duplicates == 0 ? std::string("No row repeated an earlier row of its file")
                                         : count_noun(*duplicates, "row", "rows") +
                                               " repeated an earlier row of the same file exactly "
                                               "(kept, and counted here)") +
            ".</li>";
    }
    html += items.empty() ? missing_note("No data-quality figures in this summary.")
                          : "<ul class=\"dq\">" + items + "</ul>";
    if (const json* inputs = array_at(summary, "inputs"); inputs != nullptr && !inputs->empty()) {
        html += "<h3>Inputs</h3>" + inputs_table(*inputs);
    }
    return html + "</section>";
}

}  // namespace sextant::report
