#include "sextant/predict/classifier.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>
#include <random>

#include "sextant/core/error.h"
#include "sextant/core/log.h"
#include "sextant/predict/calibration.h"
#include "sextant/predict/dense_net.h"
#include "sextant/predict/ensemble.h"
#include "sextant/predict/gbdt.h"
#include "sextant/predict/logistic.h"

namespace sextant {
namespace {

void check_fractions(const SplitFractions& f) {
    bool in_range = f.train >= 0 && f.valid >= 0 && f.test >= 0;
    if (!in_range || std::abs(f.train + f.valid + f.test - 1.0) > 1e-9) {
        throw_invalid("split fractions " + std::to_string(f.train) + "/" + std::to_string(f.valid) +
                      "/" + std::to_string(f.test) + " must be >= 0 and sum to 1");
    }
}

// Fisher-Yates with the generator's raw output: the same order on every platform, unlike
// std::shuffle, whose use of the generator the standard leaves open.
void shuffle(std::vector<std::size_t>& v, std::mt19937_64& rng) {
    for (std::size_t i = v.size(); i > 1; --i) {
        std::size_t j = static_cast<std::size_t>(rng() % i);
        std::swap(v[i - 1], v[j]);
    }
}

std::size_t rounded(double x) {
    return static_cast<std::size_t>(std::llround(x));
}

DataSplit split_of(const Dataset& data, std::vector<std::size_t> train,
                   std::vector<std::size_t> valid, std::vector<std::size_t> test) {
    std::sort(train.begin(), train.end());
    std::sort(valid.begin(), valid.end());
    std::sort(test.begin(), test.end());
    return {select_rows(data, train), select_rows(data, valid), select_rows(data, test)};
}

std::string figure_text(const Figure& f) {
    if (!f.value) {
        return "undefined (" + f.reason + ")";
    }
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.4f", *f.value);
    return buffer;
}

const char* metric_name(SelectionMetric metric) {
    return metric == SelectionMetric::kRocAuc ? "ROC-AUC" : "average precision";
}

nlohmann::json balance_json(const ClassBalance& b) {
    nlohmann::json j = {
        {"n_rows", b.n_rows}, {"n_positives", b.n_positives}, {"n_negatives", b.n_negatives}};
    j["negatives_per_positive"] =
        b.negatives_per_positive ? nlohmann::json(*b.negatives_per_positive) : nlohmann::json();
    return j;
}

}  // namespace

Attribution Classifier::contributions(const Dataset& x, std::size_t row) const {
    if (row >= x.n_rows) {
        throw_invalid(name() + ": row " + std::to_string(row) + " of " + std::to_string(x.n_rows));
    }
    std::size_t rows[] = {row};
    return explain(select_rows(x, rows)).front();
}

const std::vector<std::string>& classifier_kinds() {
    static const std::vector<std::string> kinds = {"logistic", "dense_net", "gbdt", "ensemble"};
    return kinds;
}

std::unique_ptr<Classifier> make_classifier(const std::string& kind, const nlohmann::json& config,
                                            const std::string& source) {
    if (kind == "logistic") {
        return LogisticRegression::from_config(config, source);
    }
    if (kind == "dense_net") {
        return DenseNet::from_config(config, source);
    }
    if (kind == "gbdt") {
        return Gbdt::from_config(config, source);
    }
    if (kind == "ensemble") {
        return Ensemble::from_config(config, source);
    }
    throw_invalid(source + ": unknown classifier kind \"" + kind +
                  "\" (known: logistic, dense_net, gbdt, ensemble)");
}

std::vector<double> feature_importance(const Classifier& model, const Dataset& x) {
    if (x.n_rows == 0) {
        return {};
    }
    std::vector<double> importance(x.n_cols, 0.0);
    for (const Attribution& a : model.explain(x)) {
        for (std::size_t c = 0; c < importance.size(); ++c) {
            importance[c] += std::abs(a.values[c]);
        }
    }
    for (double& v : importance) {
        v /= static_cast<double>(x.n_rows);
    }
    return importance;
}

// ---- Splits ---------------------------------------------------------------------------------

DataSplit stratified_split(const Dataset& data, const SplitFractions& fractions,
                           std::uint64_t seed) {
    check_fractions(fractions);
    validate_dataset(data, "stratified split", true);

    std::mt19937_64 rng(seed);
    std::vector<std::size_t> train, valid, test;
    for (std::uint8_t label : {std::uint8_t{0}, std::uint8_t{1}}) {
        std::vector<std::size_t> rows;
        for (std::size_t r = 0; r < data.n_rows; ++r) {
            if (data.labels[r] == label) {
                rows.push_back(r);
            }
        }
        shuffle(rows, rng);
        double n = static_cast<double>(rows.size());
        std::size_t end_train = rounded(fractions.train * n);
        std::size_t end_valid =
            std::min(rows.size(), rounded((fractions.train + fractions.valid) * n));
        train.insert(train.end(), rows.begin(), rows.begin() + end_train);
        valid.insert(valid.end(), rows.begin() + end_train, rows.begin() + end_valid);
        test.insert(test.end(), rows.begin() + end_valid, rows.end());
    }
    return split_of(data, std::move(train), std::move(valid), std::move(test));
}

DataSplit split_by_time(const Dataset& data, const SplitFractions& fractions) {
    check_fractions(fractions);
    validate_dataset(data, "split by time", false);
    if (data.times.empty() && data.n_rows > 0) {
        throw_invalid("split by time: the rows have no times (use a stratified split)");
    }

    std::vector<std::size_t> order(data.n_rows);
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return data.times[a] < data.times[b]; });

    // A boundary inside a run of equal times moves to the run's end, so no time is in two parts.
    auto boundary = [&](double fraction) {
        std::size_t b =
            std::min(order.size(), rounded(fraction * static_cast<double>(order.size())));
        while (b > 0 && b < order.size() && data.times[order[b]] == data.times[order[b - 1]]) {
            ++b;
        }
        return b;
    };
    std::size_t end_train = boundary(fractions.train);
    std::size_t end_valid = std::max(end_train, boundary(fractions.train + fractions.valid));
    std::vector<std::size_t> train(order.begin(), order.begin() + end_train);
    std::vector<std::size_t> valid(order.begin() + end_train, order.begin() + end_valid);
    std::vector<std::size_t> test(order.begin() + end_valid, order.end());
    return split_of(data, std::move(train), std::move(valid), std::move(test));
}

// ---- Imbalance ------------------------------------------------------------------------------

SelectionOptions selection_options(Imbalance imbalance, std::optional<double> min_precision,
                                   std::uint64_t seed) {
    SelectionOptions options;
    options.imbalance = imbalance;
    options.seed = seed;
    if (min_precision) {
        options.threshold.goal = ThresholdGoal::kMinPrecision;
        options.threshold.min_precision = *min_precision;
    }
    return options;
}

Imbalance parse_imbalance(const std::string& text) {
    if (text == "class_weights") {
        return Imbalance::kClassWeights;
    }
    if (text == "oversample") {
        return Imbalance::kOversample;
    }
    if (text == "undersample") {
        return Imbalance::kUndersample;
    }
    if (text == "none") {
        return Imbalance::kNone;
    }
    throw_invalid("imbalance \"" + text +
                  "\": expected class_weights, oversample, undersample or none");
}

std::string to_string(Imbalance imbalance) {
    switch (imbalance) {
        case Imbalance::kClassWeights:
            return "class_weights";
        case Imbalance::kOversample:
            return "oversample";
        case Imbalance::kUndersample:
            return "undersample";
        case Imbalance::kNone:
            return "none";
    }
    return "none";
}

ClassBalance class_balance(const Dataset& data) {
    if (data.labels.size() != data.n_rows) {
        throw_invalid("class balance: the rows have no labels");
    }
    ClassBalance b;
    b.n_rows = data.n_rows;
    b.n_positives = static_cast<std::uint64_t>(
        std::count(data.labels.begin(), data.labels.end(), std::uint8_t{1}));
    b.n_negatives = b.n_rows - b.n_positives;
    if (b.n_positives > 0) {
        b.negatives_per_positive =
            static_cast<double>(b.n_negatives) / static_cast<double>(b.n_positives);
    }
    return b;
}

Dataset with_positive_weight(const Dataset& data, double positive_weight) {
    Dataset out = data;
    out.weights.resize(out.n_rows, 1.0f);
    if (data.weights.empty()) {
        std::fill(out.weights.begin(), out.weights.end(), 1.0f);
    }
    for (std::size_t r = 0; r < out.n_rows; ++r) {
        if (out.labels[r] == 1) {
            out.weights[r] = static_cast<float>(out.weights[r] * positive_weight);
        }
    }
    return out;
}

Dataset rebalance(const Dataset& train, Imbalance imbalance, std::uint64_t seed) {
    validate_dataset(train, "rebalance: training part", true);
    ClassBalance b = class_balance(train);
    if (b.n_positives == 0 || b.n_negatives == 0) {
        throw_invalid("the training part holds only " +
                      std::string(b.n_positives == 0 ? "negatives" : "positives") + " (" +
                      std::to_string(b.n_rows) + " rows); a classifier needs both classes");
    }
    if (imbalance == Imbalance::kNone) {
        return train;
    }
    if (imbalance == Imbalance::kClassWeights) {
        return with_positive_weight(train, *b.negatives_per_positive);
    }

    std::uint8_t minority = b.n_positives <= b.n_negatives ? 1 : 0;
    std::vector<std::size_t> minor, major;
    for (std::size_t r = 0; r < train.n_rows; ++r) {
        (train.labels[r] == minority ? minor : major).push_back(r);
    }
    std::mt19937_64 rng(seed);
    std::vector<std::size_t> rows;
    if (imbalance == Imbalance::kOversample) {
        rows.resize(train.n_rows);
        std::iota(rows.begin(), rows.end(), 0);
        for (std::size_t k = minor.size(); k < major.size(); ++k) {
            rows.push_back(minor[rng() % minor.size()]);
        }
    } else {
        shuffle(major, rng);
        major.resize(minor.size());
        rows = minor;
        rows.insert(rows.end(), major.begin(), major.end());
        std::sort(rows.begin(), rows.end());
    }
    return select_rows(train, rows);
}

// ---- Selection ------------------------------------------------------------------------------

std::vector<std::unique_ptr<Classifier>> default_classifiers(std::uint64_t seed) {
    std::vector<std::unique_ptr<Classifier>> out;
    LogisticOptions logistic;
    logistic.train.seed = seed;
    DenseNetOptions dense;
    dense.train.seed = seed;
    GbdtOptions gbdt;
    gbdt.seed = seed;
    out.push_back(std::make_unique<LogisticRegression>(logistic));
    out.push_back(std::make_unique<DenseNet>(dense));
    out.push_back(std::make_unique<Gbdt>(gbdt));
    return out;
}

// Platt scaling of the chosen model on the validation part (predict/calibration.h); the threshold
// is chosen again on the calibrated probabilities. Kept only when it lowers the log loss of
// validation rows it was not fitted on (two-fold cross-fitting): a model that is calibrated
// already, or a validation part too small to say, stays as it is.
void calibrate(SelectionResult& result, const Dataset& valid, const std::vector<double>& p,
               const std::vector<double>& weights, const SelectionOptions& options) {
    CalibrationReport& report = result.calibration;
    report.log_loss_before = log_loss(valid.labels, p, weights);
    report.brier_before = brier_score(valid.labels, p, weights);
    std::optional<PlattScaling> platt = fit_platt(valid.labels, p, weights);
    if (!platt) {
        report.reason = "Platt scaling is undefined on the validation part";
        return;
    }
    std::optional<double> held_out = cross_fitted_log_loss(valid.labels, p, weights);
    if (held_out) {
        report.log_loss_cross_fitted = Figure::of(*held_out);
    } else {
        report.log_loss_cross_fitted = Figure::none("a half of the validation part lacks a class");
    }
    if (!held_out || !report.log_loss_before.value || *held_out >= *report.log_loss_before.value) {
        report.reason =
            "Platt scaling did not lower the log loss of validation rows it was not fitted on";
        return;
    }
    std::vector<double> q(p.size());
    for (std::size_t i = 0; i < p.size(); ++i) {
        q[i] = apply_platt(*platt, p[i]);
    }
    report.platt = platt;
    report.log_loss_after = log_loss(valid.labels, q, weights);
    report.brier_after = brier_score(valid.labels, q, weights);
    result.model = std::make_shared<CalibratedClassifier>(result.model, *platt);
    result.threshold_choice = choose_threshold(valid.labels, q, options.threshold, weights);
}

// Fewer positives than this in the validation or test part make their figures anecdotes.
constexpr std::uint64_t kFewPositives = 10;

std::vector<std::string> selection_warnings(const SelectionResult& result, const DataSplit& split) {
    std::vector<std::string> out;
    ClassBalance valid = class_balance(split.valid);
    ClassBalance test = class_balance(split.test);
    if (valid.n_positives < kFewPositives || test.n_positives < kFewPositives) {
        out.push_back("only " + std::to_string(valid.n_positives) +
                      " positives in validation and " + std::to_string(test.n_positives) +
                      " in test: the choice of model and every figure rest on a handful of cases");
    }
    const std::optional<double>& auc = result.test.roc_auc.value;
    if (auc && *auc >= 0.99) {
        std::string strongest;
        if (!result.importance.empty()) {
            auto top = std::max_element(result.importance.begin(), result.importance.end());
            std::size_t c = static_cast<std::size_t>(top - result.importance.begin());
            if (c < split.train.feature_names.size()) {
                strongest = " (the strongest feature is \"" + split.train.feature_names[c] + "\")";
            }
        }
        out.push_back("test ROC-AUC " + figure_text(result.test.roc_auc) +
                      " is almost perfect: check for a leak, a column known only after the "
                      "outcome or an id in file order" +
                      strongest);
    } else if (auc && *auc < 0.45) {
        out.push_back("test ROC-AUC " + figure_text(result.test.roc_auc) +
                      " is below chance (0.5): the model ranks the test part worse than a coin "
                      "would; the pattern it learnt does not hold there");
    } else if (auc && *auc < 0.6) {
        out.push_back("test ROC-AUC " + figure_text(result.test.roc_auc) +
                      " is close to chance (0.5): these features barely predict the target");
    }
    return out;
}

SelectionResult select_classifier(std::vector<std::unique_ptr<Classifier>> candidates,
                                  const DataSplit& split, const SelectionOptions& options) {
    if (candidates.empty()) {
        throw_invalid("model selection: no candidate models");
    }
    validate_dataset(split.valid, "validation part", true);
    validate_dataset(split.test, "test part", true);
    ClassBalance valid_balance = class_balance(split.valid);
    if (valid_balance.n_positives == 0 || valid_balance.n_negatives == 0) {
        throw_invalid("the validation part (" + std::to_string(valid_balance.n_rows) +
                      " rows) lacks " +
                      (valid_balance.n_positives == 0 ? "positives" : "negatives") +
                      "; models cannot be compared on it");
    }
    if (split.test.n_rows == 0) {
        throw_invalid("the test part is empty; the chosen model cannot be evaluated");
    }

    SelectionResult result;
    result.imbalance = options.imbalance;
    result.train_balance = class_balance(split.train);
    Dataset train = rebalance(split.train, options.imbalance, options.seed);
    result.fitted_balance = class_balance(train);
    log::info(
        "model selection: training part: " + std::to_string(result.train_balance.n_positives) +
        " positives, " + std::to_string(result.train_balance.n_negatives) + " negatives (" +
        figure_text(Figure::of(*result.train_balance.negatives_per_positive)) +
        " per positive); imbalance handling: " + to_string(options.imbalance) +
        (options.imbalance == Imbalance::kOversample || options.imbalance == Imbalance::kUndersample
             ? ", fitted on " + std::to_string(result.fitted_balance.n_positives) +
                   " positives and " + std::to_string(result.fitted_balance.n_negatives) +
                   " negatives"
             : std::string()));
    // Early stopping sees validation weighted like the training objective (see the header).
    Dataset early_stop = split.valid;
    if (options.imbalance != Imbalance::kNone) {
        early_stop =
            with_positive_weight(split.valid, *result.train_balance.negatives_per_positive);
    }
    std::vector<double> valid_weights = weights_as_double(split.valid);

    std::vector<std::shared_ptr<Classifier>> models;
    for (auto& c : candidates) {
        models.push_back(std::shared_ptr<Classifier>(std::move(c)));
    }
    std::size_t n_fitted = models.size();
    if (options.add_ensemble && models.size() >= 2) {
        models.push_back(std::make_shared<Ensemble>(models));
    }

    std::optional<std::size_t> best;
    double best_value = 0;
    std::vector<std::vector<double>> valid_probabilities;
    for (std::size_t m = 0; m < models.size(); ++m) {
        auto start = std::chrono::steady_clock::now();
        if (m < n_fitted) {
            models[m]->fit(train, early_stop);
        }
        CandidateReport report;
        report.name = models[m]->name();
        report.fit_seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        std::vector<double> p = models[m]->predict_proba(split.valid);
        valid_probabilities.push_back(p);
        report.roc_auc = roc_auc(split.valid.labels, p, valid_weights);
        report.average_precision = average_precision(split.valid.labels, p, valid_weights);
        report.log_loss = log_loss(split.valid.labels, p, valid_weights);
        report.threshold =
            choose_threshold(split.valid.labels, p, options.threshold, valid_weights);
        log::info("model selection: " + report.name + ": validation average precision " +
                  figure_text(report.average_precision) + ", ROC-AUC " +
                  figure_text(report.roc_auc) + " (fit " + std::to_string(report.fit_seconds) +
                  " s)");

        const Figure& f =
            options.metric == SelectionMetric::kRocAuc ? report.roc_auc : report.average_precision;
        if (f.value && (!best || *f.value > best_value)) {
            best = m;
            best_value = *f.value;
        }
        result.candidates.push_back(std::move(report));
    }
    if (!best) {
        throw Error(ErrorKind::kInternal, std::string("model selection: no candidate has a ") +
                                              metric_name(options.metric) + " on validation");
    }

    const CandidateReport& chosen = result.candidates[*best];
    result.model = models[*best];
    result.chosen = chosen.name;
    result.why =
        "best validation " + std::string(metric_name(options.metric)) + " " +
        figure_text(options.metric == SelectionMetric::kRocAuc ? chosen.roc_auc
                                                               : chosen.average_precision) +
        " of " + std::to_string(models.size()) + " candidates";
    result.threshold_choice = chosen.threshold;
    if (options.calibrate) {
        calibrate(result, split.valid, valid_probabilities[*best], valid_weights, options);
    }
    if (result.threshold_choice.threshold) {
        result.threshold = *result.threshold_choice.threshold;
    } else {
        result.threshold = 0.5;
        result.threshold_choice.reason += "; using 0.5";
    }

    // The test part is scored here, once, by the chosen model only.
    BinaryMetricsOptions test_options = options.test_metrics;
    test_options.threshold = result.threshold;
    std::vector<double> test_p = result.model->predict_proba(split.test);
    result.test =
        evaluate_binary(split.test.labels, test_p, test_options, weights_as_double(split.test));
    result.importance = feature_importance(*result.model, split.valid);
    result.warnings = selection_warnings(result, split);
    for (const std::string& w : result.warnings) {
        log::warn("model selection: " + w);
    }
    return result;
}

nlohmann::json to_json(const SelectionResult& result,
                       const std::vector<std::string>& feature_names) {
    nlohmann::json candidates = nlohmann::json::array();
    for (const CandidateReport& c : result.candidates) {
        nlohmann::json j = {{"name", c.name}, {"fit_seconds", c.fit_seconds}};
        put_figure(j, "roc_auc", c.roc_auc);
        put_figure(j, "average_precision", c.average_precision);
        put_figure(j, "log_loss", c.log_loss);
        j["threshold"] = to_json(c.threshold);
        candidates.push_back(std::move(j));
    }
    nlohmann::json importance = nlohmann::json::array();
    for (std::size_t c = 0; c < result.importance.size(); ++c) {
        std::string feature =
            c < feature_names.size() ? feature_names[c] : "feature_" + std::to_string(c);
        importance.push_back({{"feature", feature}, {"value", result.importance[c]}});
    }
    return {{"train_balance", balance_json(result.train_balance)},
            {"fitted_balance", balance_json(result.fitted_balance)},
            {"imbalance", to_string(result.imbalance)},
            {"candidates", std::move(candidates)},
            {"chosen", result.chosen},
            {"why", result.why},
            {"threshold", result.threshold},
            {"threshold_choice", to_json(result.threshold_choice)},
            {"test", to_json(result.test)},
            {"importance", std::move(importance)},
            {"calibration", to_json(result.calibration)},
            {"warnings", result.warnings}};
}

nlohmann::json to_json(const CalibrationReport& report) {
    nlohmann::json j;
    if (report.platt) {
        j = {{"method", "platt"},
             {"a", report.platt->a},
             {"b", report.platt->b},
             {"fitted_on", "validation part"}};
    } else {
        j = {{"method", "none"}, {"reason", report.reason}};
    }
    put_figure(j, "valid_log_loss_before", report.log_loss_before);
    put_figure(j, "valid_brier_before", report.brier_before);
    put_figure(j, "valid_log_loss_cross_fitted", report.log_loss_cross_fitted);
    if (report.platt) {
        put_figure(j, "valid_log_loss_after", report.log_loss_after);
        put_figure(j, "valid_brier_after", report.brier_after);
    }
    return j;
}

// ---- Model directories ----------------------------------------------------------------------

void save_classifier(const std::filesystem::path& dir, const Classifier& model,
                     const std::vector<std::string>& feature_names, double threshold,
                     const nlohmann::json& extra) {
    if (feature_names.size() != model.n_features()) {
        throw Error(ErrorKind::kInternal,
                    "save_classifier: " + std::to_string(feature_names.size()) +
                        " feature names for a model of " + std::to_string(model.n_features()) +
                        " features");
    }
    ModelFiles files;
    files.meta = extra.is_object() ? extra : nlohmann::json::object();
    files.meta["kind"] = model.name();
    files.meta["config"] = model.config();
    files.meta["feature_names"] = feature_names;
    files.meta["threshold"] = threshold;
    if (const auto* calibrated = dynamic_cast<const CalibratedClassifier*>(&model)) {
        files.meta["calibration"] = {
            {"method", "platt"}, {"a", calibrated->platt().a}, {"b", calibrated->platt().b}};
    }
    model.save(files.weights);
    save_model_dir(dir, files);
}

LoadedClassifier load_classifier(const std::filesystem::path& dir) {
    LoadedModelDir loaded = load_model_dir(dir);
    std::string source = (dir / "meta.json").string();
    LoadedClassifier out;
    std::string kind = meta_field<std::string>(loaded.meta, "kind", source);
    const std::vector<std::string>& kinds = classifier_kinds();
    if (std::find(kinds.begin(), kinds.end(), kind) == kinds.end()) {
        throw_invalid(dir.string() + " holds a \"" + kind +
                      "\" model, not a prediction model (those come from `sextant predict train` "
                      "and from `sextant run`, in OUT/models/churn and OUT/models/propensity)");
    }
    out.feature_names = meta_field<std::vector<std::string>>(loaded.meta, "feature_names", source);
    out.threshold = meta_field<double>(loaded.meta, "threshold", source);
    nlohmann::json config =
        loaded.meta.contains("config") ? loaded.meta["config"] : nlohmann::json::object();
    out.model = make_classifier(kind, config, source);
    out.model->load(loaded.weights);
    if (loaded.meta.contains("calibration")) {
        const nlohmann::json& c = loaded.meta["calibration"];
        std::string field = source + ": field \"calibration\"";
        if (!c.is_object() || meta_field<std::string>(c, "method", field) != "platt") {
            throw_invalid(field + ": expected {\"method\": \"platt\", \"a\", \"b\"}");
        }
        PlattScaling platt{meta_field<double>(c, "a", field), meta_field<double>(c, "b", field)};
        if (!(platt.a > 0) || !std::isfinite(platt.a) || !std::isfinite(platt.b)) {
            throw_invalid(field + ": the slope \"a\" must be a finite number above 0");
        }
        out.model = std::make_unique<CalibratedClassifier>(std::move(out.model), platt);
    }
    if (out.model->n_features() != out.feature_names.size()) {
        throw_invalid(source + ": " + std::to_string(out.feature_names.size()) +
                      " feature names for weights of " + std::to_string(out.model->n_features()) +
                      " features");
    }
    out.meta = std::move(loaded.meta);
    return out;
}

}  // namespace sextant
