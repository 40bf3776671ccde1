// Probability calibration: Platt scaling of a fitted classifier's log-odds.
//
// Class weights and resampling make a model's probabilities too high for the minority class (it
// is trained as if positives were as common as negatives), and trees and networks are often
// over- or under-confident besides. A team reading "0.8 chance of leaving" needs it to mean
// 8 in 10, so the chosen model's log-odds z are mapped to sigmoid(a * z + b), with a and b
// fitted on the validation part by weighted maximum likelihood.
//
// Platt's smoothed targets are used (positives aim at (N+ + 1) / (N+ + 2), negatives at
// 1 / (N- + 2), N the class weights): they keep a and b finite when validation is separable, and
// cost nothing measurable on the thousands of rows a churn table has. Only a > 0 is accepted, so
// calibration never reverses the ranking: ROC-AUC and PR-AUC are unchanged, and the decision
// threshold is simply chosen again on the calibrated probabilities.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>

#include "sextant/predict/classifier.h"

namespace sextant {

// Fits a and b to labels given the model's probabilities (clamped to [1e-7, 1 - 1e-7] before
// taking log-odds) by Newton's method with a halving line search. weights empty = all 1.
// nullopt when the fit is undefined or would not preserve the order: fewer than two rows, one
// class only (by weight), or a fitted slope <= 0.
std::optional<PlattScaling> fit_platt(std::span<const std::uint8_t> labels,
                                      std::span<const double> probabilities,
                                      std::span<const double> weights = {});

// The weighted log loss of Platt scaling judged on rows it was not fitted on: fitted on the even
// rows and applied to the odd ones, and the reverse. This is what decides whether calibration is
// kept, since a fit judged on its own rows always looks better. nullopt when a half cannot be
// fitted (fit_platt() gives nullopt on it).
std::optional<double> cross_fitted_log_loss(std::span<const std::uint8_t> labels,
                                            std::span<const double> probabilities,
                                            std::span<const double> weights = {});

// sigmoid(a * logit(p) + b), with p clamped as above.
double apply_platt(const PlattScaling& platt, double probability);

// A fitted classifier whose probabilities pass through Platt scaling. Attributions are the
// inner model's scaled by a, with base a * base + b, so they still sum to the calibrated
// log-odds. name(), config() and save() are the inner model's: save_classifier() writes the
// scaling into meta.json ("calibration") and load_classifier() wraps the model again.
class CalibratedClassifier : public Classifier {
public:
    // REQUIRES: inner is fitted and platt.a > 0 (kInternal otherwise).
    CalibratedClassifier(std::shared_ptr<Classifier> inner, PlattScaling platt);

    std::string name() const override { return inner_->name(); }
    // Refused (kInternal): a calibrated model is fitted by wrapping a fitted one.
    void fit(const Dataset& train, const Dataset& valid) override;
    std::vector<double> predict_proba(const Dataset& x) const override;
    std::vector<Attribution> explain(const Dataset& x) const override;
    nlohmann::json config() const override { return inner_->config(); }
    void save(Weights& out) const override { inner_->save(out); }
    void load(const Weights& in) override { inner_->load(in); }
    std::size_t n_features() const override { return inner_->n_features(); }

    const Classifier& inner() const { return *inner_; }
    const PlattScaling& platt() const { return platt_; }

private:
    std::shared_ptr<Classifier> inner_;
    PlattScaling platt_;
};

}  // namespace sextant
