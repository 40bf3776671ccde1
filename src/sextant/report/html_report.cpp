#include "sextant/report/html_report.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <system_error>
#include <utility>

#include <unistd.h>

#include "sextant/core/error.h"
#include "sextant/report/report_assets.h"
#include "sextant/report/report_charts.h"
#include "sextant/report/report_format.h"
#include "sextant/report/report_sections.h"

namespace sextant {

namespace {

using nlohmann::json;

// JSON text for a <script> data block. Invalid UTF-8 in a string (a user's file may hold it) is
// replaced rather than thrown on, since the report must render whatever the summary holds.
std::string script_json(const json& value) {
    return report::escape_json_for_script(
        value.dump(-1, ' ', false, json::error_handler_t::replace));
}

// Runs one section renderer. The renderers read through tolerant accessors and should not throw;
// this is the backstop for a JSON access they missed, so that a summary shaped unlike
// docs/summary.md costs one section (shown as a note), not the page.
template <typename Render>
std::string guarded(const char* title, Render render) {
    try {
        return render();
    } catch (const nlohmann::json::exception& e) {
        return "<section class=\"panel\"><h2>" + report::escape_html(title) + "</h2>" +
               report::missing_note(std::string("This section could not be read from the "
                                                "summary: ") +
                                    e.what()) +
               "</section>";
    }
}

}  // namespace

std::string render_report(const json& summary) {
    json chart_specs = report::build_chart_specs(summary);
    chart_specs.update(report::build_predict_chart_specs(summary));
    report::Page page(std::move(chart_specs));

    std::string body;
    body += guarded("Header", [&] { return report::header_section(summary); });
    body += "<main>";
    const json* synthetic = report::member(summary, "synthetic");
    if (synthetic != nullptr && synthetic->is_boolean() && synthetic->get<bool>()) {
        body +=
            "<div class=\"banner\" role=\"note\">Synthetic data: this input came from "
            "<code>sextant simulate</code>, not from a real product.</div>";
    }
    body += guarded("Headline figures", [&] { return report::cards_section(summary); });
    body += guarded("Active users", [&] { return report::activity_section(summary, page); });
    body += guarded("Retention", [&] { return report::retention_section(summary); });
    body += guarded("Events per user", [&] { return report::distribution_section(summary, page); });
    body += guarded("Recommendations", [&] { return report::recommend_section(summary, page); });
    body += guarded("Who is about to leave", [&] { return report::churn_section(summary, page); });
    body +=
        guarded("Who is about to buy", [&] { return report::propensity_section(summary, page); });
    body += guarded("Where the numbers are heading",
                    [&] { return report::forecast_section(summary, page); });
    body += guarded("Data quality", [&] { return report::data_quality_section(summary); });
    body +=
        "<footer>Made by Sextant from summary.json; every figure here is also in that file."
        "</footer></main>";

    std::string title = "Sextant report";
    std::string html;
    html.reserve(report::chart_js_source().size() + body.size() + 65536);
    html +=
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>" +
        title + "</title><style>";
    html += report::report_css();
    html += "</style></head><body>\n<script>";
    html += report::report_error_trap_js();
    html += "</script>\n" + body + "\n";
    html += "<script type=\"application/json\" id=\"sextant-data\">" + script_json(summary) +
            "</script>\n";
    html += "<script type=\"application/json\" id=\"sextant-charts\">" +
            script_json(page.chart_specs()) + "</script>\n<script>";
    html += report::escape_script_source(report::chart_js_source());
    html += "</script>\n<script>";
    html += report::report_main_js();
    html += "</script>\n</body></html>\n";
    return html;
}

void write_report(const json& summary, const std::string& path) {
    std::string html = render_report(summary);
    std::string temporary = path + ".tmp-" + std::to_string(::getpid());
    {
        std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
        if (!out) {
            throw_io("cannot write report " + path + ": " + std::strerror(errno));
        }
        out.write(html.data(), static_cast<std::streamsize>(html.size()));
        out.close();
        if (!out) {
            std::error_code ignored;
            std::filesystem::remove(temporary, ignored);
            throw_io("cannot write report " + path + ": write failed");
        }
    }
    std::error_code ec;
    std::filesystem::rename(temporary, path, ec);
    if (ec) {
        std::error_code ignored;
        std::filesystem::remove(temporary, ignored);
        throw_io("cannot write report " + path + ": " + ec.message());
    }
}

}  // namespace sextant
