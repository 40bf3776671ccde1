// Gradient-boosted trees through XGBoost's C API: tree_method=hist, objective binary:logistic,
// sample weights from the training part, one thread, seeded. Rounds are added one at a time up
// to max_rounds; after each, the weighted log loss on the validation part is measured, and
// training stops after early_stopping_rounds rounds without a better one. The model is then cut
// back to the best round count.
//
// Attributions are XGBoost's exact TreeSHAP values (prediction type 2) in log-odds; the base is
// its bias column, so base + sum(values) is the raw margin exactly (up to float rounding).
// The model is kept as XGBoost's UBJSON bytes, so a reload predicts identically. Predictions of
// one model from several threads are serialised by a lock around XGBoost's calls.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "sextant/predict/classifier.h"

namespace sextant {

struct GbdtOptions {
    int max_rounds = 300;            // upper bound on boosting rounds
    int early_stopping_rounds = 20;  // rounds without a better validation log loss; 0 = off
    double learning_rate = 0.1;      // eta
    int max_depth = 6;
    double min_child_weight = 1;
    double subsample = 1;         // row share per tree, in (0, 1]
    double colsample_bytree = 1;  // column share per tree, in (0, 1]
    double reg_lambda = 1;        // L2 on leaf weights
    int max_bin = 256;            // histogram bins per feature
    std::uint64_t seed = 42;
};

class Gbdt : public Classifier {
public:
    explicit Gbdt(GbdtOptions options = {});
    ~Gbdt() override;
    Gbdt(const Gbdt&) = delete;
    Gbdt& operator=(const Gbdt&) = delete;

    std::string name() const override { return "gbdt"; }
    void fit(const Dataset& train, const Dataset& valid) override;
    std::vector<double> predict_proba(const Dataset& x) const override;
    std::vector<Attribution> explain(const Dataset& x) const override;
    nlohmann::json config() const override;
    void save(Weights& out) const override;
    void load(const Weights& in) override;
    std::size_t n_features() const override { return n_features_; }

    // The raw margin (log-odds) per row. REQUIRES: fitted.
    std::vector<double> margins(const Dataset& x) const;
    // Rounds kept after early stopping; 0 before fit().
    int n_rounds() const { return n_rounds_; }

    static std::unique_ptr<Gbdt> from_config(const nlohmann::json& config,
                                             const std::string& source);

private:
    struct Booster;

    std::vector<float> predict(const Dataset& x, int type, std::size_t per_row) const;
    void adopt(std::vector<std::uint8_t> model_bytes, std::size_t n_features);

    GbdtOptions options_;
    std::unique_ptr<Booster> booster_;
    std::vector<std::uint8_t> model_bytes_;  // what save() writes
    std::size_t n_features_ = 0;
    int n_rounds_ = 0;
};

}  // namespace sextant
