// Tests of Platt scaling (predict/calibration.h): the fitted slope and intercept against values
// solved by hand, recovery of a known distortion, refusals, attributions that still sum to the
// calibrated log-odds, the model directory round trip, and its effect inside select_classifier.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>

#include "sextant/core/error.h"
#include "sextant/predict/calibration.h"
#include "sextant/predict/classifier.h"
#include "sextant/predict/logistic.h"
#include "test_util.h"

namespace sextant {
namespace {

double logit(double p) {
    return std::log(p / (1 - p));
}

double sigmoid(double z) {
    return 1 / (1 + std::exp(-z));
}

TEST(PredictCalibration, TwoGroupsAreFittedExactly) {
    // Two distinct scores: with two parameters the fit reaches the smoothed observed rate of each
    // group exactly. Group A (p = 0.5, log-odds 0) has 250 positives of 1,000; group B
    // (log-odds 1) has 750. Platt's targets: t+ = 1001/1002, t- = 1/1002.
    std::vector<std::uint8_t> labels = {1, 0, 1, 0};
    std::vector<double> p = {0.5, 0.5, sigmoid(1), sigmoid(1)};
    std::vector<double> w = {250, 750, 750, 250};
    double t_pos = 1001.0 / 1002.0, t_neg = 1.0 / 1002.0;
    double rate_a = (250 * t_pos + 750 * t_neg) / 1000;
    double rate_b = (750 * t_pos + 250 * t_neg) / 1000;
    std::optional<PlattScaling> platt = fit_platt(labels, p, w);
    ASSERT_TRUE(platt);
    EXPECT_NEAR(platt->b, logit(rate_a), 1e-6);
    EXPECT_NEAR(platt->a, logit(rate_b) - logit(rate_a), 1e-6);
    EXPECT_NEAR(apply_platt(*platt, 0.5), rate_a, 1e-7);
}

TEST(PredictCalibration, RecoversAKnownShiftAndStretch) {
    // Labels follow sigmoid(z); the model reports sigmoid(2 z + 1.5), overconfident and too high
    // as class weights make it. The fit must undo it: a = 1/2, b = -1.5/2.
    std::mt19937_64 rng(3);
    std::normal_distribution<double> normal(0.0, 1.5);
    std::uniform_real_distribution<double> uniform(0.0, 1.0);
    std::vector<std::uint8_t> labels;
    std::vector<double> p;
    for (int i = 0; i < 40000; ++i) {
        double z = normal(rng);
        labels.push_back(uniform(rng) < sigmoid(z) ? 1 : 0);
        p.push_back(sigmoid(2 * z + 1.5));
    }
    std::optional<PlattScaling> platt = fit_platt(labels, p);
    ASSERT_TRUE(platt);
    EXPECT_NEAR(platt->a, 0.5, 0.02);
    EXPECT_NEAR(platt->b, -0.75, 0.03);
}

TEST(PredictCalibration, RefusesOneClassTooFewRowsAndAReversedOrder) {
    std::vector<double> p = {0.2, 0.4, 0.6};
    EXPECT_FALSE(fit_platt(std::vector<std::uint8_t>{1, 1, 1}, p));
    EXPECT_FALSE(fit_platt(std::vector<std::uint8_t>{1}, std::vector<double>{0.3}));
    // Higher scores are negatives: the best slope is negative, which would reverse the ranking.
    std::vector<std::uint8_t> reversed = {1, 1, 0, 0};
    EXPECT_FALSE(fit_platt(reversed, std::vector<double>{0.1, 0.2, 0.8, 0.9}));
}

TEST(PredictCalibration, SeparableScoresStayFinite) {
    std::vector<std::uint8_t> labels = {0, 0, 0, 1, 1, 1};
    std::vector<double> p = {0.1, 0.2, 0.3, 0.7, 0.8, 0.9};
    std::optional<PlattScaling> platt = fit_platt(labels, p);
    ASSERT_TRUE(platt);
    EXPECT_TRUE(std::isfinite(platt->a));
    EXPECT_GT(platt->a, 0);
    // Smoothed targets 1/5 and 4/5 bound how sure the calibrated model gets.
    EXPECT_LT(apply_platt(*platt, 0.9), 0.95);
    EXPECT_GT(apply_platt(*platt, 0.1), 0.05);
}

TEST(PredictCalibration, CrossFittingJudgesOnRowsNotFittedOn) {
    // Four rows, alternating: the even rows {0: p 0.2 label 0, 2: p 0.8 label 1} and the odd rows
    // {1: p 0.3 label 1, 3: p 0.7 label 0} disagree, so each half's fit must do badly on the other.
    std::vector<std::uint8_t> labels = {0, 1, 1, 0};
    std::vector<double> p = {0.2, 0.3, 0.8, 0.7};
    std::optional<PlattScaling> even =
        fit_platt(std::vector<std::uint8_t>{0, 1}, std::vector<double>{0.2, 0.8});
    std::optional<double> crossed = cross_fitted_log_loss(labels, p);
    // The odd half alone is reversed (higher score, label 0): no order-keeping fit exists.
    EXPECT_FALSE(fit_platt(std::vector<std::uint8_t>{1, 0}, std::vector<double>{0.3, 0.7}));
    EXPECT_FALSE(crossed);
    ASSERT_TRUE(even);

    // A half-and-half agreeing case: the value is the mean of the held-out losses, by hand.
    std::vector<std::uint8_t> l2 = {0, 0, 1, 1, 0, 0, 1, 1};
    std::vector<double> p2 = {0.2, 0.3, 0.6, 0.7, 0.25, 0.35, 0.65, 0.75};
    std::vector<std::uint8_t> le = {0, 1, 0, 1}, lo = {0, 1, 0, 1};
    std::vector<double> pe = {0.2, 0.6, 0.25, 0.65}, po = {0.3, 0.7, 0.35, 0.75};
    PlattScaling fe = *fit_platt(le, pe), fo = *fit_platt(lo, po);
    double expected = 0;
    for (std::size_t i = 0; i < 4; ++i) {
        double q_odd = apply_platt(fe, po[i]);   // fitted on even, applied to odd
        double q_even = apply_platt(fo, pe[i]);  // and the reverse
        expected -= std::log(lo[i] ? q_odd : 1 - q_odd) + std::log(le[i] ? q_even : 1 - q_even);
    }
    expected /= 8;
    std::optional<double> got = cross_fitted_log_loss(l2, p2);
    ASSERT_TRUE(got);
    EXPECT_NEAR(*got, expected, 1e-12);
}

Dataset two_feature_data(std::size_t n, std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    std::uniform_real_distribution<double> uniform(0.0, 1.0);
    Dataset d;
    d.feature_names = {"x0", "x1"};
    d.n_cols = 2;
    for (std::size_t r = 0; r < n; ++r) {
        float a = normal(rng), b = normal(rng);
        d.values.push_back(a);
        d.values.push_back(b);
        d.labels.push_back(uniform(rng) < sigmoid(1.5 * a - 0.5 * b - 1.0) ? 1 : 0);
        ++d.n_rows;
    }
    return d;
}

TEST(PredictCalibration, WrappedModelExplainsTheCalibratedLogOdds) {
    Dataset d = two_feature_data(500, 11);
    auto inner = std::make_shared<LogisticRegression>();
    inner->fit(d, d);
    PlattScaling platt{0.7, -0.4};
    CalibratedClassifier model(inner, platt);
    std::vector<double> p = model.predict_proba(d);
    std::vector<double> q = inner->predict_proba(d);
    std::vector<Attribution> why = model.explain(d);
    for (std::size_t r = 0; r < 20; ++r) {
        EXPECT_NEAR(logit(p[r]), 0.7 * logit(q[r]) - 0.4, 1e-9);
        double sum = why[r].base;
        for (double v : why[r].values) {
            sum += v;
        }
        EXPECT_NEAR(sum, logit(p[r]), 1e-4);
        EXPECT_NEAR(why[r].output, logit(p[r]), 1e-4);
    }
    EXPECT_EQ(model.name(), "logistic");
}

TEST(PredictCalibration, ModelDirectoryKeepsTheScaling) {
    Dataset d = two_feature_data(300, 12);
    auto inner = std::make_shared<LogisticRegression>();
    inner->fit(d, d);
    CalibratedClassifier model(inner, PlattScaling{0.8, 0.25});
    std::filesystem::path dir =
        std::filesystem::path(testing::make_temp_dir("calibration")) / "churn";
    save_classifier(dir, model, d.feature_names, 0.4);
    LoadedClassifier loaded = load_classifier(dir);
    EXPECT_EQ(loaded.meta["kind"], "logistic");
    EXPECT_EQ(loaded.meta["calibration"]["method"], "platt");
    EXPECT_EQ(loaded.model->predict_proba(d), model.predict_proba(d));

    // A slope that would reverse the order is refused with the file and field named. The meta
    // file's checksum is refreshed by re-saving through the same path, so edit and re-save.
    nlohmann::json meta = loaded.meta;
    CalibratedClassifier reversed(inner, PlattScaling{0.8, 0.25});
    save_classifier(dir, reversed, d.feature_names, 0.4);
    std::ifstream in(dir / "meta.json");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    in.close();
    std::size_t at = text.find("\"a\": 0.8");
    ASSERT_NE(at, std::string::npos) << text;
    text.replace(at, 8, "\"a\":-0.8");
    std::ofstream(dir / "meta.json") << text;
    try {
        load_classifier(dir);
        FAIL() << "an edited meta.json loaded";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("meta.json"), std::string::npos) << e.what();
    }
}

TEST(PredictCalibration, SelectionCalibratesClassWeightedProbabilities) {
    // One positive in five: class weights push every probability up; calibration on validation
    // brings the mean predicted probability of the test part back near the positive rate.
    Dataset d = two_feature_data(4000, 13);
    DataSplit split = stratified_split(d, {}, 5);
    std::vector<std::unique_ptr<Classifier>> candidates;
    candidates.push_back(std::make_unique<LogisticRegression>());
    SelectionOptions options;
    options.add_ensemble = false;
    SelectionResult result = select_classifier(std::move(candidates), split, options);
    ASSERT_TRUE(result.calibration.platt) << result.calibration.reason;
    EXPECT_LT(*result.calibration.log_loss_after.value, *result.calibration.log_loss_before.value);
    // Class weights inflate the intercept by about log(negatives per positive): Platt removes it.
    EXPECT_LT(result.calibration.platt->b, -0.5);

    std::vector<double> p = result.model->predict_proba(split.test);
    double mean = 0;
    double positives = 0;
    for (std::size_t r = 0; r < p.size(); ++r) {
        mean += p[r];
        positives += split.test.labels[r];
    }
    mean /= static_cast<double>(p.size());
    double rate = positives / static_cast<double>(p.size());
    EXPECT_NEAR(mean, rate, 0.03);
    nlohmann::json j = to_json(result, d.feature_names);
    EXPECT_EQ(j["calibration"]["method"], "platt");
    EXPECT_TRUE(j["calibration"]["valid_log_loss_after"].is_number());
    // Ranking is unchanged, so the test ROC-AUC is the uncalibrated model's.
    EXPECT_DOUBLE_EQ(
        *result.test.roc_auc.value,
        *roc_auc(split.test.labels, dynamic_cast<const CalibratedClassifier&>(*result.model)
                                        .inner()
                                        .predict_proba(split.test))
             .value);
}

}  // namespace
}  // namespace sextant
