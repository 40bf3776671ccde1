// A dense network for tabular data: standardised inputs, two hidden layers of Linear, batch
// norm, ReLU and dropout, and one output logit; trained with train_module() (AdamW, warm-up and
// cosine schedule, early stopping on the validation log loss, best weights kept) on the weighted
// binary cross-entropy.
//
// Attributions are integrated gradients (Sundararajan et al., 2017) of the output logit, against
// the training mean as baseline (0 after standardisation), with `ig_steps` points of the
// trapezoid rule along the straight path. They sum to logit(x) - logit(baseline) up to the
// rule's error, which shrinks with more steps (the network is piecewise linear in eval mode).
#pragma once

#include <memory>
#include <vector>

#include "sextant/learn/learning_curve.h"
#include "sextant/learn/trainer.h"
#include "sextant/predict/classifier.h"

namespace sextant {

struct DenseNetOptions {
    std::size_t hidden1 = 64;  // width of the first hidden layer
    std::size_t hidden2 = 32;  // width of the second
    double dropout = 0.2;      // after each hidden layer, training only
    int ig_steps = 32;         // intervals of integrated gradients (>= 1)
    TrainOptions train = {.max_epochs = 60,
                          .batch_size = 256,
                          .learning_rate = 3e-3,
                          .weight_decay = 1e-4,
                          .patience = 6};
};

class DenseNet : public Classifier {
public:
    explicit DenseNet(DenseNetOptions options = {});
    ~DenseNet() override;
    DenseNet(const DenseNet&) = delete;
    DenseNet& operator=(const DenseNet&) = delete;

    std::string name() const override { return "dense_net"; }
    void fit(const Dataset& train, const Dataset& valid) override;
    std::vector<double> predict_proba(const Dataset& x) const override;
    std::vector<Attribution> explain(const Dataset& x) const override;
    nlohmann::json config() const override;
    void save(Weights& out) const override;
    void load(const Weights& in) override;
    std::size_t n_features() const override { return mean_.size(); }

    // The output logit per row (eval mode). REQUIRES: fitted.
    std::vector<double> logits(const Dataset& x) const;

    const LearningCurve& curve() const { return curve_; }
    static std::unique_ptr<DenseNet> from_config(const nlohmann::json& config,
                                                 const std::string& source);

private:
    struct Net;

    void build(std::size_t n_features);

    DenseNetOptions options_;
    std::unique_ptr<Net> net_;
    std::vector<float> mean_;
    std::vector<float> scale_;
    LearningCurve curve_;
};

}  // namespace sextant
