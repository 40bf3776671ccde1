#include "sextant/app/predict_job.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <numeric>

#include "sextant/app/scores_file.h"
#include "sextant/core/error.h"
#include "sextant/core/log.h"
#include "sextant/predict/classifier.h"
#include "sextant/predict/features.h"
#include "sextant/predict/forecast.h"

namespace sextant {
namespace {

// "2011-06-12 13:50 Europe/London": an instant as the reader's clock shows it.
std::string local_time(Seconds t, const TimeZone& zone) {
    const std::string utc = format_utc(t + zone.offset(t));  // "2011-06-12T13:50:01Z"
    return utc.substr(0, 10) + " " + utc.substr(11, 5) + " " + zone.name();
}

std::string three_decimals(double v) {
    char text[32];
    std::snprintf(text, sizeof text, "%.3f", v);
    return text;
}

namespace fs = std::filesystem;

Dataset to_dataset(const FeatureMatrix& m, const std::optional<std::vector<std::uint8_t>>& y) {
    Dataset d;
    d.feature_names = m.feature_names;
    d.n_rows = m.n_rows();
    d.n_cols = m.n_features();
    d.values.assign(m.values.begin(), m.values.end());
    if (y) {
        d.labels = *y;
    }
    d.ids = m.user_names;
    d.times.assign(d.n_rows, m.cutoff);
    return d;
}

const std::optional<std::vector<std::uint8_t>>& labels_of(const FeatureMatrix& m,
                                                          const std::string& task) {
    return task == "churn" ? m.churn : m.propensity;
}

std::string lower_letters(std::string_view s) {
    std::string out;
    for (char c : s) {
        if (std::isalnum(static_cast<unsigned char>(c))) {
            out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        }
    }
    return out;
}

std::string format_days(double days) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%g", days);
    return buffer;
}

// The mean of each column over the rows `included` marks (all when empty): the "average" shown
// beside a reason. Attributions measure a feature against the training population's mean (the
// logistic model's standardisation, the network's integrated-gradients baseline, the trees'
// expected value), so the mean, not the median, is what "raises" and "lowers" are relative to:
// beside a median, a user at the median could read "raises: 2 invoices (typical 2)".
std::vector<double> column_means(const FeatureMatrix& m, const std::vector<bool>& included) {
    std::vector<double> sums(m.n_features(), 0.0);
    double n = 0;
    for (std::size_t r = 0; r < m.n_rows(); ++r) {
        if (!included.empty() && !included[r]) {
            continue;
        }
        n += 1;
        for (std::size_t f = 0; f < m.n_features(); ++f) {
            sums[f] += m.values[r * m.n_features() + f];
        }
    }
    for (double& s : sums) {
        s = n > 0 ? s / n : 0.0;
    }
    return sums;
}

// The row's reasons: the features with the largest |attribution|, in plain words, each saying
// whether it raises or lowers the score. Recency is shown beside the user's own usual gap, when
// the user has one (two active days or more).
std::vector<std::string> reasons_of(const FeatureMatrix& m, std::size_t row, const Attribution& a,
                                    const std::vector<double>& averages) {
    std::optional<std::size_t> gap = m.feature_index("gap_days_mean");
    std::optional<std::size_t> days = m.feature_index("active_days_total");
    std::vector<std::string> out;
    for (std::size_t f : top_by_magnitude(a.values, kScoreReasons)) {
        const std::string& name = m.feature_names[f];
        std::optional<double> typical = averages[f];
        if (name == "days_since_last_event" && gap) {
            bool has_gap = !days || m.at(row, *days) >= 2;
            typical = has_gap ? std::optional<double>(m.at(row, *gap)) : std::nullopt;
        }
        out.push_back((a.values[f] > 0 ? "raises: " : "lowers: ") +
                      describe(name, m.at(row, f), typical));
    }
    return out;
}

}  // namespace

nlohmann::json score_users(const EventTable& table, const Classifier& model, double threshold,
                           const FeatureOptions& features, const std::filesystem::path& file,
                           std::size_t top_n, std::optional<double> lapsed_after_days) {
    FeatureMatrix now = build_current_features(table, features);
    Dataset scoring = to_dataset(now, std::nullopt);
    std::vector<double> p = model.predict_proba(scoring);
    std::vector<Attribution> why = model.explain(scoring);
    std::vector<bool> active;
    std::uint64_t lapsed = 0;
    std::optional<std::size_t> recency = now.feature_index("days_since_last_event");
    if (lapsed_after_days && recency) {
        active.resize(now.n_rows());
        for (std::size_t r = 0; r < now.n_rows(); ++r) {
            active[r] = now.at(r, *recency) < *lapsed_after_days;
            lapsed += active[r] ? 0 : 1;
        }
    }
    // The users still active are the population the model was trained on (lapsed ones are
    // never examples), so their means are the reference of the reasons.
    std::vector<double> averages = column_means(now, active);
    std::vector<std::vector<std::string>> reasons(now.n_rows());
    for (std::size_t r = 0; r < now.n_rows(); ++r) {
        reasons[r] = reasons_of(now, r, why[r], averages);
    }
    nlohmann::json out =
        write_scores(file, "user", now.user_names, p, reasons, threshold, top_n, "user", active);
    if (!active.empty()) {
        out["lapsed"] = {{"users", lapsed},
                         {"rule", "no event in the last " + format_days(*lapsed_after_days) +
                                      " days: already gone by the churn definition, so neither "
                                      "trained on nor listed as at risk (the scores file has them "
                                      "last, in band \"lapsed\")"}};
    }
    return out;
}

namespace {

nlohmann::json run_task(const EventTable& table, const PredictJobOptions& options,
                        const std::string& task, const std::string& target_event) {
    nlohmann::json out = {{"task", task}, {"horizon_days", options.horizon_days}};
    if (!target_event.empty()) {
        out["target_event"] = target_event;
    }
    FeatureOptions fo;
    fo.horizon_days = options.horizon_days;
    fo.target_event = target_event;
    // Churn examples are users still active at the cutoff: one with no event for the whole
    // horizon has already left by the definition, and counting such easy cases would flatter
    // every figure (and the recency rule most of all).
    fo.active_within_days = task == "churn" ? options.horizon_days : 0;
    fo.zone = TimeZone::named(options.tz);
    Seconds end = *std::max_element(table.time.begin(), table.time.end()) + 1;
    Seconds horizon = Seconds{options.horizon_days} * kSecondsPerDay;

    DataSplit split;
    FeatureMatrix later;
    try {
        fo.cutoff = end - 2 * horizon;
        FeatureMatrix earlier = build_features(table, fo);
        fo.event_names = earlier.event_names;
        fo.cutoff = end - horizon;
        later = build_features(table, fo);
        split = stratified_split(to_dataset(earlier, labels_of(earlier, task)), {0.75, 0.25, 0.0},
                                 options.seed);
        split.test = to_dataset(later, labels_of(later, task));
        const std::string days = std::to_string(options.horizon_days) + " days";
        out["split"] = "backtest: trained and chosen on users as of " +
                       local_time(end - 2 * horizon, fo.zone) + ", labelled by the " + days +
                       " after; tested on users as of " + local_time(end - horizon, fo.zone) +
                       ", labelled by the last " + days + " of the data";
        out["train_cutoff"] = format_utc(end - 2 * horizon);
    } catch (const Error& e) {
        if (e.kind() != ErrorKind::kInvalidInput) {
            throw;
        }
        // Too short for two horizons: one cutoff, a stratified split of its examples.
        fo.cutoff.reset();
        fo.event_names.clear();
        later = build_features(table, fo);
        fo.event_names = later.event_names;
        split = stratified_split(to_dataset(later, labels_of(later, task)), {0.6, 0.2, 0.2},
                                 options.seed);
        out["split"] = "stratified 60/20/20 of one cutoff's users (" + std::string(e.what()) + ")";
    }
    out["test_cutoff"] = format_utc(later.cutoff);
    out["examples"] = {
        {"train", split.train.n_rows}, {"valid", split.valid.n_rows}, {"test", split.test.n_rows}};

    SelectionResult selection = select_classifier(
        default_classifiers(options.seed), split,
        selection_options(options.imbalance, options.min_precision, options.seed));
    out["selection"] = to_json(selection, split.train.feature_names);

    // The rule a team could apply without a model: rank by days since the last event.
    std::string versus_rule;
    const std::vector<std::string>& names = split.test.feature_names;
    if (auto it = std::find(names.begin(), names.end(), "days_since_last_event");
        it != names.end()) {
        auto recency = static_cast<std::size_t>(it - names.begin());
        std::vector<double> score(split.test.n_rows);
        for (std::size_t r = 0; r < split.test.n_rows; ++r) {
            double days = split.test.at(r, recency);
            // Monotone into [0, 1): churn rises with recency, purchases fall with it.
            score[r] = task == "churn" ? days / (1 + days) : 1 / (1 + days);
        }
        nlohmann::json baseline;
        const Figure rule_auc = roc_auc(split.test.labels, score);
        put_figure(baseline, "roc_auc", rule_auc);
        put_figure(baseline, "average_precision", average_precision(split.test.labels, score));
        baseline["rule"] = task == "churn" ? "more days since the last event, more likely to churn"
                                           : "fewer days since the last event, more likely to buy";
        out["recency_baseline"] = baseline;

        const std::optional<double>& model_auc = selection.test.roc_auc.value;
        if (model_auc && rule_auc.value) {
            versus_rule = " against " + three_decimals(*rule_auc.value) + " for the recency rule";
            if (*rule_auc.value > *model_auc) {
                std::string warning =
                    "the recency rule alone ranks the test part better than the model (ROC-AUC " +
                    three_decimals(*rule_auc.value) + " against " + three_decimals(*model_auc) +
                    "): act on days since the last event until more history makes the model "
                    "worth it";
                log::warn("predict: " + task + ": " + warning);
                out["selection"]["warnings"].push_back(std::move(warning));
            }
        }
    }

    // Scores as of now, with reasons.
    fs::path scores_file = fs::path(options.out_dir) / "predict" / (task + "_scores.csv");
    std::optional<double> lapsed_after;
    if (task == "churn") {
        lapsed_after = options.horizon_days;
    }
    FeatureOptions everyone = fo;
    everyone.active_within_days = 0;  // the scores file lists every user, the lapsed marked
    nlohmann::json scored = score_users(table, *selection.model, selection.threshold, everyone,
                                        scores_file, options.top_at_risk, lapsed_after);
    if (scored.contains("lapsed")) {
        out["lapsed"] = scored["lapsed"];
    }
    out["scores_file"] = scored["scores_file"];
    out["risk_bands"] = scored["risk_bands"];
    out["risk_band_rule"] = risk_band_rule();
    out[task == "churn" ? "top_at_risk" : "top_likely"] = scored["top"];

    fs::path model_dir = fs::path(options.out_dir) / "models" / task;
    save_classifier(model_dir, *selection.model, split.train.feature_names, selection.threshold,
                    {{"task", task},
                     {"target_event", target_event},
                     {"horizon_days", options.horizon_days},
                     {"event_names", fo.event_names},
                     {"tz", options.tz},
                     {"store", options.store}});
    out["model_dir"] = model_dir.string();
    const std::optional<double>& test_auc = selection.test.roc_auc.value;
    log::info("predict: " + task + ": chose " + selection.chosen + " (" + selection.why + ")" +
              (test_auc ? "; test ROC-AUC " + three_decimals(*test_auc) + versus_rule : "") +
              "; scores in " + scores_file.string());
    return out;
}

}  // namespace

std::string purchase_like_event(const EventTable& table) {
    static const char* kWords[] = {"purchase",    "buy",     "order",    "checkout",
                                   "transaction", "payment", "subscribe"};
    for (const std::string& name : table.names.texts()) {
        std::string key = lower_letters(name);
        for (const char* word : kWords) {
            if (key.find(word) != std::string::npos) {
                return name;
            }
        }
    }
    return "";
}

nlohmann::json run_predictions(const EventTable& table, const PredictJobOptions& options) {
    nlohmann::json predict = nlohmann::json::object();
    nlohmann::json forecast = nlohmann::json::object();
    if (table.n_events() == 0) {
        predict["skipped"] = "no events";
        return {{"predict", predict}, {"forecast", forecast}};
    }
    std::string target =
        options.target_event.empty() ? purchase_like_event(table) : options.target_event;
    std::vector<std::pair<std::string, std::string>> tasks = {{"churn", ""}};
    if (!target.empty()) {
        tasks.emplace_back("propensity", target);
    }
    for (const auto& [task, event] : tasks) {
        try {
            predict[task] = run_task(table, options, task, event);
        } catch (const Error& e) {
            if (e.kind() != ErrorKind::kInvalidInput) {
                throw;
            }
            predict[task] = {{"skipped", e.what()}};
            log::warn("predict: " + task + " skipped: " + e.what());
        }
    }
    if (target.empty()) {
        predict["propensity"] = {{"skipped",
                                  "no purchase-like event name in the log (give one with "
                                  "--target-event)"}};
    }

    ForecastOptions fo;
    fo.seed = options.seed;
    fo.budget_seconds = options.budget_seconds / 6;
    for (const DailySeries& series : daily_series(table, TimeZone::named(options.tz))) {
        try {
            forecast[series.name] = forecast_series(series, fo).to_json();
        } catch (const Error& e) {
            if (e.kind() != ErrorKind::kInvalidInput) {
                throw;
            }
            forecast[series.name] = {{"skipped", e.what()}};
        }
    }
    return {{"predict", predict}, {"forecast", forecast}};
}

}  // namespace sextant
