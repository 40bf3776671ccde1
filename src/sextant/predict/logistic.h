// Logistic regression on standardised features: one linear layer and a sigmoid, trained with
// libtorch's AdamW on the weighted binary cross-entropy, L2 through AdamW's decoupled weight
// decay, early stopping on the validation log loss (train_module(), learn/torch_trainer.h).
//
// Each feature is standardised with the training part's weighted mean and standard deviation (a
// constant feature gets scale 1, so it stays 0 and its coefficient is harmless). Attributions are
// coefficient x standardised value, with the intercept as base: they sum to the log-odds exactly.
#pragma once

#include <memory>
#include <vector>

#include "sextant/learn/learning_curve.h"
#include "sextant/learn/trainer.h"
#include "sextant/predict/classifier.h"

namespace sextant {

struct LogisticOptions {
    // Full batches of small data converge in few hundred steps; early stopping ends sooner.
    TrainOptions train = {.max_epochs = 200,
                          .batch_size = 512,
                          .learning_rate = 0.05,
                          .weight_decay = 1e-4,
                          .patience = 10};
};

class LogisticRegression : public Classifier {
public:
    explicit LogisticRegression(LogisticOptions options = {});
    ~LogisticRegression() override;
    LogisticRegression(const LogisticRegression&) = delete;
    LogisticRegression& operator=(const LogisticRegression&) = delete;

    std::string name() const override { return "logistic"; }
    void fit(const Dataset& train, const Dataset& valid) override;
    std::vector<double> predict_proba(const Dataset& x) const override;
    std::vector<Attribution> explain(const Dataset& x) const override;
    nlohmann::json config() const override;
    void save(Weights& out) const override;
    void load(const Weights& in) override;
    std::size_t n_features() const override { return mean_.size(); }

    // The fitted model in the units of the raw features: log-odds = intercept + sum coef_j x_j.
    // REQUIRES: fitted (kInternal otherwise).
    std::vector<double> coefficients() const;
    double intercept() const;

    const LearningCurve& curve() const { return curve_; }
    static std::unique_ptr<LogisticRegression> from_config(const nlohmann::json& config,
                                                           const std::string& source);

private:
    struct Net;

    std::vector<double> logits(const Dataset& x) const;

    LogisticOptions options_;
    std::unique_ptr<Net> net_;
    std::vector<float> mean_;   // per feature, of the training part
    std::vector<float> scale_;  // per feature: the standard deviation, or 1 when it is ~0
    LearningCurve curve_;
};

}  // namespace sextant
