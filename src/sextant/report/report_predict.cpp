// The prediction sections: who is about to leave (churn) and who is about to buy (propensity),
// each with its test figures beside the recency rule, its curves, the model comparison, the
// confusion matrix, the risk bands, the top users and what drives the score.
#include <algorithm>
#include <cmath>
#include <functional>

#include "sextant/report/report_charts.h"
#include "sextant/report/report_format.h"
#include "sextant/report/report_sections.h"

namespace sextant::report {

namespace {

using nlohmann::json;

// How one task speaks of its users.
struct TaskWords {
    std::string task;       // key under `predict`
    std::string id;         // the section's HTML id
    std::string title;      // the section's heading
    std::string positive;   // one user of the predicted class
    std::string positives;  // several
    std::string negatives;  // the users of the other class
    std::string did;        // what a positive did ("churned")
    std::string did_not;    // what a negative did
    std::string rule_name;  // the recency rule in a few words
    std::string top_key;    // the array of top users
    std::string top_title;  // its heading
};

TaskWords churn_words() {
    return {.task = "churn",
            .id = "churn",
            .title = "Who is about to leave",
            .positive = "churner",
            .positives = "churners",
            .negatives = "stayers",
            .did = "churned",
            .did_not = "stayed",
            .rule_name = "longest inactive first",
            .top_key = "top_at_risk",
            .top_title = "Most at risk now"};
}

TaskWords propensity_words() {
    return {.task = "propensity",
            .id = "propensity",
            .title = "Who is about to buy",
            .positive = "buyer",
            .positives = "buyers",
            .negatives = "non-buyers",
            .did = "bought",
            .did_not = "did not buy",
            .rule_name = "most recently active first",
            .top_key = "top_likely",
            .top_title = "Most likely to buy now"};
}

using Format = std::function<std::string(double)>;

std::string ratio_text(double v) {
    return format_decimal(v, 3);
}

std::string percent_text(double v) {
    return format_percent(v);
}

// A figure as text: formatted when it is a finite number, else "n/a", with the reason the summary
// gives for it (`<key>_reason`) in `reason` when there is one.
std::string figure_text(const json& object, const std::string& key, const Format& format,
                        std::string* reason = nullptr) {
    if (auto v = number_at(object, key)) {
        return format(*v);
    }
    if (reason != nullptr) {
        *reason = text_at(object, key + "_reason").value_or("");
    }
    return "n/a";
}

// "n/a (reason)" for an undefined figure, the figure otherwise; HTML-escaped.
std::string figure_html(const json& object, const std::string& key, const Format& format) {
    std::string reason;
    std::string text = figure_text(object, key, format, &reason);
    return escape_html(text) + (reason.empty() ? "" : " (" + escape_html(reason) + ")");
}

std::string card(const std::string& label, const std::string& value, const std::string& note) {
    return "<div class=\"card\"><div class=\"label\">" + escape_html(label) +
           "</div><div class=\"value\">" + escape_html(value) + "</div><div class=\"note\">" +
           escape_html(note) + "</div></div>";
}

// A card for one figure: its meaning below it, or why it is undefined.
std::string figure_card(const std::string& label, const json& object, const std::string& key,
                        const Format& format, const std::string& meaning) {
    std::string reason;
    std::string value = figure_text(object, key, format, &reason);
    if (value != "n/a") {
        return card(label, value, meaning);
    }
    return card(label, value, reason.empty() ? "not in the summary" : reason);
}

std::string headline_cards(const json& test, const TaskWords& words) {
    const json empty = json::object();
    const json* at = member(test, "at_threshold");
    const json& at_threshold = at != nullptr ? *at : empty;
    auto prevalence = number_at(test, "prevalence");
    double fraction = number_at(test, "lift_fraction").value_or(0.1);
    std::string top = format_percent(fraction, 0);

    std::string html = "<div class=\"cards\">";
    html += figure_card("ROC-AUC", test, "roc_auc", ratio_text,
                        "chance a random " + words.positive + " scores above a random user who " +
                            words.did_not + "; 0.5 is a coin toss");
    html += figure_card("PR-AUC", test, "average_precision", ratio_text,
                        "precision averaged down the ranked list; a random list scores " +
                            (prevalence ? format_decimal(*prevalence, 3) : "the prevalence"));
    html += figure_card(
        "Lift, top " + top, test, "lift", [](double v) { return format_decimal(v, 1) + "\u00d7"; },
        "the top " + top + " by score hold this many times the " + words.positives +
            " of a random " + top);
    html += figure_card("Precision", at_threshold, "precision", percent_text,
                        "of the users flagged, the share who " + words.did);
    html += figure_card("Recall", at_threshold, "recall", percent_text,
                        "of the users who " + words.did + ", the share flagged");
    return html + "</div>";
}

// One sentence setting the model beside ranking by recency alone.
std::string baseline_line(const json& test, const json& baseline, const TaskWords& words) {
    auto model_roc = number_at(test, "roc_auc");
    auto rule_roc = number_at(baseline, "roc_auc");
    auto model_ap = number_at(test, "average_precision");
    auto rule_ap = number_at(baseline, "average_precision");
    std::string rule = "\u201c" + words.rule_name + "\u201d";
    std::string figures = "ROC-AUC " + figure_html(test, "roc_auc", ratio_text) + " vs " +
                          figure_html(baseline, "roc_auc", ratio_text) + ", PR-AUC " +
                          figure_html(test, "average_precision", ratio_text) + " vs " +
                          figure_html(baseline, "average_precision", ratio_text);
    std::string lead;
    if (model_roc && rule_roc && model_ap && rule_ap) {
        // Differences below the third decimal shown are ties, not wins.
        auto compare = [](double a, double b) {
            return std::abs(a - b) < 0.0005 ? 0 : (a > b ? 1 : -1);
        };
        int roc = compare(*model_roc, *rule_roc);
        int ap = compare(*model_ap, *rule_ap);
        if (roc >= 0 && ap >= 0 && roc + ap > 0) {
            lead = "The model ranks " + words.positives + " better than " + rule;
        } else if (roc == 0 && ap == 0) {
            lead = "The model ranks " + words.positives + " exactly as well as " + rule +
                   "; here the simple rule is all it learned";
        } else if (roc <= 0 && ap <= 0) {
            lead = "The simple rule " + rule + " ranks " + words.positives +
                   " better than the model here; use the rule, or give the model more history";
        } else {
            lead = "The model and " + rule + " each win on one figure";
        }
    } else {
        lead = "The model beside " + rule;
    }
    std::string html = "<p class=\"verdict\">" + escape_html(lead) + ": " + figures + ".";
    if (auto text = text_at(baseline, "rule")) {
        html += " <span class=\"rule\">(The rule: " + escape_html(*text) + ".)</span>";
    }
    return html + "</p>";
}

double count_of(const json& confusion, const char* count_key, const char* weight_key) {
    return number_at(confusion, count_key).value_or(number_at(confusion, weight_key).value_or(0));
}

std::string confusion_table(const json& test, const json& selection, const TaskWords& words) {
    const json* at = member(test, "at_threshold");
    const json* confusion = at != nullptr ? member(*at, "confusion") : nullptr;
    if (confusion == nullptr || !confusion->is_object()) {
        return missing_note("No confusion matrix in this summary.");
    }
    double tp = count_of(*confusion, "n_tp", "tp");
    double fp = count_of(*confusion, "n_fp", "fp");
    double tn = count_of(*confusion, "n_tn", "tn");
    double fn = count_of(*confusion, "n_fn", "fn");
    auto cell = [](const char* cls, double n, const std::string& words_text) {
        return "<td class=\"" + std::string(cls) + "\"><b>" + format_count(n) + "</b> " +
               escape_html(words_text) + "</td>";
    };
    std::string html = "<table class=\"confusion\"><thead><tr><th></th><th>" +
                       escape_html(words.did) + "</th><th>" + escape_html(words.did_not) +
                       "</th></tr></thead><tbody><tr><th>Flagged (high band)</th>" +
                       cell("hit", tp, "caught " + words.positives) +
                       cell("miss", fp, "false alarms") + "</tr><tr><th>Not flagged</th>" +
                       cell("miss", fn, "missed " + words.positives) +
                       cell("hit", tn, "correctly not flagged") + "</tr></tbody></table>";
    html += "<p class=\"rule\">Test users at the decision threshold " +
            figure_html(selection, "threshold", ratio_text) + ": of " + format_count(tp + fp) +
            " flagged, " + format_count(tp) + " " + escape_html(words.did) + "; of " +
            format_count(tp + fn) + " who " + escape_html(words.did) + ", " + format_count(tp) +
            " were caught.</p>";
    return html;
}

std::string risk_bands(const json& result) {
    const json* bands = member(result, "risk_bands");
    if (bands == nullptr || !bands->is_object()) {
        return "";
    }
    std::vector<const char*> names = {"high", "medium", "low"};
    if (bands->contains("lapsed")) {
        names.push_back("lapsed");  // churn: already gone, scored last
    }
    double total = 0;
    for (const char* band : names) {
        total += number_at(*bands, band).value_or(0);
    }
    std::string html =
        "<h3>Everyone, scored now</h3><table><thead><tr><th>Risk band</th><th class=\"num\">"
        "Users</th><th class=\"num\">Share</th></tr></thead><tbody>";
    for (const char* band : names) {
        auto n = number_at(*bands, band);
        html += "<tr><td><span class=\"band " + std::string(band) + "\">" + band +
                "</span></td><td class=\"num\">" + (n ? format_count(*n) : "n/a") +
                "</td><td class=\"num\">" +
                (n && total > 0 ? format_percent(*n / total) : std::string("n/a")) + "</td></tr>";
    }
    html += "</tbody></table>";
    if (auto rule = text_at(result, "risk_band_rule")) {
        html += "<p class=\"rule\">" + escape_html(*rule) + ".</p>";
    }
    return html;
}

std::string candidates_table(const json& selection) {
    const json* candidates = array_at(selection, "candidates");
    if (candidates == nullptr || candidates->empty()) {
        return missing_note("No model comparison in this summary.");
    }
    std::string chosen = text_at(selection, "chosen").value_or("");
    std::string html =
        "<table><thead><tr><th>Model</th><th class=\"num\">ROC-AUC</th><th class=\"num\">"
        "PR-AUC</th><th class=\"num\">Log loss</th><th class=\"num\">Threshold</th>"
        "<th class=\"num\">Fit</th></tr></thead><tbody>";
    for (const json& candidate : *candidates) {
        std::string name = text_at(candidate, "name").value_or("?");
        bool is_chosen = name == chosen;
        const json* threshold = member(candidate, "threshold");
        auto cut = threshold != nullptr ? number_at(*threshold, "threshold") : std::nullopt;
        auto seconds = number_at(candidate, "fit_seconds");
        html +=
            std::string(is_chosen ? "<tr class=\"best\">" : "<tr>") + "<td>" + escape_html(name) +
            (is_chosen ? "<span class=\"tag\">chosen</span>" : "") + "</td><td class=\"num\">" +
            figure_html(candidate, "roc_auc", ratio_text) + "</td><td class=\"num\">" +
            figure_html(candidate, "average_precision", ratio_text) + "</td><td class=\"num\">" +
            figure_html(candidate, "log_loss", ratio_text) + "</td><td class=\"num\">" +
            (cut ? format_decimal(*cut, 3) : "n/a") + "</td><td class=\"num\">" +
            (!seconds           ? std::string("n/a")
             : *seconds < 0.005 ? std::string("&lt; 0.01 s")
                                : format_decimal(*seconds, 2) + " s") +
            "</td></tr>";
    }
    html += "</tbody></table>";
    const json* calibration = member(selection, "calibration");
    if (calibration != nullptr && text_at(*calibration, "method").value_or("") == "platt") {
        html +=
            "<p class=\"rule\">The table shows each model before calibration; the chosen "
            "model's threshold below is on its calibrated probabilities.</p>";
    }
    return html;
}

// The selection's warnings (too few positives, a near-perfect or near-chance score), each a
// sentence a reader should see before the figures.
std::string warnings_list(const json& selection) {
    const json* warnings = array_at(selection, "warnings");
    if (warnings == nullptr || warnings->empty()) {
        return "";
    }
    std::string html = "<ul class=\"warnings\">";
    for (const json& w : *warnings) {
        if (w.is_string()) {
            html += "<li><strong>Read with care:</strong> " + escape_html(w.get<std::string>()) +
                    ".</li>";
        }
    }
    return html + "</ul>";
}

// One line on the recalibration of the probabilities, when the summary reports one.
std::string calibration_line(const json& selection) {
    const json* calibration = member(selection, "calibration");
    if (calibration == nullptr || !calibration->is_object()) {
        return "";
    }
    auto method = text_at(*calibration, "method").value_or("");
    auto before = number_at(*calibration, "valid_log_loss_before");
    auto after = number_at(*calibration, "valid_log_loss_after");
    if (method.empty() || method == "none") {
        auto reason = text_at(*calibration, "reason");
        return "<li>Probabilities were not recalibrated" +
               (reason ? ": " + escape_html(*reason) : std::string()) + ".</li>";
    }
    std::string html =
        "<li>Probabilities were calibrated on the validation part (" + escape_html(method) + ")";
    if (before && after) {
        html += ": validation log loss " + format_decimal(*before, 4) + " \u2192 " +
                format_decimal(*after, 4) + " (" + (*after <= *before ? "\u2212" : "+") +
                format_decimal(std::abs(*after - *before), 4) + ")";
    }
    return html + ".</li>";
}

std::string choice_notes(const json& selection) {
    std::string html = "<ul class=\"dq\">";
    if (auto why = text_at(selection, "why")) {
        html += "<li>Chosen: <b>" + escape_html(text_at(selection, "chosen").value_or("?")) +
                "</b>, " + escape_html(*why) + ".</li>";
    }
    const json* choice = member(selection, "threshold_choice");
    html += "<li>Decision threshold " + figure_html(selection, "threshold", ratio_text);
    if (auto reason = choice != nullptr ? text_at(*choice, "reason") : std::nullopt) {
        html += ", chosen on validation: " + escape_html(*reason);
    }
    html += ".</li>" + calibration_line(selection);
    return html + "</ul>";
}

std::string count_or_na(const json& object, const char* key) {
    auto n = number_at(object, key);
    return n ? format_count(*n) : "n/a";
}

std::string day_of(const std::string& iso) {
    return iso.substr(0, std::min<std::size_t>(10, iso.size()));
}

std::string balance_text(const json& balance, const TaskWords& words) {
    auto rows = number_at(balance, "n_rows");
    auto pos = number_at(balance, "n_positives");
    auto neg = number_at(balance, "n_negatives");
    if (!pos || !neg) {
        return "";
    }
    std::string text =
        (rows ? count_noun(*rows, "training example", "training examples") + ": " : std::string()) +
        format_count(*pos) + " " + words.positives + ", " + format_count(*neg) + " " +
        words.negatives;
    if (auto ratio = number_at(balance, "negatives_per_positive")) {
        text += " (" + format_decimal(*ratio, 1) + " " + words.negatives + " per " +
                words.positive + ")";
    }
    return text;
}

std::string protocol_box(const json& result, const json& selection, const TaskWords& words) {
    std::string html = "<div class=\"protocol\"><h3>How this was measured</h3>";
    if (auto split = text_at(result, "split")) {
        html += "<p>" + escape_html(*split) + ".</p>";
    }
    html += "<ul class=\"dq\">";
    if (auto horizon = number_at(result, "horizon_days")) {
        html += "<li>Horizon: the next " + count_noun(*horizon, "day", "days") + "</li>";
    }
    auto train_cutoff = text_at(result, "train_cutoff");
    auto test_cutoff = text_at(result, "test_cutoff");
    if (train_cutoff && test_cutoff) {
        html += "<li>Cutoffs: " + escape_html(day_of(*train_cutoff)) + " (fit and choose), " +
                escape_html(day_of(*test_cutoff)) + " (test)</li>";
    }
    if (const json* examples = member(result, "examples")) {
        html += "<li>Examples: " + escape_html(count_or_na(*examples, "train")) + " train, " +
                escape_html(count_or_na(*examples, "valid")) + " validation, " +
                escape_html(count_or_na(*examples, "test")) + " test</li>";
    }
    if (const json* balance = member(selection, "train_balance")) {
        std::string text = balance_text(*balance, words);
        if (!text.empty()) {
            html += "<li>" + escape_html(text) + "</li>";
        }
    }
    if (auto imbalance = text_at(selection, "imbalance")) {
        std::string how = *imbalance;
        std::replace(how.begin(), how.end(), '_', ' ');
        html += "<li>Imbalance handled by " + escape_html(how) + "</li>";
    }
    if (const json* test = member(selection, "test")) {
        auto n = number_at(*test, "n_samples");
        auto n_pos = number_at(*test, "n_positives");
        if (n && n_pos) {
            html += "<li>Test part: " + format_count(*n_pos) + " of " +
                    count_noun(*n, "user", "users") + " " + escape_html(words.did) + "</li>";
        }
    }
    return html + "</ul></div>";
}

// "raises: ..." reasons as a list, the direction set apart.
std::string reasons_list(const json& user) {
    const json* reasons = array_at(user, "reasons");
    if (reasons == nullptr || reasons->empty()) {
        return "";
    }
    std::string html = "<ul class=\"reasons\">";
    for (const json& reason : *reasons) {
        std::string text = reason.is_string() ? reason.get<std::string>() : reason.dump();
        std::string direction;
        for (const char* word : {"raises", "lowers"}) {
            std::string prefix = std::string(word) + ": ";
            if (text.rfind(prefix, 0) == 0) {
                direction = word;
                text = text.substr(prefix.size());
            }
        }
        html +=
            "<li>" +
            (direction.empty() ? std::string()
                               : "<span class=\"" + direction + "\">" + direction + "</span> ") +
            escape_html(text) + "</li>";
    }
    return html + "</ul>";
}

std::string top_users(const json& result, const TaskWords& words) {
    const json* users = array_at(result, words.top_key);
    std::string html = "<h3>" + escape_html(words.top_title) + "</h3>";
    if (users == nullptr || users->empty()) {
        return html + missing_note("No scored users in this summary.");
    }
    html +=
        "<table class=\"top\"><thead><tr><th class=\"num\">#</th><th>User</th><th class=\"num\">"
        "Probability</th><th>Band</th><th>Why (largest effects on the score)</th></tr></thead>"
        "<tbody>";
    std::size_t n = std::min(users->size(), kMaxTopUsers);
    for (std::size_t i = 0; i < n; ++i) {
        const json& user = (*users)[i];
        std::string band = text_at(user, "risk_band").value_or("");
        const json* id = member(user, "user");
        std::string name = id == nullptr     ? "?"
                           : id->is_string() ? id->get<std::string>()
                                             : id->dump();
        html += "<tr><td class=\"num\">" + std::to_string(i + 1) + "</td><td><code>" +
                escape_html(name) + "</code></td><td class=\"num\">" +
                figure_html(user, "probability", percent_text) + "</td><td>" +
                (band.empty() ? std::string("n/a")
                              : "<span class=\"band " + escape_html(band) + "\">" +
                                    escape_html(band) + "</span>") +
                "</td><td>" + reasons_list(user) + "</td></tr>";
    }
    html += "</tbody></table>";
    if (users->size() > n) {
        html += "<p class=\"rule\">Showing the first " + std::to_string(n) + " of " +
                format_count(static_cast<std::int64_t>(users->size())) + ".</p>";
    }
    if (const json* lapsed = member(result, "lapsed")) {
        if (auto count = number_at(*lapsed, "users")) {
            html += "<p class=\"rule\">Only users still active are listed: " +
                    format_count(static_cast<std::int64_t>(*count)) + " " +
                    (*count == 1 ? "user has" : "users have") + " " +
                    escape_html(text_at(*lapsed, "rule").value_or("already lapsed")) + ".</p>";
        }
    }
    return html;
}

std::string files_line(const json& result) {
    auto scores = text_at(result, "scores_file");
    auto model = text_at(result, "model_dir");
    if (!scores && !model) {
        return "";
    }
    std::string html = "<p class=\"rule\">";
    if (scores) {
        html += "Every user's probability, band and reasons: <code>" + escape_html(*scores) +
                "</code>. ";
    }
    if (model) {
        html += "The fitted model: <code>" + escape_html(*model) + "</code>.";
    }
    return html + "</p>";
}

std::string curves(const TaskWords& words, Page& page) {
    std::string html =
        "<div class=\"two\"><div><h3>ROC curve</h3>" +
        page.canvas(predict_chart_key(words.task, "roc"),
                    "ROC curve of the " + words.task + " model on the test part", true) +
        "</div><div><h3>Precision and recall</h3>" +
        page.canvas(predict_chart_key(words.task, "pr"),
                    "Precision-recall curve of the " + words.task + " model on the test part",
                    true) +
        "</div></div>";
    return html;
}

std::string task_body(const json& result, const TaskWords& words, Page& page) {
    const json empty = json::object();
    const json* selection_ptr = member(result, "selection");
    const json& selection = selection_ptr != nullptr ? *selection_ptr : empty;
    const json* test_ptr = member(selection, "test");
    const json& test = test_ptr != nullptr ? *test_ptr : empty;

    std::string lede = "Users predicted to have ";
    if (words.task == "churn") {
        lede += "no event";
    } else {
        lede += "a \u201c" + text_at(result, "target_event").value_or("purchase") + "\u201d event";
    }
    if (auto horizon = number_at(result, "horizon_days")) {
        lede += " in the next " + count_noun(*horizon, "day", "days");
    }
    lede += ". Every figure below is measured once, on a test period the model never saw.";
    std::string html = "<p class=\"lede\">" + escape_html(lede) + "</p>";
    if (test_ptr == nullptr) {
        html += missing_note("No test figures in this summary.");
    } else {
        html += headline_cards(test, words);
    }
    if (const json* baseline = member(result, "recency_baseline")) {
        html += baseline_line(test, *baseline, words);
    }
    html += warnings_list(selection);

    html += curves(words, page);
    html += "<div class=\"two\"><div><h3>Are the probabilities right?</h3>" +
            page.canvas(predict_chart_key(words.task, "calibration"),
                        "Calibration of the " + words.task + " probabilities", true) +
            "</div><div><h3>At the decision threshold</h3>" +
            confusion_table(test, selection, words) + risk_bands(result) + "</div></div>";

    html += "<h3>Models compared on validation</h3><div class=\"rec\"><div>" +
            candidates_table(selection) + choice_notes(selection) + "</div>" +
            protocol_box(result, selection, words) + "</div>";
    html += top_users(result, words) + files_line(result);
    if (page.has_chart(predict_chart_key(words.task, "importance"))) {
        html +=
            "<h3>What drives the score</h3><p class=\"lede\">The 10 features with the largest "
            "mean effect on the score (in log-odds), over the validation users.</p>" +
            page.canvas(predict_chart_key(words.task, "importance"),
                        "Feature importance of the " + words.task + " model");
    }
    return html;
}

std::string task_section(const json& summary, const TaskWords& words, Page& page, bool required) {
    const json* predict = member(summary, "predict");
    const json* result = predict != nullptr ? member(*predict, words.task) : nullptr;
    std::string open = "<section class=\"panel\" id=\"" + words.id + "\"><h2>" +
                       escape_html(words.title) + "</h2>";
    // A summary made without predictions (`sextant analyze`, or an older one) gets no section; one
    // whose predictions were skipped says why, under the first heading only.
    if (predict == nullptr || !required) {
        if (result == nullptr || !result->is_object()) {
            return "";
        }
    } else if (result == nullptr || !result->is_object()) {
        auto skipped = text_at(*predict, "skipped");
        return open +
               missing_note(skipped ? "Predictions were skipped: " + *skipped + "."
                                    : "No churn predictions in this summary.") +
               "</section>";
    }
    if (auto skipped = text_at(*result, "skipped")) {
        std::string reason = *skipped;
        if (!reason.empty() && reason.back() == '.') {
            reason.pop_back();
        }
        return open + missing_note("This prediction was skipped: " + reason + ".") + "</section>";
    }
    return open + task_body(*result, words, page) + "</section>";
}

}  // namespace

std::string churn_section(const json& summary, Page& page) {
    return task_section(summary, churn_words(), page, true);
}

std::string propensity_section(const json& summary, Page& page) {
    return task_section(summary, propensity_words(), page, false);
}

}  // namespace sextant::report
