// The recommendation section: the model table, the protocol, and each deep model's learning
// curve.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <vector>

#include "sextant/report/report_charts.h"
#include "sextant/report/report_format.h"
#include "sextant/report/report_sections.h"

namespace sextant::report {

namespace {

using nlohmann::json;

std::string format_seconds(double seconds) {
    if (seconds < 60) {
        return format_decimal(seconds, 1) + " s";
    }
    auto whole = static_cast<long long>(std::llround(seconds));
    char buf[64];
    if (whole < 3600 && whole % 60 == 0) {
        std::snprintf(buf, sizeof buf, "%lld min", whole / 60);
    } else if (whole < 3600) {
        std::snprintf(buf, sizeof buf, "%lld min %02lld s", whole / 60, whole % 60);
    } else {
        std::snprintf(buf, sizeof buf, "%lld h %02lld min", whole / 3600, whole / 60 % 60);
    }
    return buf;
}

std::string metric_cell(const json& model, const char* key, int decimals) {
    auto v = number_at(model, key);
    return "<td class=\"num\">" + (v ? format_decimal(*v, decimals) : std::string("n/a")) + "</td>";
}

struct ModelRow {
    std::string name;
    const json* model;
    double ndcg;  // test NDCG@10; -1 when absent, so such models sort last
};

std::string percent_cell(const json* object, const char* key) {
    auto x = object != nullptr ? number_at(*object, key) : std::nullopt;
    return "<td class=\"num\">" + (x ? format_percent(*x) : std::string("n/a")) + "</td>";
}

std::string percent_cell(const json& object, const char* key) {
    return percent_cell(&object, key);
}

// A figure of the 1 + 100 sampled protocol, to 4 decimals.
std::string sampled_cell(const json& model, const char* key) {
    const json* sampled = member(model, "sampled_100");
    return sampled != nullptr ? metric_cell(*sampled, key, 4) : "<td class=\"num\">n/a</td>";
}

std::string models_table(const json& models, const std::string& best) {
    std::vector<ModelRow> rows;
    double top_hr = 0;
    for (const auto& [name, model] : models.items()) {
        rows.push_back({name, &model, number_at(model, "ndcg@10").value_or(-1)});
        top_hr = std::max(top_hr, number_at(model, "hr@10").value_or(0));
    }
    std::stable_sort(rows.begin(), rows.end(),
                     [](const ModelRow& a, const ModelRow& b) { return a.ndcg > b.ndcg; });

    // Test figures under both protocols, grouped under a header that names each; then what
    // shows a model that only repeats the charts (coverage, popularity), the validation figure
    // that chose the best model, and the training time.
    std::string html =
        "<table class=\"models\"><thead><tr><th rowspan=\"2\">Model</th>"
        "<th colspan=\"6\" class=\"group\">Full ranking: every item is a candidate</th>"
        "<th colspan=\"2\" class=\"group\">1 held-out item + 100 sampled</th>"
        "<th rowspan=\"2\" class=\"num\" title=\"share of the catalogue in some user's top 10"
        "\">Coverage</th><th rowspan=\"2\" class=\"num\" title=\"training events of each "
        "recommended item per user, averaged over the top-10 lists: high for a model that only "
        "repeats the charts\">Mean popularity</th>"
        "<th rowspan=\"2\" class=\"num\">Valid NDCG@10</th>"
        "<th rowspan=\"2\" class=\"num\">Training</th></tr><tr><th>HR@10</th>"
        "<th class=\"num\">HR@1</th><th class=\"num\">HR@5</th><th class=\"num\">NDCG@5</th>"
        "<th class=\"num\">NDCG@10</th><th class=\"num\">MRR</th><th class=\"num\">HR@10</th>"
        "<th class=\"num\">NDCG@10</th></tr></thead><tbody>";
    for (const ModelRow& row : rows) {
        bool is_best = row.name == best;
        auto hr = number_at(*row.model, "hr@10");
        char width[32];
        std::snprintf(width, sizeof width, "%.1f%%",
                      hr && top_hr > 0 ? 100.0 * std::max(0.0, *hr) / top_hr : 0.0);
        auto seconds = number_at(*row.model, "train_seconds");
        html += std::string(is_best ? "<tr class=\"best\">" : "<tr>") + "<td>" +
                escape_html(row.name) + (is_best ? "<span class=\"tag\">best</span>" : "") +
                "</td><td class=\"num bar\"><i style=\"width:" + width + "\"></i><span>" +
                (hr ? format_percent(*hr) : "n/a") + "</span></td>" +
                percent_cell(*row.model, "hr@1") + percent_cell(*row.model, "hr@5") +
                metric_cell(*row.model, "ndcg@5", 4) + metric_cell(*row.model, "ndcg@10", 4) +
                metric_cell(*row.model, "mrr", 4) +
                percent_cell(member(*row.model, "sampled_100"), "hr@10") +
                sampled_cell(*row.model, "ndcg@10") + percent_cell(*row.model, "coverage@10") +
                metric_cell(*row.model, "mean_popularity@10", 3) +
                metric_cell(*row.model, "valid_ndcg@10", 4) + "<td class=\"num\">" +
                (seconds ? format_seconds(*seconds) : "n/a") + "</td></tr>";
    }
    return html + "</tbody></table>";
}

std::string protocol_box(const json& recommend) {
    std::string html = "<div class=\"protocol\"><h3>How this was measured</h3>";
    if (auto protocol = text_at(recommend, "protocol")) {
        html += "<p>" + escape_html(*protocol) + "</p>";
    }
    if (auto sampled = text_at(recommend, "protocol_sampled_100")) {
        html +=
            "<p class=\"note\">1 held-out item + 100 sampled: " + escape_html(*sampled) + "</p>";
    }
    html += "<ul class=\"dq\">";
    if (auto evaluated = number_at(recommend, "users_evaluated")) {
        html += "<li>" + count_noun(*evaluated, "user", "users") + " evaluated</li>";
    }
    if (auto excluded = number_at(recommend, "users_excluded")) {
        html += "<li>" + count_noun(*excluded, "user", "users") +
                " left out for having fewer than 3 item events</li>";
    }
    if (auto budget = number_at(recommend, "budget_seconds")) {
        html += "<li>Training budget " + format_seconds(*budget) + "</li>";
    }
    if (auto best = text_at(recommend, "best")) {
        html += "<li>Best model (by validation NDCG@10): <b>" + escape_html(*best) + "</b></li>";
    }
    if (auto rule = text_at(recommend, "budget_rule")) {
        html += "<li>Budget split: " + escape_html(*rule) + "</li>";
    }
    if (auto dir = text_at(recommend, "best_model_dir")) {
        html += "<li>Use it: <code>sextant recommend --model " + escape_html(*dir) +
                " --user ID</code></li>";
    }
    return html + "</ul></div>";
}

std::string learning_curves(const json& models, Page& page) {
    std::string charts;
    for (const auto& [name, model] : models.items()) {
        std::string key = learning_curve_key(name);
        if (!page.has_chart(key)) {
            continue;
        }
        charts += "<div><h3>" + escape_html(name) + "</h3>" +
                  page.canvas(key, "Learning curve of " + name, true);
        if (auto stopped = text_at(model, "stopped")) {
            charts += "<p class=\"stop\">Stopped: " + escape_html(*stopped) + "</p>";
        }
        charts += "</div>";
    }
    if (charts.empty()) {
        return "";
    }
    return "<h2 style=\"margin-top:22px\">Learning curves</h2><p class=\"lede\">Train loss (left "
           "axis) and validation NDCG@10 (right axis) by epoch.</p><div class=\"two\">" +
           charts + "</div>";
}

}  // namespace

std::string recommend_section(const json& summary, Page& page) {
    std::string html = "<section class=\"panel\" id=\"recommend\"><h2>Recommendations</h2>";
    const json* recommend = member(summary, "recommend");
    const json* models = recommend != nullptr ? member(*recommend, "models") : nullptr;
    if (models == nullptr || !models->is_object() || models->empty()) {
        return html + missing_note("No recommendation results in this summary.") + "</section>";
    }
    std::string best = text_at(*recommend, "best").value_or("");
    html +=
        "<p class=\"lede\">How often each model ranks a user's next item in its top 10 "
        "(HR@10), and how high (NDCG@10, MRR), on the held-out last event.</p>"
        "<div class=\"rec\"><div>" +
        models_table(*models, best) + "</div>" + protocol_box(*recommend) + "</div>" +
        learning_curves(*models, page);
    return html + "</section>";
}

}  // namespace sextant::report
