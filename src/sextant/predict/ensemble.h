// The ensemble: the plain mean of its members' probabilities.
//
// Equal weights rather than weights fitted on validation: with three members and a validation
// part of a few thousand rows, fitted weights mostly learn that part's noise, and the validation
// part is also where the ensemble is compared with its members, which fitted weights would bias
// in its favour. Attributions are the mean of the members' (log-odds) attributions; they explain
// the members' mean log-odds, which is close to but not the log-odds of the mean probability.
#pragma once

#include <memory>
#include <vector>

#include "sextant/predict/classifier.h"

namespace sextant {

class Ensemble : public Classifier {
public:
    // Members may be fitted already (select_classifier() reuses its fitted candidates) or not
    // (fit() then fits them all). REQUIRES: at least one member (kInvalidInput otherwise).
    explicit Ensemble(std::vector<std::shared_ptr<Classifier>> members);

    std::string name() const override { return "ensemble"; }
    // Fits every member on the same parts.
    void fit(const Dataset& train, const Dataset& valid) override;
    std::vector<double> predict_proba(const Dataset& x) const override;
    std::vector<Attribution> explain(const Dataset& x) const override;
    // {"members": [{"kind", "config"}, ...]}.
    nlohmann::json config() const override;
    // Each member's arrays under "ensemble.<index>." + its own names.
    void save(Weights& out) const override;
    void load(const Weights& in) override;
    std::size_t n_features() const override;

    const std::vector<std::shared_ptr<Classifier>>& members() const { return members_; }

    static std::unique_ptr<Ensemble> from_config(const nlohmann::json& config,
                                                 const std::string& source);

private:
    std::vector<std::shared_ptr<Classifier>> members_;
};

}  // namespace sextant
