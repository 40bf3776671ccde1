#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "sextant/core/error.h"
#include "sextant/predict/metrics.h"

namespace sextant {
namespace {

using Labels = std::vector<std::uint8_t>;
using Values = std::vector<double>;

// The running example: six samples with two tie groups that mix the classes.
//   p:   0.9  0.8  0.8  0.4  0.4  0.1
//   y:   1    0    1    0    1    0
const Labels kLabels = {1, 0, 1, 0, 1, 0};
const Values kProbs = {0.9, 0.8, 0.8, 0.4, 0.4, 0.1};
// Weights for the weighted variant (positives weigh 2 + 1 + 1 = 4, negatives 1 + 3 + 2 = 6).
const Values kWeights = {2, 1, 1, 3, 1, 2};

double value(const Figure& figure) {
    EXPECT_TRUE(figure.value.has_value()) << "undefined: " << figure.reason;
    return figure.value.value_or(-1);
}

// The deterministic generator the scikit-learn scratch script replicates (64-bit LCG, top 53
// bits as a double in [0, 1)).
class Lcg {
public:
    explicit Lcg(std::uint64_t seed) : state_(seed) {}
    double next() {
        state_ = state_ * 6364136223846793005ull + 1442695040888963407ull;
        return static_cast<double>(state_ >> 11) * (1.0 / 9007199254740992.0);
    }

private:
    std::uint64_t state_;
};

// n samples with probabilities on a grid of 50 values (many ties), labels drawn with
// P(y = 1) = 0.2 + 0.6 p and weights in {0.5, 1, 1.5, 2}.
void make_tied_data(std::size_t n, std::uint64_t seed, Labels& labels, Values& probs,
                    Values& weights) {
    Lcg rng(seed);
    for (std::size_t i = 0; i < n; ++i) {
        double u1 = rng.next();
        double u2 = rng.next();
        double u3 = rng.next();
        double p = static_cast<int>(u1 * 50) / 50.0;
        probs.push_back(p);
        labels.push_back(u2 < 0.2 + 0.6 * p ? 1 : 0);
        weights.push_back(0.5 + static_cast<int>(u3 * 4) * 0.5);
    }
}

TEST(PredictMetrics, RocAucCountsTiedPairsAsHalf) {
    // Pairs (positive, negative), 3 x 3 = 9:
    //   pos 0.9 beats 0.8, 0.4, 0.1                    -> 3
    //   pos 0.8 ties 0.8 (1/2), beats 0.4, 0.1         -> 2.5
    //   pos 0.4 loses to 0.8, ties 0.4 (1/2), beats 0.1 -> 1.5
    // AUC = 7 / 9.
    EXPECT_NEAR(value(roc_auc(kLabels, kProbs)), 7.0 / 9.0, 1e-15);
    // The order of the input does not matter.
    EXPECT_NEAR(value(roc_auc(Labels{0, 1, 0, 1, 0, 1}, Values{0.1, 0.4, 0.4, 0.8, 0.8, 0.9})),
                7.0 / 9.0, 1e-15);
}

TEST(PredictMetrics, RocAucWeighted) {
    // Sum of w_pos * w_neg * score over pairs, over P * N = 4 * 6 = 24:
    //   pos 0.9 (w 2): beats 0.8 (1), 0.4 (3), 0.1 (2)         -> 2 * 6 = 12
    //   pos 0.8 (w 1): ties 0.8 (1) -> 0.5, beats 0.4 and 0.1  -> 0.5 + 3 + 2 = 5.5
    //   pos 0.4 (w 1): ties 0.4 (3) -> 1.5, beats 0.1 (2)      -> 3.5
    // AUC = 21 / 24 = 0.875.
    EXPECT_NEAR(value(roc_auc(kLabels, kProbs, kWeights)), 0.875, 1e-15);
}

TEST(PredictMetrics, PerfectInvertedAndConstantScores) {
    Labels labels = {0, 0, 1, 1};
    EXPECT_DOUBLE_EQ(value(roc_auc(labels, Values{0.1, 0.2, 0.8, 0.9})), 1.0);
    EXPECT_DOUBLE_EQ(value(average_precision(labels, Values{0.1, 0.2, 0.8, 0.9})), 1.0);
    EXPECT_DOUBLE_EQ(value(roc_auc(labels, Values{0.9, 0.8, 0.2, 0.1})), 0.0);
    // Inverted: thresholds 0.9, 0.8 add negatives only; 0.2: tp 1, fp 2, P = 1/3, recall step
    // 1/2; 0.1: tp 2, fp 2, P = 1/2, step 1/2. AP = 1/6 + 1/4 = 5/12.
    EXPECT_NEAR(value(average_precision(labels, Values{0.9, 0.8, 0.2, 0.1})), 5.0 / 12.0, 1e-15);
    // All scores equal: every pair ties, AUC 1/2; one step to recall 1 at precision 2/4.
    Values same(4, 0.3);
    EXPECT_DOUBLE_EQ(value(roc_auc(labels, same)), 0.5);
    EXPECT_DOUBLE_EQ(value(average_precision(labels, same)), 0.5);
}

TEST(PredictMetrics, AveragePrecisionGroupsTies) {
    // Groups in descending order (positives, negatives): 0.9 (1, 0), 0.8 (1, 1), 0.4 (1, 1),
    // 0.1 (0, 1). After each: recall 1/3, 2/3, 1, 1; precision 1/1, 2/3, 3/5, 3/6.
    // AP = 1/3 * 1 + 1/3 * 2/3 + 1/3 * 3/5 = 15/45 + 10/45 + 9/45 = 34/45.
    EXPECT_NEAR(value(average_precision(kLabels, kProbs)), 34.0 / 45.0, 1e-15);
}

TEST(PredictMetrics, AveragePrecisionWeighted) {
    // Groups (positive weight, negative weight): 0.9 (2, 0), 0.8 (1, 1), 0.4 (1, 3), 0.1 (0, 2).
    // P = 4. Steps: 2/4 at precision 2/2, 1/4 at 3/4, 1/4 at 4/8.
    // AP = 0.5 + 0.1875 + 0.125 = 0.8125.
    EXPECT_NEAR(value(average_precision(kLabels, kProbs, kWeights)), 0.8125, 1e-15);
}

TEST(PredictMetrics, LogLossAndBrierByHand) {
    // Log loss: -(ln 0.9 + ln 0.2 + ln 0.8 + ln 0.6 + ln 0.4 + ln 0.9) / 6
    //   = (0.1053605 + 1.6094379 + 0.2231436 + 0.5108256 + 0.9162907 + 0.1053605) / 6
    //   = 3.4704188 / 6 = 0.5784031.
    EXPECT_NEAR(value(log_loss(kLabels, kProbs)), 0.5784031, 1e-7);
    // Brier: (0.1^2 + 0.8^2 + 0.2^2 + 0.4^2 + 0.6^2 + 0.1^2) / 6 = 1.22 / 6.
    EXPECT_NEAR(value(brier_score(kLabels, kProbs)), 1.22 / 6, 1e-15);
    // Weighted Brier: (2 * 0.01 + 0.64 + 0.04 + 3 * 0.16 + 0.36 + 2 * 0.01) / 10 = 1.56 / 10.
    EXPECT_NEAR(value(brier_score(kLabels, kProbs, kWeights)), 0.156, 1e-15);
    // Weighted log loss: (2 * 0.1053605 + 1.6094379 + 0.2231436 + 3 * 0.5108256 + 0.9162907
    //   + 2 * 0.1053605) / 10 = 4.7027910 / 10.
    EXPECT_NEAR(value(log_loss(kLabels, kProbs, kWeights)), 0.4702791, 1e-7);
}

TEST(PredictMetrics, LogLossClipsCertainMistakes) {
    // p = 0 for a positive is clipped to 1e-15: -ln(1e-15) = 34.538776; the other sample is
    // right with certainty, -ln(1 - 1e-15) ~ 1e-15. Mean 17.269388.
    EXPECT_NEAR(value(log_loss(Labels{1, 0}, Values{0.0, 0.0})), 34.538776 / 2, 1e-6);
}

TEST(PredictMetrics, ConfusionAndRatesAtThreshold) {
    // At 0.5 (and at 0.8, since p >= t): predicted 1 are 0.9 (y 1), 0.8 (y 0), 0.8 (y 1).
    // tp 2, fp 1, tn 2 (0.4, 0.1), fn 1 (0.4).
    for (double t : {0.5, 0.8}) {
        ThresholdMetrics m = metrics_at(kLabels, kProbs, t);
        EXPECT_EQ(m.confusion.n_tp, 2u);
        EXPECT_EQ(m.confusion.n_fp, 1u);
        EXPECT_EQ(m.confusion.n_tn, 2u);
        EXPECT_EQ(m.confusion.n_fn, 1u);
        EXPECT_DOUBLE_EQ(m.confusion.tp, 2);
        EXPECT_DOUBLE_EQ(value(m.accuracy), 4.0 / 6);
        EXPECT_DOUBLE_EQ(value(m.precision), 2.0 / 3);
        EXPECT_DOUBLE_EQ(value(m.recall), 2.0 / 3);
        EXPECT_DOUBLE_EQ(value(m.f1), 4.0 / 6);  // 2 tp / (2 tp + fp + fn) = 4 / 6
        EXPECT_DOUBLE_EQ(value(m.positive_rate), 0.5);
    }

    // Weighted at 0.5: tp = 2 + 1 = 3, fp = 1, tn = 3 + 2 = 5, fn = 1 (total 10).
    ThresholdMetrics w = metrics_at(kLabels, kProbs, 0.5, kWeights);
    EXPECT_DOUBLE_EQ(w.confusion.tp, 3);
    EXPECT_DOUBLE_EQ(w.confusion.fp, 1);
    EXPECT_DOUBLE_EQ(w.confusion.tn, 5);
    EXPECT_DOUBLE_EQ(w.confusion.fn, 1);
    EXPECT_EQ(w.confusion.n_tn, 2u);
    EXPECT_DOUBLE_EQ(value(w.accuracy), 0.8);
    EXPECT_DOUBLE_EQ(value(w.precision), 0.75);
    EXPECT_DOUBLE_EQ(value(w.recall), 0.75);
    EXPECT_DOUBLE_EQ(value(w.f1), 0.75);  // 6 / (6 + 1 + 1)
    EXPECT_DOUBLE_EQ(value(w.positive_rate), 0.4);
}

TEST(PredictMetrics, UndefinedRatesHaveReasons) {
    // Nothing predicted positive above every score: precision undefined, F1 0 (positives missed).
    ThresholdMetrics high = metrics_at(kLabels, kProbs, 0.95);
    EXPECT_FALSE(high.precision.value);
    EXPECT_EQ(high.precision.reason, "no sample is predicted positive at threshold 0.95");
    EXPECT_DOUBLE_EQ(value(high.f1), 0.0);
    EXPECT_DOUBLE_EQ(value(high.recall), 0.0);

    // Only negatives and nothing predicted: recall and F1 undefined too.
    ThresholdMetrics neg = metrics_at(Labels{0, 0}, Values{0.1, 0.2}, 0.5);
    EXPECT_FALSE(neg.recall.value);
    EXPECT_EQ(neg.recall.reason, "the evaluation set has no positives");
    EXPECT_FALSE(neg.f1.value);
    EXPECT_DOUBLE_EQ(value(neg.accuracy), 1.0);

    ThresholdMetrics none = metrics_at(Labels{}, Values{}, 0.5);
    EXPECT_FALSE(none.accuracy.value);
    EXPECT_EQ(none.accuracy.reason, "the evaluation set is empty");
}

TEST(PredictMetrics, SingleClassSetsHaveNoAreas) {
    Labels negatives = {0, 0, 0};
    Values probs = {0.2, 0.5, 0.7};
    Figure auc = roc_auc(negatives, probs);
    EXPECT_FALSE(auc.value);
    EXPECT_EQ(auc.reason, "the evaluation set has only negatives");
    EXPECT_EQ(average_precision(negatives, probs).reason, "the evaluation set has only negatives");
    EXPECT_EQ(roc_auc(Labels{1, 1, 1}, probs).reason, "the evaluation set has only positives");
    EXPECT_EQ(average_precision(Labels{1, 1, 1}, probs).reason,
              "the evaluation set has only positives");
    EXPECT_EQ(roc_auc(Labels{}, Values{}).reason, "the evaluation set is empty");
    // Both classes present, but the positive carries no weight.
    EXPECT_EQ(roc_auc(Labels{1, 0}, Values{0.9, 0.1}, Values{0, 1}).reason,
              "the positives carry zero total weight");
    EXPECT_EQ(log_loss(Labels{1, 0}, Values{0.9, 0.1}, Values{0, 0}).reason,
              "all sample weights are 0");
    EXPECT_TRUE(roc_curve(negatives, probs).empty());
    EXPECT_TRUE(pr_curve(negatives, probs).empty());
    // Log loss and Brier stay defined: -ln(0.8) - ln(0.5) - ln(0.3), over 3.
    EXPECT_NEAR(value(log_loss(negatives, probs)),
                -(std::log(0.8) + std::log(0.5) + std::log(0.3)) / 3, 1e-15);
}

TEST(PredictMetrics, ZeroWeightSamplesOnlyCountInCounts) {
    // A sample of weight 0 (a positive scoring 0.05) changes no figure, only the counts.
    Labels labels = kLabels;
    Values probs = kProbs;
    Values weights = kWeights;
    labels.push_back(1);
    probs.push_back(0.05);
    weights.push_back(0);
    EXPECT_NEAR(value(roc_auc(labels, probs, weights)), 0.875, 1e-15);
    EXPECT_NEAR(value(average_precision(labels, probs, weights)), 0.8125, 1e-15);
    EXPECT_NEAR(value(brier_score(labels, probs, weights)), 0.156, 1e-15);
    ThresholdMetrics m = metrics_at(labels, probs, 0.5, weights);
    EXPECT_EQ(m.confusion.n_fn, 2u);
    EXPECT_DOUBLE_EQ(m.confusion.fn, 1);
    EXPECT_EQ(roc_curve(labels, probs, 200, weights).size(), 5u);  // no point for 0.05
}

TEST(PredictMetrics, IntegerWeightsEqualRepeatedRows) {
    // An independent check of every weighted figure: weight k is k copies of the row.
    Labels repeated_labels;
    Values repeated_probs;
    for (std::size_t i = 0; i < kLabels.size(); ++i) {
        for (int copy = 0; copy < static_cast<int>(kWeights[i]); ++copy) {
            repeated_labels.push_back(kLabels[i]);
            repeated_probs.push_back(kProbs[i]);
        }
    }
    BinaryMetrics weighted = evaluate_binary(kLabels, kProbs, {}, kWeights);
    BinaryMetrics repeated = evaluate_binary(repeated_labels, repeated_probs);
    EXPECT_NEAR(value(weighted.roc_auc), value(repeated.roc_auc), 1e-15);
    EXPECT_NEAR(value(weighted.average_precision), value(repeated.average_precision), 1e-15);
    EXPECT_NEAR(value(weighted.log_loss), value(repeated.log_loss), 1e-15);
    EXPECT_NEAR(value(weighted.brier_score), value(repeated.brier_score), 1e-15);
    EXPECT_NEAR(value(weighted.lift), value(repeated.lift), 1e-12);
    EXPECT_DOUBLE_EQ(value(weighted.at_threshold.f1), value(repeated.at_threshold.f1));
    EXPECT_NEAR(value(weighted.calibration.expected_calibration_error),
                value(repeated.calibration.expected_calibration_error), 1e-15);
}

TEST(PredictMetrics, LiftInTopDecileCutsExactly) {
    // n = 20, distinct scores 0.99, 0.98, ...; the top decile is the 2 highest. Labels: top two
    // are 1, 0; three more positives lower down. Positive rate 5/20 = 0.25; top rate 1/2.
    // Lift = 0.5 / 0.25 = 2.
    Labels labels(20, 0);
    Values probs;
    for (int i = 0; i < 20; ++i) {
        probs.push_back(0.99 - 0.01 * i);
    }
    labels[0] = labels[5] = labels[9] = labels[14] = labels[19] = 1;
    EXPECT_NEAR(value(lift_in_top(labels, probs)), 2.0, 1e-12);

    // n = 15: the top decile holds 1.5 samples: the first (positive) and half of the second
    // (negative): rate 1 / 1.5. Positives at 0, 3, 5, 9, 14: 5 of 15.
    // Lift = (1 / 1.5) / (5 / 15) = 2.
    labels.resize(15);
    probs.resize(15);
    labels[3] = 1;
    EXPECT_NEAR(value(lift_in_top(labels, probs)), 2.0, 1e-12);
}

TEST(PredictMetrics, LiftSplitsATieGroupAtTheCut) {
    // Running example, top third (2 of 6 samples): 0.9 (positive) whole, then 1 of the 2 samples
    // of the 0.8 group at its positive rate 1/2. Top rate (1 + 0.5) / 2 = 0.75; overall 0.5.
    // Lift 1.5. Top half (3): 0.9 and the whole 0.8 group: 2 / 3 over 0.5 = 4/3.
    EXPECT_NEAR(value(lift_in_top(kLabels, kProbs, 1.0 / 3)), 1.5, 1e-12);
    EXPECT_NEAR(value(lift_in_top(kLabels, kProbs, 0.5)), 4.0 / 3, 1e-12);
    EXPECT_NEAR(value(lift_in_top(kLabels, kProbs, 1.0)), 1.0, 1e-12);
    // Weighted, top decile: 10% of 10 is weight 1 out of the 0.9 group (weight 2, positive).
    // Rate 1 over 4 / 10: lift 2.5.
    EXPECT_NEAR(value(lift_in_top(kLabels, kProbs, 0.1, kWeights)), 2.5, 1e-12);
    EXPECT_EQ(lift_in_top(Labels{0, 0}, Values{0.3, 0.4}).reason,
              "the evaluation set has only negatives");
}

TEST(PredictMetrics, CalibrationBinsByEqualWidth) {
    // Bins [0, 0.1), [0.1, 0.2), ..., [0.9, 1]. Samples (p, y):
    //   bin 0: (0, 0), (0.05, 0)           count 2, mean 0.025, observed 0
    //   bin 1: (0.1, 1), (0.15, 0)         count 2, mean 0.125, observed 1/2
    //   bin 3: (0.3, 1)                    count 1, mean 0.3, observed 1
    //   bin 7: (0.7, 0)                    count 1, mean 0.7, observed 0
    //   bin 9: (0.95, 1), (1, 1), (0.999, 0) count 3, mean 2.949 / 3, observed 2/3
    // ECE = sum |sum observed - sum predicted| / n
    //     = (|0 - 0.05| + |1 - 0.25| + |1 - 0.3| + |0 - 0.7| + |2 - 2.949|) / 9 = 3.149 / 9.
    Labels labels = {0, 0, 1, 0, 1, 0, 1, 1, 0};
    Values probs = {0.0, 0.05, 0.1, 0.15, 0.3, 0.7, 0.95, 1.0, 0.999};
    CalibrationTable table = calibration_table(labels, probs);
    ASSERT_EQ(table.bins.size(), 10u);
    EXPECT_DOUBLE_EQ(table.bins[1].lower, 0.1);
    EXPECT_DOUBLE_EQ(table.bins[1].upper, 0.2);
    std::vector<std::uint64_t> counts;
    for (const CalibrationBin& bin : table.bins) {
        counts.push_back(bin.count);
    }
    EXPECT_EQ(counts, (std::vector<std::uint64_t>{2, 2, 0, 1, 0, 0, 0, 1, 0, 3}));
    EXPECT_NEAR(value(table.bins[0].mean_predicted), 0.025, 1e-15);
    EXPECT_DOUBLE_EQ(value(table.bins[0].observed_rate), 0.0);
    EXPECT_NEAR(value(table.bins[1].mean_predicted), 0.125, 1e-15);
    EXPECT_DOUBLE_EQ(value(table.bins[1].observed_rate), 0.5);
    EXPECT_DOUBLE_EQ(value(table.bins[3].mean_predicted), 0.3);
    EXPECT_NEAR(value(table.bins[9].mean_predicted), 2.949 / 3, 1e-15);
    EXPECT_NEAR(value(table.bins[9].observed_rate), 2.0 / 3, 1e-15);
    EXPECT_FALSE(table.bins[2].mean_predicted.value);
    EXPECT_EQ(table.bins[2].observed_rate.reason, "no sample falls in this bin");
    EXPECT_NEAR(value(table.expected_calibration_error), 3.149 / 9, 1e-14);

    // Every edge k/10 falls in the bin it opens.
    for (int k = 0; k <= 10; ++k) {
        CalibrationTable edge = calibration_table(Labels{0}, Values{k / 10.0});
        EXPECT_EQ(edge.bins[std::min(k, 9)].count, 1u) << "p = " << k / 10.0;
    }
    EXPECT_THROW(calibration_table(labels, probs, 0), Error);
}

TEST(PredictMetrics, CurvesAtDistinctThresholds) {
    // ROC: origin, then after 0.9 (fp 0, tp 1), 0.8 (1, 2), 0.4 (2, 3), 0.1 (3, 3); P = N = 3.
    std::vector<RocPoint> roc = roc_curve(kLabels, kProbs);
    ASSERT_EQ(roc.size(), 5u);
    EXPECT_FALSE(roc[0].threshold);
    EXPECT_DOUBLE_EQ(roc[0].tpr, 0.0);
    EXPECT_DOUBLE_EQ(roc[1].fpr, 0.0);
    EXPECT_DOUBLE_EQ(roc[1].tpr, 1.0 / 3);
    EXPECT_DOUBLE_EQ(*roc[1].threshold, 0.9);
    EXPECT_DOUBLE_EQ(roc[2].fpr, 1.0 / 3);
    EXPECT_DOUBLE_EQ(roc[2].tpr, 2.0 / 3);
    EXPECT_DOUBLE_EQ(roc[3].fpr, 2.0 / 3);
    EXPECT_DOUBLE_EQ(roc[3].tpr, 1.0);
    EXPECT_DOUBLE_EQ(roc[4].fpr, 1.0);
    EXPECT_DOUBLE_EQ(*roc[4].threshold, 0.1);

    // PR: (recall, precision) = (1/3, 1), (2/3, 2/3), (1, 3/5), (1, 1/2).
    std::vector<PrPoint> pr = pr_curve(kLabels, kProbs);
    ASSERT_EQ(pr.size(), 4u);
    EXPECT_DOUBLE_EQ(pr[0].recall, 1.0 / 3);
    EXPECT_DOUBLE_EQ(pr[0].precision, 1.0);
    EXPECT_DOUBLE_EQ(pr[1].precision, 2.0 / 3);
    EXPECT_DOUBLE_EQ(pr[2].precision, 0.6);
    EXPECT_DOUBLE_EQ(pr[2].threshold, 0.4);
    EXPECT_DOUBLE_EQ(pr[3].recall, 1.0);
    EXPECT_DOUBLE_EQ(pr[3].precision, 0.5);
    EXPECT_THROW(roc_curve(kLabels, kProbs, 1), Error);
}

TEST(PredictMetrics, ThinnedCurvesKeepEndsAndShape) {
    // 5,000 distinct scores with P(y = 1) = p. The full ROC has 5,001 points; the chart gets at
    // most 200 and the trapezoid under them stays within 0.002 of the full AUC.
    Lcg rng(11);
    Labels labels;
    Values probs;
    for (int i = 0; i < 5000; ++i) {
        double p = rng.next();
        probs.push_back(p);
        labels.push_back(rng.next() < p ? 1 : 0);
    }
    // Computed with scikit-learn 1.2.1 (roc_auc_score, average_precision_score) from the same
    // generator: 2,584 positives.
    double auc = value(roc_auc(labels, probs));
    EXPECT_NEAR(auc, 0.83054549263937005, 1e-12);
    EXPECT_NEAR(value(average_precision(labels, probs)), 0.83904458406302973, 1e-12);

    std::vector<RocPoint> roc = roc_curve(labels, probs, 200);
    ASSERT_LE(roc.size(), 200u);
    ASSERT_GE(roc.size(), 150u);
    EXPECT_FALSE(roc.front().threshold);
    EXPECT_DOUBLE_EQ(roc.back().fpr, 1.0);
    EXPECT_DOUBLE_EQ(roc.back().tpr, 1.0);
    double area = 0;
    for (std::size_t i = 1; i < roc.size(); ++i) {
        EXPECT_GT(*roc[i].threshold, i + 1 < roc.size() ? *roc[i + 1].threshold : -1.0);
        area += (roc[i].fpr - roc[i - 1].fpr) * (roc[i].tpr + roc[i - 1].tpr) / 2;
    }
    EXPECT_NEAR(area, auc, 0.002);

    std::vector<PrPoint> pr = pr_curve(labels, probs, 50);
    ASSERT_LE(pr.size(), 50u);
    EXPECT_DOUBLE_EQ(pr.back().recall, 1.0);
    EXPECT_EQ(pr_curve(labels, probs, 10000).size(), 5000u);
}

TEST(PredictMetrics, MatchesScikitLearnOnTiedWeightedData) {
    // 1,000 samples on a grid of 50 scores (heavy ties), 508 positives. The right values were
    // computed with scikit-learn 1.2.1 from the same generator (roc_auc_score,
    // average_precision_score, log_loss, brier_score_loss, and accuracy/precision/recall/f1
    // of p >= 0.5), with and without sample_weight. log_loss was called with eps=1e-15: 1.2's
    // default ("auto") clips at the float64 epsilon instead, which matters here because four
    // positives score exactly 0.
    Labels labels;
    Values probs;
    Values weights;
    make_tied_data(1000, 7, labels, probs, weights);

    BinaryMetrics plain = evaluate_binary(labels, probs);
    EXPECT_EQ(plain.n_positives, 508u);
    EXPECT_NEAR(value(plain.roc_auc), 0.68583557390692018, 1e-12);
    EXPECT_NEAR(value(plain.average_precision), 0.68749374426801757, 1e-12);
    EXPECT_NEAR(value(plain.log_loss), 0.82919597296556546, 1e-12);
    EXPECT_NEAR(value(plain.brier_score), 0.23976839999999999, 1e-12);
    EXPECT_NEAR(value(plain.at_threshold.accuracy), 0.637, 1e-12);
    EXPECT_NEAR(value(plain.at_threshold.precision), 0.64948453608247425, 1e-12);
    EXPECT_NEAR(value(plain.at_threshold.recall), 0.62007874015748032, 1e-12);
    EXPECT_NEAR(value(plain.at_threshold.f1), 0.63444108761329299, 1e-12);
    EXPECT_EQ(plain.roc_curve.size(), 51u);  // origin + 50 distinct scores

    BinaryMetrics weighted = evaluate_binary(labels, probs, {}, weights);
    EXPECT_DOUBLE_EQ(weighted.total_weight, 1250.5);
    EXPECT_NEAR(value(weighted.roc_auc), 0.6998506431618875, 1e-12);
    EXPECT_NEAR(value(weighted.average_precision), 0.70046296406177444, 1e-12);
    EXPECT_NEAR(value(weighted.log_loss), 0.76227341353775591, 1e-12);
    EXPECT_NEAR(value(weighted.brier_score), 0.23316337465013992, 1e-12);
    EXPECT_NEAR(value(weighted.at_threshold.accuracy), 0.6469412235105958, 1e-12);
    EXPECT_NEAR(value(weighted.at_threshold.precision), 0.6587366694011485, 1e-12);
    EXPECT_NEAR(value(weighted.at_threshold.recall), 0.63228346456692919, 1e-12);
    EXPECT_NEAR(value(weighted.at_threshold.f1), 0.64523905182804353, 1e-12);
}

TEST(PredictMetrics, ChooseThresholdByMaxF1) {
    // Candidates of the running example (P = 3):
    //   t 0.9: tp 1 fp 0 fn 2 -> F1 2/4 = 0.5,   precision 1,   recall 1/3
    //   t 0.8: tp 2 fp 1 fn 1 -> F1 4/6 = 0.667, precision 2/3, recall 2/3
    //   t 0.4: tp 3 fp 2 fn 0 -> F1 6/8 = 0.75,  precision 3/5, recall 1
    //   t 0.1: tp 3 fp 3 fn 0 -> F1 6/9 = 0.667, precision 1/2, recall 1
    ThresholdChoice choice = choose_threshold(kLabels, kProbs, {ThresholdGoal::kMaxF1});
    ASSERT_TRUE(choice.threshold);
    EXPECT_DOUBLE_EQ(*choice.threshold, 0.4);
    EXPECT_EQ(choice.reason, "max F1 0.75 at 0.4");
    EXPECT_FALSE(choice.fell_back);
    EXPECT_DOUBLE_EQ(value(choice.at_choice.f1), 0.75);
    EXPECT_EQ(choice.at_choice.confusion.n_fp, 2u);
}

TEST(PredictMetrics, ChooseThresholdByMinPrecision) {
    auto pick = [](double min_precision) {
        return choose_threshold(kLabels, kProbs, {ThresholdGoal::kMinPrecision, min_precision});
    };
    // Feasible at 0.65: 0.9 (1) and 0.8 (2/3); the higher recall is 0.8's.
    EXPECT_DOUBLE_EQ(*pick(0.65).threshold, 0.8);
    EXPECT_EQ(pick(0.65).reason,
              "max recall 0.6667 with precision >= 0.65: precision 0.6667 at 0.8");
    // Precision exactly 3/5 meets 0.6: recall 1 at 0.4.
    EXPECT_DOUBLE_EQ(*pick(0.6).threshold, 0.4);
    EXPECT_DOUBLE_EQ(*pick(1.0).threshold, 0.9);
    // At 0.5 both 0.4 and 0.1 reach recall 1; the higher threshold has the better precision.
    EXPECT_DOUBLE_EQ(*pick(0.5).threshold, 0.4);
}

TEST(PredictMetrics, ChooseThresholdFallsBackWhenPrecisionIsUnreachable) {
    // p 0.9 (y 0), 0.7 (1), 0.3 (1), 0.2 (0); precision at each candidate: 0, 1/2, 2/3, 1/2.
    // F1: 0, 2/4, 4/5, 4/6 -> max F1 0.8 at 0.3.
    Labels labels = {0, 1, 1, 0};
    Values probs = {0.9, 0.7, 0.3, 0.2};
    ThresholdChoice choice = choose_threshold(labels, probs, {ThresholdGoal::kMinPrecision, 0.9});
    ASSERT_TRUE(choice.threshold);
    EXPECT_DOUBLE_EQ(*choice.threshold, 0.3);
    EXPECT_TRUE(choice.fell_back);
    EXPECT_EQ(choice.reason, "no threshold reaches precision 0.9; using max F1 0.8 at 0.3");
}

TEST(PredictMetrics, ChooseThresholdWithoutPositives) {
    ThresholdChoice choice = choose_threshold(Labels{0, 0}, Values{0.2, 0.6}, {});
    EXPECT_FALSE(choice.threshold);
    EXPECT_EQ(choice.reason, "the evaluation set has only negatives; no threshold can be chosen");
    nlohmann::json json = to_json(choice);
    EXPECT_TRUE(json["threshold"].is_null());
    EXPECT_EQ(json["threshold_reason"], choice.reason);
    EXPECT_THROW(choose_threshold(kLabels, kProbs, {ThresholdGoal::kMinPrecision, 1.5}), Error);
}

TEST(PredictMetrics, JsonWritesNullWithReasonNeverNan) {
    BinaryMetrics metrics = evaluate_binary(Labels{0, 0, 0}, Values{0.2, 0.5, 0.7});
    nlohmann::json json = to_json(metrics);
    EXPECT_TRUE(json["roc_auc"].is_null());
    EXPECT_EQ(json["roc_auc_reason"], "the evaluation set has only negatives");
    EXPECT_TRUE(json["average_precision"].is_null());
    EXPECT_TRUE(json["lift"].is_null());
    EXPECT_TRUE(json["at_threshold"]["recall"].is_null());
    EXPECT_EQ(json["at_threshold"]["recall_reason"], "the evaluation set has no positives");
    EXPECT_TRUE(json["calibration"]["bins"][0]["mean_predicted"].is_null());
    EXPECT_EQ(json["calibration"]["bins"][0]["mean_predicted_reason"],
              "no sample falls in this bin");
    EXPECT_DOUBLE_EQ(json["calibration"]["bins"][2]["mean_predicted"].get<double>(), 0.2);
    EXPECT_FALSE(json.contains("log_loss_reason"));
    EXPECT_TRUE(json["roc_curve"].empty());

    std::string text = to_json(evaluate_binary(kLabels, kProbs)).dump();
    EXPECT_EQ(text.find("nan"), std::string::npos);
    EXPECT_EQ(text.find("inf"), std::string::npos);
    nlohmann::json full = nlohmann::json::parse(text);
    EXPECT_TRUE(full["roc_curve"][0]["threshold"].is_null());
    EXPECT_NEAR(full["roc_auc"].get<double>(), 7.0 / 9.0, 1e-15);
    EXPECT_EQ(full["at_threshold"]["confusion"]["n_tp"], 2);
}

TEST(PredictMetrics, BadInputIsInvalidInput) {
    auto message_of = [](auto&& call) -> std::string {
        try {
            call();
        } catch (const Error& error) {
            EXPECT_EQ(error.kind(), ErrorKind::kInvalidInput);
            return error.what();
        }
        return "no error";
    };
    double nan = std::numeric_limits<double>::quiet_NaN();
    EXPECT_EQ(message_of([] {
                  roc_auc(Labels{1, 0}, Values{0.5});
              }),
              "there are 2 labels but 1 probabilities");
    EXPECT_EQ(message_of([] {
                  roc_auc(Labels{1, 2}, Values{0.5, 0.5});
              }),
              "label 1 is 2; labels must be 0 or 1");
    EXPECT_EQ(message_of([&] {
                  log_loss(Labels{1, 0}, Values{0.5, nan});
              }),
              "probability 1 is nan; probabilities must be finite and in [0, 1]");
    EXPECT_EQ(message_of([] { brier_score(Labels{1}, Values{1.5}); }),
              "probability 0 is 1.5; probabilities must be finite and in [0, 1]");
    EXPECT_EQ(message_of([] {
                  roc_auc(Labels{1, 0}, Values{0.5, 0.5}, Values{1});
              }),
              "there are 1 sample weights; expected none or one per label (2)");
    EXPECT_EQ(message_of([] {
                  roc_auc(Labels{1, 0}, Values{0.5, 0.5}, Values{1, -1});
              }),
              "sample weight 1 is -1; weights must be finite and >= 0");
    EXPECT_EQ(message_of([] {
                  roc_auc(Labels{1, 0}, Values{0.5, 0.5},
                          Values{1, std::numeric_limits<double>::infinity()});
              }),
              "sample weight 1 is inf; weights must be finite and >= 0");
    EXPECT_EQ(message_of([&] { metrics_at(Labels{1}, Values{0.5}, nan); }),
              "the decision threshold is NaN");
    EXPECT_EQ(message_of([] { lift_in_top(Labels{1}, Values{0.5}, 0.0); }),
              "the lift fraction must be in (0, 1], got 0");
}

}  // namespace
}  // namespace sextant
