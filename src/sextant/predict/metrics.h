// Metrics of a binary classifier (churn, purchase propensity) and the choice of its threshold.
//
// Every function takes the same three inputs:
//   - labels: 0 or 1 per sample,
//   - probabilities: the model's predicted probability of label 1, finite and in [0, 1],
//   - weights: one finite weight >= 0 per sample, or empty for all 1.
// Each throws sextant::Error (kInvalidInput) naming the first bad entry when the sizes differ or a
// value is out of range. Every mean is weighted by the sample weights.
//
// Definitions (the ones a reader of the report needs):
//   - Ties: samples with equal probabilities form one group and are never split by input order.
//     ROC-AUC is the Mann-Whitney statistic with a tied (positive, negative) pair counting 1/2,
//     which equals the trapezoid area under the ROC curve built from the tie groups. Average
//     precision is sum_k (R_k - R_{k-1}) * P_k over the distinct thresholds in descending order
//     (R_0 = 0), as scikit-learn's average_precision_score.
//   - Samples of weight 0 take no part in curves, candidate thresholds or areas (as in
//     scikit-learn); they still count in the sample counts of a confusion matrix.
//   - A sample is predicted positive at threshold t when its probability is >= t.
//   - A figure that cannot be computed (a single-class set has no ROC-AUC, nothing predicted
//     positive has no precision) is a Figure without a value and with a reason; JSON writes it as
//     null plus a "<name>_reason" field, never NaN or infinity.
//
// All functions are pure and thread-safe; none keeps a reference to its inputs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace sextant {

// A figure that may be undefined: exactly one of value and reason is set.
struct Figure {
    std::optional<double> value;
    std::string reason;  // why value is missing, e.g. "the evaluation set has only negatives"

    static Figure of(double v) { return Figure{v, {}}; }
    static Figure none(std::string why) { return Figure{std::nullopt, std::move(why)}; }
};

// Writes `figure` into `object` as object[name] = value, or object[name] = null and
// object[name + "_reason"] = reason.
void put_figure(nlohmann::json& object, const std::string& name, const Figure& figure);

// Throws Error(kInvalidInput) unless the inputs satisfy the contract at the top of this file.
void validate_binary_inputs(std::span<const std::uint8_t> labels,
                            std::span<const double> probabilities,
                            std::span<const double> weights = {});

// ---- Threshold-free figures -----------------------------------------------------------------

// Area under the ROC curve with ties counted 1/2. Undefined when the set is empty or either class
// carries zero total weight.
Figure roc_auc(std::span<const std::uint8_t> labels, std::span<const double> probabilities,
               std::span<const double> weights = {});

// Average precision, the PR-AUC (see the definitions above). Undefined when the set is empty or
// either class carries zero total weight (a set of positives only would score a meaningless 1).
Figure average_precision(std::span<const std::uint8_t> labels,
                         std::span<const double> probabilities,
                         std::span<const double> weights = {});

// Mean of -[y log p + (1 - y) log(1 - p)] with p clipped to [1e-15, 1 - 1e-15], so it is at most
// ~34.5 (scikit-learn 1.2's default clips at the float64 epsilon instead, so it differs when a
// probability is exactly 0 or 1). Undefined when the total weight is 0.
Figure log_loss(std::span<const std::uint8_t> labels, std::span<const double> probabilities,
                std::span<const double> weights = {});

// Mean of (p - y)^2. Undefined when the total weight is 0.
Figure brier_score(std::span<const std::uint8_t> labels, std::span<const double> probabilities,
                   std::span<const double> weights = {});

// Lift in the top `fraction` (0.1 = top decile): the positive rate among the highest-scoring
// `fraction` of the total weight divided by the overall positive rate. The cut is exact: with
// unit weights and n = 15 the top decile holds 1.5 samples. A tie group that straddles the cut
// enters with the part of its weight that fits and its own positive rate, so the result never
// depends on input order. Undefined when the total weight is 0 or positives weigh 0. Throws
// Error(kInvalidInput) unless 0 < fraction <= 1.
Figure lift_in_top(std::span<const std::uint8_t> labels, std::span<const double> probabilities,
                   double fraction = 0.1, std::span<const double> weights = {});

// ---- Figures at a threshold -----------------------------------------------------------------

struct ConfusionMatrix {
    // Total weights (equal to the counts when there are no weights).
    double tp = 0;  // label 1, predicted 1
    double fp = 0;  // label 0, predicted 1
    double tn = 0;  // label 0, predicted 0
    double fn = 0;  // label 1, predicted 0
    // Sample counts, whatever their weights.
    std::uint64_t n_tp = 0;
    std::uint64_t n_fp = 0;
    std::uint64_t n_tn = 0;
    std::uint64_t n_fn = 0;
};

struct ThresholdMetrics {
    double threshold = 0.5;
    ConfusionMatrix confusion;
    Figure accuracy;       // (tp + tn) / total; undefined when the total weight is 0
    Figure precision;      // tp / (tp + fp); undefined when nothing is predicted positive
    Figure recall;         // tp / (tp + fn); undefined when positives weigh 0
    Figure f1;             // 2 tp / (2 tp + fp + fn): 0 when positives exist but none is found;
                           // undefined only when there are no positives and no predicted ones
    Figure positive_rate;  // (tp + fp) / total, the share predicted positive
};

// The confusion matrix and rates at `threshold`. Throws Error(kInvalidInput) when threshold is
// NaN (any other value is allowed: above 1 predicts nothing positive).
ThresholdMetrics metrics_at(std::span<const std::uint8_t> labels,
                            std::span<const double> probabilities, double threshold,
                            std::span<const double> weights = {});

// ---- Calibration ----------------------------------------------------------------------------

struct CalibrationBin {
    double lower = 0;  // the bin holds lower <= p < upper (the last bin also holds p == 1)
    double upper = 0;
    std::uint64_t count = 0;  // samples in the bin, whatever their weights
    double weight = 0;        // their total weight
    Figure mean_predicted;    // weighted mean probability; undefined when the bin weighs 0
    Figure observed_rate;     // weighted share of label 1; undefined when the bin weighs 0
};

// Equal-width bins over [0, 1]. Equal width rather than quantiles so that a bin means the same
// ("predicted 20-30%") for every model and run and reads directly as a reliability chart;
// quantile bins would move with the score distribution and collapse on heavy ties.
struct CalibrationTable {
    std::vector<CalibrationBin> bins;
    // Expected calibration error: sum over bins of (bin weight / total) * |observed - predicted|.
    // Undefined when the total weight is 0.
    Figure expected_calibration_error;
};

// Throws Error(kInvalidInput) unless n_bins >= 1.
CalibrationTable calibration_table(std::span<const std::uint8_t> labels,
                                   std::span<const double> probabilities, std::size_t n_bins = 10,
                                   std::span<const double> weights = {});

// ---- Curves for charts ----------------------------------------------------------------------

struct RocPoint {
    double fpr = 0;
    double tpr = 0;
    std::optional<double> threshold;  // nullopt at the origin (a threshold above every score)
};

struct PrPoint {
    double recall = 0;
    double precision = 0;
    double threshold = 0;
};

// ROC points: the origin, then one point per distinct threshold in descending order, ending at
// (1, 1). Empty when either class weighs 0 (the curve is then undefined). When the curve has more
// than max_points points, it is thinned to at most max_points by arc length (both ends kept), so
// steep and flat stretches keep their shape; the areas above always use every point. Throws
// Error(kInvalidInput) unless max_points >= 2.
std::vector<RocPoint> roc_curve(std::span<const std::uint8_t> labels,
                                std::span<const double> probabilities, std::size_t max_points = 200,
                                std::span<const double> weights = {});

// Precision-recall points, one per distinct threshold in descending order (recall rising), with
// no artificial end point. Empty when either class weighs 0. Thinned as roc_curve.
std::vector<PrPoint> pr_curve(std::span<const std::uint8_t> labels,
                              std::span<const double> probabilities, std::size_t max_points = 200,
                              std::span<const double> weights = {});

// ---- Threshold choice -----------------------------------------------------------------------

enum class ThresholdGoal {
    kMaxF1,  // the candidate with the highest F1; on equal F1, the highest threshold
    // The candidate with the highest recall among those with precision >= min_precision; on
    // equal recall, the highest threshold (which has the best precision). That is the lowest
    // threshold reaching min_precision unless lowering it further only adds negatives. When no
    // candidate reaches min_precision, falls back to kMaxF1 and says so.
    kMinPrecision,
};

struct ThresholdRule {
    ThresholdGoal goal = ThresholdGoal::kMaxF1;
    double min_precision = 0.9;  // kMinPrecision only; in [0, 1]
};

struct ThresholdChoice {
    // The chosen threshold, one of the distinct scores of the (positive-weight) samples; nullopt
    // when none can be chosen (an empty set or one without positives), with reason saying why.
    std::optional<double> threshold;
    std::string reason;          // e.g. "max F1 0.615 at 0.31"
    bool fell_back = false;      // kMinPrecision could not be met and kMaxF1 was used
    ThresholdMetrics at_choice;  // metrics_at the chosen threshold (when one was chosen)
};

// Chooses a decision threshold on validation data by `rule`. Candidates are the distinct scores.
// Throws Error(kInvalidInput) for bad inputs or a min_precision outside [0, 1].
ThresholdChoice choose_threshold(std::span<const std::uint8_t> labels,
                                 std::span<const double> probabilities, const ThresholdRule& rule,
                                 std::span<const double> weights = {});

// ---- Everything at once ---------------------------------------------------------------------

struct BinaryMetricsOptions {
    double threshold = 0.5;               // where the confusion matrix and its rates are taken
    std::size_t n_calibration_bins = 10;  // equal-width bins of the calibration table
    std::size_t max_curve_points = 200;   // per chart curve, after thinning
    double lift_fraction = 0.1;           // 0.1: lift in the top decile
};

struct BinaryMetrics {
    std::uint64_t n_samples = 0;
    std::uint64_t n_positives = 0;
    double total_weight = 0;
    Figure prevalence;  // weighted share of label 1
    Figure roc_auc;
    Figure average_precision;
    Figure log_loss;
    Figure brier_score;
    Figure lift;  // in the top options.lift_fraction
    double lift_fraction = 0.1;
    ThresholdMetrics at_threshold;
    CalibrationTable calibration;
    std::vector<RocPoint> roc_curve;
    std::vector<PrPoint> pr_curve;
};

// All the figures above in one pass over a single sort. Throws as the functions above.
BinaryMetrics evaluate_binary(std::span<const std::uint8_t> labels,
                              std::span<const double> probabilities,
                              const BinaryMetricsOptions& options = {},
                              std::span<const double> weights = {});

// JSON forms. Undefined figures are null with a "<name>_reason" field; no NaN or infinity.
// ConfusionMatrix: tp, fp, tn, fn (weights), n_tp, n_fp, n_tn, n_fn.
// ThresholdMetrics: threshold (null + threshold_reason when infinite), confusion, accuracy,
//   precision, recall, f1, positive_rate.
// CalibrationTable: bins[] (lower, upper, count, weight, mean_predicted, observed_rate),
//   expected_calibration_error.
// ThresholdChoice: threshold (null + threshold_reason when none), reason, fell_back, at_choice.
// BinaryMetrics: n_samples, n_positives, total_weight, prevalence, roc_auc, average_precision,
//   log_loss, brier_score, lift, lift_fraction, at_threshold, calibration,
//   roc_curve[] ({fpr, tpr, threshold}, threshold null at the origin),
//   pr_curve[] ({recall, precision, threshold}).
nlohmann::json to_json(const ConfusionMatrix& confusion);
nlohmann::json to_json(const ThresholdMetrics& metrics);
nlohmann::json to_json(const CalibrationTable& table);
nlohmann::json to_json(const ThresholdChoice& choice);
nlohmann::json to_json(const BinaryMetrics& metrics);

}  // namespace sextant
