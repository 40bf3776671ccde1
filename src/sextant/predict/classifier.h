// Binary classifiers (churn, purchase propensity) behind one interface, and what surrounds them:
// train/valid/test splits, class-imbalance handling, model and threshold selection on the
// validation part, a single evaluation on the test part, and model directories.
//
// The kinds (one file each): "logistic" (predict/logistic.h), "dense_net" (dense_net.h),
// "gbdt" (XGBoost, gbdt.h) and "ensemble" (ensemble.h).
//
// Imbalance is handled outside the models: rebalance() turns the training part into class
// weights or a resampled set, and every model honours the sample weights of what it is fitted
// on. The validation part a model sees in fit() (for early stopping) carries the same positive
// weight, so early stopping follows the objective the model trains on; the figures the selection
// reports are computed on the unweighted validation part.
//
// Attributions (reasons) are in log-odds units: for each row, per-feature values and a base
// value such that base + sum(values) equals the model's log-odds for the row (exactly for
// logistic and gbdt, up to the integration error for dense_net; see each model's header).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sextant/learn/model_dir.h"
#include "sextant/predict/dataset.h"
#include "sextant/predict/metrics.h"

namespace sextant {

// Per-feature attribution of one row's prediction, in log-odds.
struct Attribution {
    std::vector<double> values;  // one per feature
    double base = 0;             // the log-odds of the model's reference point
    double output = 0;           // the row's log-odds
};

class Classifier {
public:
    virtual ~Classifier() = default;

    // Short stable kind name ("logistic", "dense_net", "gbdt", "ensemble").
    virtual std::string name() const = 0;

    // Fits on `train` (its weights weight the loss) with `valid` for early stopping (an empty
    // valid falls back to train). Throws sextant::Error (kInvalidInput) with one line when either
    // set fails validate_dataset(), when they have different columns, when train is empty or
    // holds a single class, or when its weights sum to 0.
    virtual void fit(const Dataset& train, const Dataset& valid) = 0;

    // The probability of label 1 per row, each finite in [0, 1]. Labels of x are not needed.
    // Throws sextant::Error: kInternal before fit() or load(); kInvalidInput when x fails
    // validate_dataset() or has another number of columns than the model was fitted on.
    // Thread-safe once fitted.
    virtual std::vector<double> predict_proba(const Dataset& x) const = 0;

    // Attributions of every row of x (see the top of this file). Throws as predict_proba.
    virtual std::vector<Attribution> explain(const Dataset& x) const = 0;

    // The hyper-parameters, as meta.json's "config"; make_classifier() builds an unfitted model
    // of the same kind back from them.
    virtual nlohmann::json config() const = 0;
    // Adds the fitted state to `out` (arrays named "<kind>.*"). Throws kInternal before fit().
    virtual void save(Weights& out) const = 0;
    // Replaces the state with the one save() wrote; predictions then equal the saved model's
    // bit for bit. Throws sextant::Error (kInvalidInput) naming in.source() when an array is
    // missing, of another shape or unreadable.
    virtual void load(const Weights& in) = 0;

    // Columns the model was fitted on; 0 before fit() or load().
    virtual std::size_t n_features() const = 0;

    // explain() of one row. Throws kInvalidInput when row >= x.n_rows, else as explain().
    Attribution contributions(const Dataset& x, std::size_t row) const;
};

// The kinds make_classifier() knows, in the order select_classifier() reports them.
const std::vector<std::string>& classifier_kinds();

// An unfitted classifier of `kind` from `config` (as config() wrote it; an empty object gives
// the defaults). Throws sextant::Error (kInvalidInput) naming `source` on an unknown kind or a
// bad field.
std::unique_ptr<Classifier> make_classifier(const std::string& kind, const nlohmann::json& config,
                                            const std::string& source = "config");

// Mean |attribution| per feature over the rows of x: global importance, in log-odds units.
// Empty when x has no rows.
std::vector<double> feature_importance(const Classifier& model, const Dataset& x);

// ---- Splits ---------------------------------------------------------------------------------

struct SplitFractions {
    double train = 0.6;
    double valid = 0.2;
    double test = 0.2;  // the three must be >= 0 and sum to 1 (within 1e-9)
};

struct DataSplit {
    Dataset train;
    Dataset valid;
    Dataset test;  // touched once, by select_classifier()'s final evaluation
};

// A seeded stratified split: within each class the rows are shuffled, then the first
// round(train * n_c) go to train, the next round((train + valid) * n_c) - that to valid, the rest
// to test. Each part keeps its rows in their original order. Throws sextant::Error
// (kInvalidInput) on bad fractions or a dataset without labels or failing validation.
DataSplit stratified_split(const Dataset& data, const SplitFractions& fractions,
                           std::uint64_t seed);

// A split by time: rows ordered by data.times (ties by row index), the earliest
// round(train * n) to train, the next to valid, the latest to test. Rows with the same time never
// straddle two parts: a boundary moves later until the time changes, so a later part may get
// fewer rows than its fraction. Throws sextant::Error (kInvalidInput) when data has no times, on
// bad fractions or a dataset failing validation.
DataSplit split_by_time(const Dataset& data, const SplitFractions& fractions);

// ---- Imbalance ------------------------------------------------------------------------------

enum class Imbalance {
    kClassWeights,  // positive rows weigh n_neg / n_pos times their weight (the default)
    kOversample,    // minority rows drawn with replacement until both classes count the same
    kUndersample,   // majority rows drawn without replacement down to the minority's count
    kNone,          // the training part as it is
};

// Parses "class_weights" | "oversample" | "undersample" | "none" (kInvalidInput otherwise).
Imbalance parse_imbalance(const std::string& text);
std::string to_string(Imbalance imbalance);

struct ClassBalance {
    std::uint64_t n_rows = 0;
    std::uint64_t n_positives = 0;
    std::uint64_t n_negatives = 0;
    // n_negatives / n_positives, the weight kClassWeights gives positives; nullopt without
    // positives.
    std::optional<double> negatives_per_positive;
};

// Counts the classes of data (REQUIRES labels; kInvalidInput otherwise).
ClassBalance class_balance(const Dataset& data);

// The training part as `imbalance` says (seeded resampling; the original rows first, then the
// drawn ones for kOversample; the kept rows in order for kUndersample). Throws sextant::Error
// (kInvalidInput) when train fails validation or holds a single class.
Dataset rebalance(const Dataset& train, Imbalance imbalance, std::uint64_t seed);

// A copy of data with positive rows' weights multiplied by `positive_weight`.
Dataset with_positive_weight(const Dataset& data, double positive_weight);

// ---- Selection ------------------------------------------------------------------------------

enum class SelectionMetric {
    // Average precision (PR-AUC), the default: churn and propensity are imbalanced and acted on
    // at the top of the ranking, where PR-AUC looks; ROC-AUC is dominated by the many easy
    // negatives and barely moves when the top of the list improves.
    kAveragePrecision,
    kRocAuc,
};

struct SelectionOptions {
    Imbalance imbalance = Imbalance::kClassWeights;
    SelectionMetric metric = SelectionMetric::kAveragePrecision;
    ThresholdRule threshold;            // how the decision threshold is chosen on validation
    bool add_ensemble = true;           // also try the mean of the candidates (with >= 2 of them)
    bool calibrate = true;              // Platt-scale the chosen model on validation
    std::uint64_t seed = 42;            // for resampling
    BinaryMetricsOptions test_metrics;  // its threshold is replaced by the chosen one
};

// Options with `imbalance` and `seed` whose threshold rule is maximum F1, or, with
// `min_precision`, the most recall at that precision (the command line's --balance and
// --min-precision).
SelectionOptions selection_options(Imbalance imbalance, std::optional<double> min_precision,
                                   std::uint64_t seed);

// How one candidate did on the validation part (unweighted).
struct CandidateReport {
    std::string name;
    Figure roc_auc;
    Figure average_precision;
    Figure log_loss;
    ThresholdChoice threshold;
    double fit_seconds = 0;
};

// sigmoid(a * log-odds + b): Platt scaling of a model's probabilities (predict/calibration.h).
struct PlattScaling {
    double a = 1;  // slope on the model's log-odds; > 0
    double b = 0;  // intercept
};

// What calibrating the chosen model did (predict/calibration.h), on the validation part.
struct CalibrationReport {
    std::optional<PlattScaling> platt;  // nullopt: not calibrated, `reason` says why
    std::string reason;
    Figure log_loss_before;
    Figure log_loss_after;  // set only when calibrated
    // Two-fold cross-fitted log loss of the scaling (calibration.h): what decides whether it is
    // kept.
    Figure log_loss_cross_fitted;
    Figure brier_before;
    Figure brier_after;
};

struct SelectionResult {
    ClassBalance train_balance;   // the training part before rebalancing
    ClassBalance fitted_balance;  // what the models were fitted on
    Imbalance imbalance = Imbalance::kClassWeights;
    std::vector<CandidateReport> candidates;  // in the order tried (the ensemble last)
    std::string chosen;                       // name of the chosen candidate
    std::string why;                          // e.g. "best validation average precision 0.71"
    double threshold = 0.5;                   // the decision threshold chosen on validation
    ThresholdChoice threshold_choice;
    BinaryMetrics test;              // the chosen model on the test part, once
    std::vector<double> importance;  // feature_importance() on validation rows
    CalibrationReport calibration;
    // What a reader should know before trusting the figures, each one sentence (also logged):
    // too few positives to judge, a near-perfect test score (a leak?), a score near chance.
    std::vector<std::string> warnings;
    // The chosen model, fitted (wrapped in a CalibratedClassifier when calibration was kept).
    std::shared_ptr<Classifier> model;
};

// Fits every candidate on the rebalanced training part, scores them on the validation part,
// chooses the best by options.metric (ties: the earlier candidate, so simpler models win),
// calibrates it on the validation part (options.calibrate; kept when it lowers the cross-fitted
// validation log loss), chooses its threshold by options.threshold on its final validation
// probabilities (0.5 when none can be chosen, said in threshold_choice.reason), then evaluates it
// once on the test part with evaluate_binary(). The candidates' own figures are before calibration.
// Throws sextant::Error (kInvalidInput) when there is no candidate, a part fails validation, the
// training part holds a single class, the validation part lacks a class (nothing can be compared),
// or the test part is empty.
SelectionResult select_classifier(std::vector<std::unique_ptr<Classifier>> candidates,
                                  const DataSplit& split, const SelectionOptions& options = {});

// The default candidates: logistic, dense_net and gbdt with default options and `seed`.
std::vector<std::unique_ptr<Classifier>> default_classifiers(std::uint64_t seed = 42);

// JSON of a selection (no model): train_balance, fitted_balance, imbalance, candidates[], chosen,
// why, threshold, threshold_choice, test, importance[{feature, value}] (feature names of
// `feature_names`, which must match importance in length or be empty), calibration, warnings[].
// {"method": "platt", "a", "b", "fitted_on", "valid_log_loss_before", "valid_log_loss_after",
// "valid_log_loss_cross_fitted", "valid_brier_before", "valid_brier_after"}, or
// {"method": "none", "reason", the _before figures and the cross-fitted one}.
nlohmann::json to_json(const CalibrationReport& report);

nlohmann::json to_json(const SelectionResult& result,
                       const std::vector<std::string>& feature_names = {});

// ---- Model directories ----------------------------------------------------------------------

// Writes a fitted classifier as a model directory (learn/model_dir.h): meta.json holds "kind",
// "config", "feature_names" and "threshold" ("calibration" {"method": "platt", "a", "b"} for a
// CalibratedClassifier, whose kind is its inner model's), plus `extra` keys; weights.bin the
// model's arrays.
void save_classifier(const std::filesystem::path& dir, const Classifier& model,
                     const std::vector<std::string>& feature_names, double threshold,
                     const nlohmann::json& extra = nlohmann::json::object());

struct LoadedClassifier {
    std::unique_ptr<Classifier> model;
    std::vector<std::string> feature_names;
    double threshold = 0.5;
    nlohmann::json meta;
};

// Reads what save_classifier() wrote. Throws as load_model_dir() and, naming the file, on a
// bad field or weights that do not fit the config.
LoadedClassifier load_classifier(const std::filesystem::path& dir);

}  // namespace sextant
