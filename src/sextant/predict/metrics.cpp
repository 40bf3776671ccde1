#include "sextant/predict/metrics.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>

#include "sextant/core/error.h"

namespace sextant {
namespace {

constexpr double kLogLossEpsilon = 1e-15;
// Slack on the precision constraint, so that a precision meant to be exactly min_precision (say
// 9 of 10) is not lost to rounding in sums of fractional weights.
constexpr double kPrecisionSlack = 1e-12;

std::string format_number(double value) {
    char buffer[32];
    std::snprintf(buffer, sizeof(buffer), "%.4g", value);
    return buffer;
}

double weight_of(std::span<const double> weights, std::size_t i) {
    return weights.empty() ? 1.0 : weights[i];
}

// The positive-weight samples grouped by equal probability, in descending order of probability.
struct ScoreGroups {
    std::vector<double> thresholds;
    std::vector<double> positive;  // weight of label-1 samples in each group
    std::vector<double> negative;  // weight of label-0 samples in each group
    double total_positive = 0;
    double total_negative = 0;
    std::uint64_t n_samples = 0;
    std::uint64_t n_positives = 0;
};

ScoreGroups group_scores(std::span<const std::uint8_t> labels,
                         std::span<const double> probabilities, std::span<const double> weights) {
    ScoreGroups groups;
    groups.n_samples = labels.size();
    std::vector<std::size_t> order;
    order.reserve(labels.size());
    for (std::size_t i = 0; i < labels.size(); ++i) {
        groups.n_positives += labels[i];
        if (weight_of(weights, i) > 0) {
            order.push_back(i);
        }
    }
    std::sort(order.begin(), order.end(),
              [&](std::size_t a, std::size_t b) { return probabilities[a] > probabilities[b]; });

    for (std::size_t i : order) {
        double p = probabilities[i];
        if (groups.thresholds.empty() || p != groups.thresholds.back()) {
            groups.thresholds.push_back(p);
            groups.positive.push_back(0);
            groups.negative.push_back(0);
        }
        double w = weight_of(weights, i);
        (labels[i] ? groups.positive : groups.negative).back() += w;
        (labels[i] ? groups.total_positive : groups.total_negative) += w;
    }
    return groups;
}

// Why a total-weight mean is undefined, or nullopt when it is defined.
std::optional<std::string> no_weight_reason(const ScoreGroups& groups) {
    if (groups.n_samples == 0) {
        return "the evaluation set is empty";
    }
    if (groups.total_positive + groups.total_negative <= 0) {
        return "all sample weights are 0";
    }
    return std::nullopt;
}

// Why a figure needing both classes is undefined, or nullopt when both carry weight.
std::optional<std::string> one_class_reason(const ScoreGroups& groups) {
    if (auto reason = no_weight_reason(groups)) {
        return reason;
    }
    if (groups.n_positives == 0) {
        return "the evaluation set has only negatives";
    }
    if (groups.n_positives == groups.n_samples) {
        return "the evaluation set has only positives";
    }
    if (groups.total_positive <= 0) {
        return "the positives carry zero total weight";
    }
    if (groups.total_negative <= 0) {
        return "the negatives carry zero total weight";
    }
    return std::nullopt;
}

Figure roc_auc_of(const ScoreGroups& groups) {
    if (auto reason = one_class_reason(groups)) {
        return Figure::none(*reason);
    }
    // Each negative beats no positive above it and ties half of those in its own group, so the
    // group adds negative * (positives above + half the group's positives): the trapezoid.
    double positives_above = 0;
    double area = 0;
    for (std::size_t k = 0; k < groups.thresholds.size(); ++k) {
        area += groups.negative[k] * (positives_above + groups.positive[k] / 2);
        positives_above += groups.positive[k];
    }
    return Figure::of(area / (groups.total_positive * groups.total_negative));
}

Figure average_precision_of(const ScoreGroups& groups) {
    if (auto reason = one_class_reason(groups)) {
        return Figure::none(*reason);
    }
    double tp = 0;
    double fp = 0;
    double sum = 0;
    for (std::size_t k = 0; k < groups.thresholds.size(); ++k) {
        tp += groups.positive[k];
        fp += groups.negative[k];
        // The recall step is positive[k] / total_positive; the precision is taken after the step.
        sum += groups.positive[k] * (tp / (tp + fp));
    }
    return Figure::of(sum / groups.total_positive);
}

Figure lift_of(const ScoreGroups& groups, double fraction) {
    if (auto reason = no_weight_reason(groups)) {
        return Figure::none(*reason);
    }
    if (groups.total_positive <= 0) {
        return Figure::none(groups.n_positives == 0 ? "the evaluation set has only negatives"
                                                    : "the positives carry zero total weight");
    }
    double total = groups.total_positive + groups.total_negative;
    double cut = fraction * total;

    // Walk down the groups until the cut; the group that straddles it enters in proportion.
    double taken = 0;
    double taken_positive = 0;
    for (std::size_t k = 0; k < groups.thresholds.size() && taken < cut; ++k) {
        double group_weight = groups.positive[k] + groups.negative[k];
        double part = std::min(group_weight, cut - taken);
        taken_positive += part * (groups.positive[k] / group_weight);
        taken += part;
    }
    return Figure::of((taken_positive / cut) / (groups.total_positive / total));
}

// Indices of at most max_points of `points` (x, y), spread evenly by arc length, keeping both
// ends. Returns every index when there are no more than max_points.
std::vector<std::size_t> thin_by_arc_length(const std::vector<std::pair<double, double>>& points,
                                            std::size_t max_points) {
    std::size_t n = points.size();
    std::vector<std::size_t> kept;
    if (n <= max_points) {
        kept.resize(n);
        std::iota(kept.begin(), kept.end(), std::size_t{0});
        return kept;
    }
    std::vector<double> length(n, 0.0);
    for (std::size_t i = 1; i < n; ++i) {
        length[i] = length[i - 1] + std::hypot(points[i].first - points[i - 1].first,
                                               points[i].second - points[i - 1].second);
    }

    // One pick per evenly spaced target length: the first point at or beyond it. A curve of zero
    // length (all points equal) keeps its two ends.
    std::size_t j = 0;
    for (std::size_t k = 0; k + 1 < max_points; ++k) {
        double target =
            length[n - 1] * static_cast<double>(k) / static_cast<double>(max_points - 1);
        while (j < n - 1 && length[j] < target) {
            ++j;
        }
        if (kept.empty() || kept.back() != j) {
            kept.push_back(j);
        }
    }
    if (kept.back() != n - 1) {
        kept.push_back(n - 1);
    }
    return kept;
}

std::vector<RocPoint> roc_curve_of(const ScoreGroups& groups, std::size_t max_points) {
    if (one_class_reason(groups)) {
        return {};
    }
    std::vector<RocPoint> full{RocPoint{0, 0, std::nullopt}};
    double tp = 0;
    double fp = 0;
    for (std::size_t k = 0; k < groups.thresholds.size(); ++k) {
        tp += groups.positive[k];
        fp += groups.negative[k];
        full.push_back(
            RocPoint{fp / groups.total_negative, tp / groups.total_positive, groups.thresholds[k]});
    }
    // The last point is (1, 1) exactly, whatever the rounding of the running sums.
    full.back().fpr = 1;
    full.back().tpr = 1;

    std::vector<std::pair<double, double>> xy;
    for (const RocPoint& point : full) {
        xy.emplace_back(point.fpr, point.tpr);
    }
    std::vector<RocPoint> thinned;
    for (std::size_t i : thin_by_arc_length(xy, max_points)) {
        thinned.push_back(full[i]);
    }
    return thinned;
}

std::vector<PrPoint> pr_curve_of(const ScoreGroups& groups, std::size_t max_points) {
    if (one_class_reason(groups)) {
        return {};
    }
    std::vector<PrPoint> full;
    double tp = 0;
    double fp = 0;
    for (std::size_t k = 0; k < groups.thresholds.size(); ++k) {
        tp += groups.positive[k];
        fp += groups.negative[k];
        full.push_back(PrPoint{tp / groups.total_positive, tp / (tp + fp), groups.thresholds[k]});
    }
    full.back().recall = 1;

    std::vector<std::pair<double, double>> xy;
    for (const PrPoint& point : full) {
        xy.emplace_back(point.recall, point.precision);
    }
    std::vector<PrPoint> thinned;
    for (std::size_t i : thin_by_arc_length(xy, max_points)) {
        thinned.push_back(full[i]);
    }
    return thinned;
}

void check_max_points(std::size_t max_points) {
    if (max_points < 2) {
        throw_invalid("a curve needs max_points >= 2, got " + std::to_string(max_points));
    }
}

void check_fraction(double fraction) {
    if (!(fraction > 0 && fraction <= 1)) {
        throw_invalid("the lift fraction must be in (0, 1], got " + format_number(fraction));
    }
}

// Fills the rates of metrics.confusion, with reasons where a denominator is 0.
void fill_rates(ThresholdMetrics& metrics) {
    const ConfusionMatrix& c = metrics.confusion;
    double total = c.tp + c.fp + c.tn + c.fn;
    std::uint64_t n = c.n_tp + c.n_fp + c.n_tn + c.n_fn;
    std::string empty_reason = n == 0 ? "the evaluation set is empty" : "all sample weights are 0";
    std::string at = " at threshold " + format_number(metrics.threshold);

    if (total > 0) {
        metrics.accuracy = Figure::of((c.tp + c.tn) / total);
        metrics.positive_rate = Figure::of((c.tp + c.fp) / total);
    } else {
        metrics.accuracy = Figure::none(empty_reason);
        metrics.positive_rate = Figure::none(empty_reason);
    }
    metrics.precision = c.tp + c.fp > 0 ? Figure::of(c.tp / (c.tp + c.fp))
                                        : Figure::none("no sample is predicted positive" + at);
    metrics.recall = c.tp + c.fn > 0 ? Figure::of(c.tp / (c.tp + c.fn))
                                     : Figure::none("the evaluation set has no positives");
    double f1_denominator = 2 * c.tp + c.fp + c.fn;
    metrics.f1 = f1_denominator > 0
                     ? Figure::of(2 * c.tp / f1_denominator)
                     : Figure::none("there are no positives and none is predicted" + at);
}

ThresholdMetrics metrics_at_unchecked(std::span<const std::uint8_t> labels,
                                      std::span<const double> probabilities, double threshold,
                                      std::span<const double> weights) {
    ThresholdMetrics metrics;
    metrics.threshold = threshold;
    ConfusionMatrix& c = metrics.confusion;
    for (std::size_t i = 0; i < labels.size(); ++i) {
        double w = weight_of(weights, i);
        bool predicted = probabilities[i] >= threshold;
        if (labels[i]) {
            (predicted ? c.tp : c.fn) += w;
            ++(predicted ? c.n_tp : c.n_fn);
        } else {
            (predicted ? c.fp : c.tn) += w;
            ++(predicted ? c.n_fp : c.n_tn);
        }
    }
    fill_rates(metrics);
    return metrics;
}

CalibrationTable calibration_unchecked(std::span<const std::uint8_t> labels,
                                       std::span<const double> probabilities, std::size_t n_bins,
                                       std::span<const double> weights) {
    CalibrationTable table;
    table.bins.resize(n_bins);
    std::vector<double> sum_predicted(n_bins, 0.0);
    std::vector<double> sum_observed(n_bins, 0.0);
    double scale = static_cast<double>(n_bins);
    for (std::size_t b = 0; b < n_bins; ++b) {
        table.bins[b].lower = static_cast<double>(b) / scale;
        table.bins[b].upper = static_cast<double>(b + 1) / scale;
    }

    for (std::size_t i = 0; i < labels.size(); ++i) {
        double p = probabilities[i];
        // floor(p * n_bins) can land one bin off an edge by rounding; the edges decide.
        auto b = std::min(static_cast<std::size_t>(p * scale), n_bins - 1);
        if (b > 0 && p < table.bins[b].lower) {
            --b;
        } else if (b + 1 < n_bins && p >= table.bins[b].upper) {
            ++b;
        }
        double w = weight_of(weights, i);
        table.bins[b].count += 1;
        table.bins[b].weight += w;
        sum_predicted[b] += w * p;
        sum_observed[b] += w * labels[i];
    }

    double total = 0;
    double gap = 0;
    for (std::size_t b = 0; b < n_bins; ++b) {
        CalibrationBin& bin = table.bins[b];
        total += bin.weight;
        if (bin.weight <= 0) {
            std::string why = bin.count == 0 ? "no sample falls in this bin"
                                             : "the samples in this bin have zero total weight";
            bin.mean_predicted = Figure::none(why);
            bin.observed_rate = Figure::none(why);
            continue;
        }
        bin.mean_predicted = Figure::of(sum_predicted[b] / bin.weight);
        bin.observed_rate = Figure::of(sum_observed[b] / bin.weight);
        gap += std::abs(sum_observed[b] - sum_predicted[b]);
    }
    if (total > 0) {
        table.expected_calibration_error = Figure::of(gap / total);
    } else {
        table.expected_calibration_error = Figure::none(
            labels.empty() ? "the evaluation set is empty" : "all sample weights are 0");
    }
    return table;
}

// Weighted mean of loss(label, probability), undefined when the total weight is 0.
template <typename Loss>
Figure weighted_mean(std::span<const std::uint8_t> labels, std::span<const double> probabilities,
                     std::span<const double> weights, Loss loss) {
    double total = 0;
    double sum = 0;
    for (std::size_t i = 0; i < labels.size(); ++i) {
        double w = weight_of(weights, i);
        if (w > 0) {
            total += w;
            sum += w * loss(labels[i], probabilities[i]);
        }
    }
    if (labels.empty()) {
        return Figure::none("the evaluation set is empty");
    }
    if (total <= 0) {
        return Figure::none("all sample weights are 0");
    }
    return Figure::of(sum / total);
}

double log_loss_term(std::uint8_t label, double p) {
    double clipped = std::clamp(p, kLogLossEpsilon, 1 - kLogLossEpsilon);
    return label ? -std::log(clipped) : -std::log(1 - clipped);
}

double brier_term(std::uint8_t label, double p) {
    double d = p - label;
    return d * d;
}

nlohmann::json to_json(const RocPoint& point) {
    nlohmann::json threshold = point.threshold ? nlohmann::json(*point.threshold) : nullptr;
    return {{"fpr", point.fpr}, {"tpr", point.tpr}, {"threshold", threshold}};
}

nlohmann::json to_json(const PrPoint& point) {
    return {
        {"recall", point.recall}, {"precision", point.precision}, {"threshold", point.threshold}};
}

}  // namespace

void put_figure(nlohmann::json& object, const std::string& name, const Figure& figure) {
    if (figure.value) {
        object[name] = *figure.value;
    } else {
        object[name] = nullptr;
        object[name + "_reason"] = figure.reason;
    }
}

void validate_binary_inputs(std::span<const std::uint8_t> labels,
                            std::span<const double> probabilities,
                            std::span<const double> weights) {
    if (probabilities.size() != labels.size()) {
        throw_invalid("there are " + std::to_string(labels.size()) + " labels but " +
                      std::to_string(probabilities.size()) + " probabilities");
    }
    if (!weights.empty() && weights.size() != labels.size()) {
        throw_invalid("there are " + std::to_string(weights.size()) +
                      " sample weights; expected none or one per label (" +
                      std::to_string(labels.size()) + ")");
    }
    for (std::size_t i = 0; i < labels.size(); ++i) {
        if (labels[i] > 1) {
            throw_invalid("label " + std::to_string(i) + " is " + std::to_string(labels[i]) +
                          "; labels must be 0 or 1");
        }
        double p = probabilities[i];
        if (!(p >= 0 && p <= 1)) {
            throw_invalid("probability " + std::to_string(i) + " is " + format_number(p) +
                          "; probabilities must be finite and in [0, 1]");
        }
        if (!weights.empty() && !(std::isfinite(weights[i]) && weights[i] >= 0)) {
            throw_invalid("sample weight " + std::to_string(i) + " is " +
                          format_number(weights[i]) + "; weights must be finite and >= 0");
        }
    }
}

Figure roc_auc(std::span<const std::uint8_t> labels, std::span<const double> probabilities,
               std::span<const double> weights) {
    validate_binary_inputs(labels, probabilities, weights);
    return roc_auc_of(group_scores(labels, probabilities, weights));
}

Figure average_precision(std::span<const std::uint8_t> labels,
                         std::span<const double> probabilities, std::span<const double> weights) {
    validate_binary_inputs(labels, probabilities, weights);
    return average_precision_of(group_scores(labels, probabilities, weights));
}

Figure log_loss(std::span<const std::uint8_t> labels, std::span<const double> probabilities,
                std::span<const double> weights) {
    validate_binary_inputs(labels, probabilities, weights);
    return weighted_mean(labels, probabilities, weights, log_loss_term);
}

Figure brier_score(std::span<const std::uint8_t> labels, std::span<const double> probabilities,
                   std::span<const double> weights) {
    validate_binary_inputs(labels, probabilities, weights);
    return weighted_mean(labels, probabilities, weights, brier_term);
}

Figure lift_in_top(std::span<const std::uint8_t> labels, std::span<const double> probabilities,
                   double fraction, std::span<const double> weights) {
    validate_binary_inputs(labels, probabilities, weights);
    check_fraction(fraction);
    return lift_of(group_scores(labels, probabilities, weights), fraction);
}

ThresholdMetrics metrics_at(std::span<const std::uint8_t> labels,
                            std::span<const double> probabilities, double threshold,
                            std::span<const double> weights) {
    validate_binary_inputs(labels, probabilities, weights);
    if (std::isnan(threshold)) {
        throw_invalid("the decision threshold is NaN");
    }
    return metrics_at_unchecked(labels, probabilities, threshold, weights);
}

CalibrationTable calibration_table(std::span<const std::uint8_t> labels,
                                   std::span<const double> probabilities, std::size_t n_bins,
                                   std::span<const double> weights) {
    validate_binary_inputs(labels, probabilities, weights);
    if (n_bins < 1) {
        throw_invalid("a calibration table needs at least 1 bin");
    }
    return calibration_unchecked(labels, probabilities, n_bins, weights);
}

std::vector<RocPoint> roc_curve(std::span<const std::uint8_t> labels,
                                std::span<const double> probabilities, std::size_t max_points,
                                std::span<const double> weights) {
    validate_binary_inputs(labels, probabilities, weights);
    check_max_points(max_points);
    return roc_curve_of(group_scores(labels, probabilities, weights), max_points);
}

std::vector<PrPoint> pr_curve(std::span<const std::uint8_t> labels,
                              std::span<const double> probabilities, std::size_t max_points,
                              std::span<const double> weights) {
    validate_binary_inputs(labels, probabilities, weights);
    check_max_points(max_points);
    return pr_curve_of(group_scores(labels, probabilities, weights), max_points);
}

ThresholdChoice choose_threshold(std::span<const std::uint8_t> labels,
                                 std::span<const double> probabilities, const ThresholdRule& rule,
                                 std::span<const double> weights) {
    validate_binary_inputs(labels, probabilities, weights);
    if (!(rule.min_precision >= 0 && rule.min_precision <= 1)) {
        throw_invalid("min_precision must be in [0, 1], got " + format_number(rule.min_precision));
    }
    ScoreGroups groups = group_scores(labels, probabilities, weights);
    ThresholdChoice choice;
    if (auto reason = no_weight_reason(groups)) {
        choice.reason = *reason + "; no threshold can be chosen";
        return choice;
    }
    if (groups.total_positive <= 0) {
        choice.reason = (groups.n_positives == 0 ? "the evaluation set has only negatives"
                                                 : "the positives carry zero total weight") +
                        std::string("; no threshold can be chosen");
        return choice;
    }

    // One pass down the candidates: the best F1 and the best feasible recall. Strict comparisons
    // keep the higher threshold on ties, since candidates come in descending order.
    std::optional<std::size_t> best_f1;
    std::optional<std::size_t> best_recall;
    double best_f1_value = -1;
    double best_recall_tp = -1;
    double tp = 0;
    double fp = 0;
    for (std::size_t k = 0; k < groups.thresholds.size(); ++k) {
        tp += groups.positive[k];
        fp += groups.negative[k];
        double fn = groups.total_positive - tp;
        double f1 = 2 * tp / (2 * tp + fp + fn);
        if (f1 > best_f1_value) {
            best_f1_value = f1;
            best_f1 = k;
        }
        if (tp / (tp + fp) >= rule.min_precision - kPrecisionSlack && tp > best_recall_tp) {
            best_recall_tp = tp;
            best_recall = k;
        }
    }

    std::size_t chosen = *best_f1;
    if (rule.goal == ThresholdGoal::kMinPrecision && best_recall) {
        chosen = *best_recall;
    }
    choice.threshold = groups.thresholds[chosen];
    choice.at_choice = metrics_at_unchecked(labels, probabilities, *choice.threshold, weights);
    std::string at = " at " + format_number(*choice.threshold);
    std::string max_f1 = "max F1 " + format_number(*choice.at_choice.f1.value) + at;
    if (rule.goal == ThresholdGoal::kMaxF1) {
        choice.reason = max_f1;
    } else if (best_recall) {
        choice.reason = "max recall " + format_number(*choice.at_choice.recall.value) +
                        " with precision >= " + format_number(rule.min_precision) + ": precision " +
                        format_number(*choice.at_choice.precision.value) + at;
    } else {
        choice.fell_back = true;
        choice.reason = "no threshold reaches precision " + format_number(rule.min_precision) +
                        "; using " + max_f1;
    }
    return choice;
}

BinaryMetrics evaluate_binary(std::span<const std::uint8_t> labels,
                              std::span<const double> probabilities,
                              const BinaryMetricsOptions& options,
                              std::span<const double> weights) {
    validate_binary_inputs(labels, probabilities, weights);
    if (std::isnan(options.threshold)) {
        throw_invalid("the decision threshold is NaN");
    }
    if (options.n_calibration_bins < 1) {
        throw_invalid("a calibration table needs at least 1 bin");
    }
    check_max_points(options.max_curve_points);
    check_fraction(options.lift_fraction);

    ScoreGroups groups = group_scores(labels, probabilities, weights);
    BinaryMetrics metrics;
    metrics.n_samples = groups.n_samples;
    metrics.n_positives = groups.n_positives;
    metrics.total_weight = groups.total_positive + groups.total_negative;
    if (auto reason = no_weight_reason(groups)) {
        metrics.prevalence = Figure::none(*reason);
    } else {
        metrics.prevalence = Figure::of(groups.total_positive / metrics.total_weight);
    }
    metrics.roc_auc = roc_auc_of(groups);
    metrics.average_precision = average_precision_of(groups);
    metrics.log_loss = weighted_mean(labels, probabilities, weights, log_loss_term);
    metrics.brier_score = weighted_mean(labels, probabilities, weights, brier_term);
    metrics.lift = lift_of(groups, options.lift_fraction);
    metrics.lift_fraction = options.lift_fraction;
    metrics.at_threshold = metrics_at_unchecked(labels, probabilities, options.threshold, weights);
    metrics.calibration =
        calibration_unchecked(labels, probabilities, options.n_calibration_bins, weights);
    metrics.roc_curve = roc_curve_of(groups, options.max_curve_points);
    metrics.pr_curve = pr_curve_of(groups, options.max_curve_points);
    return metrics;
}

nlohmann::json to_json(const ConfusionMatrix& c) {
    return {{"tp", c.tp},     {"fp", c.fp},     {"tn", c.tn},     {"fn", c.fn},
            {"n_tp", c.n_tp}, {"n_fp", c.n_fp}, {"n_tn", c.n_tn}, {"n_fn", c.n_fn}};
}

nlohmann::json to_json(const ThresholdMetrics& metrics) {
    nlohmann::json out = {{"threshold", metrics.threshold},
                          {"confusion", to_json(metrics.confusion)}};
    if (!std::isfinite(metrics.threshold)) {
        out["threshold"] = nullptr;
        out["threshold_reason"] = metrics.threshold > 0 ? "infinite (nothing predicted positive)"
                                                        : "-infinite (all predicted positive)";
    }
    put_figure(out, "accuracy", metrics.accuracy);
    put_figure(out, "precision", metrics.precision);
    put_figure(out, "recall", metrics.recall);
    put_figure(out, "f1", metrics.f1);
    put_figure(out, "positive_rate", metrics.positive_rate);
    return out;
}

nlohmann::json to_json(const CalibrationTable& table) {
    nlohmann::json bins = nlohmann::json::array();
    for (const CalibrationBin& bin : table.bins) {
        nlohmann::json row = {{"lower", bin.lower},
                              {"upper", bin.upper},
                              {"count", bin.count},
                              {"weight", bin.weight}};
        put_figure(row, "mean_predicted", bin.mean_predicted);
        put_figure(row, "observed_rate", bin.observed_rate);
        bins.push_back(std::move(row));
    }
    nlohmann::json out = {{"bins", std::move(bins)}};
    put_figure(out, "expected_calibration_error", table.expected_calibration_error);
    return out;
}

nlohmann::json to_json(const ThresholdChoice& choice) {
    nlohmann::json out;
    put_figure(out, "threshold",
               choice.threshold ? Figure::of(*choice.threshold) : Figure::none(choice.reason));
    out["reason"] = choice.reason;
    out["fell_back"] = choice.fell_back;
    if (choice.threshold) {
        out["at_choice"] = to_json(choice.at_choice);
    }
    return out;
}

nlohmann::json to_json(const BinaryMetrics& metrics) {
    nlohmann::json out = {{"n_samples", metrics.n_samples},
                          {"n_positives", metrics.n_positives},
                          {"total_weight", metrics.total_weight}};
    put_figure(out, "prevalence", metrics.prevalence);
    put_figure(out, "roc_auc", metrics.roc_auc);
    put_figure(out, "average_precision", metrics.average_precision);
    put_figure(out, "log_loss", metrics.log_loss);
    put_figure(out, "brier_score", metrics.brier_score);
    put_figure(out, "lift", metrics.lift);
    out["lift_fraction"] = metrics.lift_fraction;
    out["at_threshold"] = to_json(metrics.at_threshold);
    out["calibration"] = to_json(metrics.calibration);
    out["roc_curve"] = nlohmann::json::array();
    for (const RocPoint& point : metrics.roc_curve) {
        out["roc_curve"].push_back(to_json(point));
    }
    out["pr_curve"] = nlohmann::json::array();
    for (const PrPoint& point : metrics.pr_curve) {
        out["pr_curve"].push_back(to_json(point));
    }
    return out;
}

}  // namespace sextant
