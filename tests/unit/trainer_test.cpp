#include <gtest/gtest.h>

#include <torch/torch.h>

#include <cmath>
#include <vector>

#include "sextant/core/error.h"
#include "sextant/learn/learning_curve.h"
#include "sextant/learn/torch_trainer.h"
#include "sextant/learn/trainer.h"

namespace sextant {
namespace {

// Callbacks driven by a fake clock that advances `batch_seconds` per batch, a scripted metric
// and scripted batch losses; counts the keep/restore calls.
struct FakeRun {
    std::vector<double> metrics;  // metric of epoch e is metrics[e-1]
    std::size_t batches_per_epoch = 2;
    double batch_seconds = 1.0;
    double now = 100.0;
    int validations = 0;
    int kept_at_validation = -1;  // which validation the last keep_best followed
    int restores = 0;
    std::size_t batches_run = 0;
    // Batch results in turn, across epochs.
    std::vector<BatchResult> batch_results = {{2.0, 1}, {4.0, 3}};

    TrainCallbacks callbacks() {
        TrainCallbacks cb;
        cb.what = "fake";
        cb.clock = [this] { return now; };
        cb.begin_epoch = [this](int) { return batches_per_epoch; };
        cb.train_batch = [this](std::size_t) {
            now += batch_seconds;
            return batch_results[batches_run++ % batch_results.size()];
        };
        cb.validate = [this] {
            ++validations;
            return metrics[validations - 1];
        };
        cb.keep_best = [this] { kept_at_validation = validations; };
        cb.restore_best = [this] { ++restores; };
        return cb;
    }
};

TEST(Trainer, EarlyStoppingAfterPatienceEpochsWithoutImprovement) {
    FakeRun run;
    run.metrics = {0.1, 0.2, 0.3, 0.25, 0.3, 0.1, 0.9, 0.9};
    TrainOptions options;
    options.patience = 3;
    LearningCurve curve = run_training(run.callbacks(), options);

    // 0.3 at epoch 5 only ties the best, which is no improvement.
    ASSERT_EQ(curve.epochs.size(), 6u);
    EXPECT_EQ(curve.stop_reason, StopReason::kEarlyStopping);
    EXPECT_EQ(curve.stop_message, "early stopping after epoch 6");
    EXPECT_EQ(curve.best_epoch, 3);
    EXPECT_DOUBLE_EQ(curve.best_metric, 0.3);
    EXPECT_EQ(run.kept_at_validation, 3);
    EXPECT_EQ(run.restores, 1);
}

TEST(Trainer, LearningCurveRecordsLossMetricAndTime) {
    FakeRun run;
    run.metrics = {0.5, 0.6};
    TrainOptions options;
    options.max_epochs = 2;
    LearningCurve curve = run_training(run.callbacks(), options);

    ASSERT_EQ(curve.epochs.size(), 2u);
    EXPECT_EQ(curve.stop_reason, StopReason::kMaxEpochs);
    EXPECT_EQ(curve.stop_message, "max epochs (2) reached");
    for (int e = 0; e < 2; ++e) {
        const EpochRecord& r = curve.epochs[e];
        EXPECT_EQ(r.epoch, e + 1);
        // Batches of (loss 2, 1 sample) and (loss 4, 3 samples): (2 + 12) / 4.
        EXPECT_DOUBLE_EQ(r.train_loss, 3.5);
        EXPECT_EQ(r.n_samples, 4u);
        EXPECT_DOUBLE_EQ(r.seconds, 2.0 * (e + 1));  // two batches of one second each
        EXPECT_DOUBLE_EQ(r.epoch_seconds, 2.0);
        EXPECT_TRUE(r.complete);
    }
    EXPECT_DOUBLE_EQ(curve.epochs[0].valid_metric, 0.5);
    EXPECT_DOUBLE_EQ(curve.epochs[1].valid_metric, 0.6);
    EXPECT_EQ(curve.best_epoch, 2);
    EXPECT_DOUBLE_EQ(curve.seconds, 4.0);
    EXPECT_DOUBLE_EQ(curve.samples_per_second(), 2.0);

    nlohmann::json j = to_json(curve);
    EXPECT_EQ(j["stop_reason"], "max_epochs");
    ASSERT_EQ(j["epochs"].size(), 2u);
    EXPECT_DOUBLE_EQ(j["epochs"][1]["valid_metric"].get<double>(), 0.6);
    EXPECT_DOUBLE_EQ(j["epochs"][0]["train_loss"].get<double>(), 3.5);
}

TEST(Trainer, BudgetStopsAnEpochBetweenBatches) {
    FakeRun run;
    run.metrics = {0.1};
    run.batches_per_epoch = 10;
    TrainOptions options;
    options.budget_seconds = 2.5;
    LearningCurve curve = run_training(run.callbacks(), options);

    // Batches start at t = 0, 1, 2; at t = 3 the budget is spent.
    ASSERT_EQ(curve.epochs.size(), 1u);
    EXPECT_FALSE(curve.epochs[0].complete);
    EXPECT_EQ(curve.epochs[0].n_samples, 1u + 3u + 1u);
    EXPECT_EQ(curve.stop_reason, StopReason::kTimeBudget);
    EXPECT_EQ(curve.stop_message, "time budget of 2.5 s spent");
    EXPECT_EQ(curve.best_epoch, 1);  // the cut epoch was still validated and kept
}

TEST(Trainer, BudgetStartsNoEpochThatWouldOverrunIt) {
    FakeRun run;
    run.metrics = {0.1, 0.2, 0.3};
    TrainOptions options;
    options.budget_seconds = 5;
    LearningCurve curve = run_training(run.callbacks(), options);

    // Epochs take 2 s: epoch 2 starts at 2 (ends at 4 <= 5); epoch 3 would end at 6 > 5.
    ASSERT_EQ(curve.epochs.size(), 2u);
    EXPECT_TRUE(curve.epochs[1].complete);
    EXPECT_EQ(curve.stop_reason, StopReason::kTimeBudget);
    EXPECT_EQ(curve.stop_message, "time budget of 5 s spent");
}

TEST(Trainer, DivergedLossStopsAndKeepsTheLastGoodEpoch) {
    FakeRun run;
    run.metrics = {0.1, 0.2};
    run.batch_results = {{1.0, 1}, {1.0, 1}, {1.0, 1}, {NAN, 1}};
    TrainOptions options;
    LearningCurve curve = run_training(run.callbacks(), options);
    EXPECT_EQ(curve.stop_reason, StopReason::kDiverged);
    EXPECT_EQ(curve.stop_message, "training loss diverged in epoch 2");
    EXPECT_EQ(curve.epochs.size(), 1u);
    EXPECT_EQ(curve.best_epoch, 1);
    EXPECT_EQ(run.restores, 1);
}

TEST(Trainer, BadOptionsAreInvalidInput) {
    FakeRun run;
    run.metrics = {0.1};
    TrainOptions options;
    options.batch_size = 0;
    EXPECT_THROW(run_training(run.callbacks(), options), Error);
    options = TrainOptions{};
    options.patience = 0;
    EXPECT_THROW(run_training(run.callbacks(), options), Error);
    TrainCallbacks missing = run.callbacks();
    missing.validate = nullptr;
    EXPECT_THROW(run_training(missing, TrainOptions{}), Error);
}

// A linear regression y = 2x - 1 trained by train_module.
struct Regression {
    torch::nn::Linear model{nullptr};
    torch::Tensor x = torch::linspace(-1, 1, 32).unsqueeze(1);
    torch::Tensor y = 2 * x - 1;

    ModuleTask task(std::function<double()> validate) {
        ModuleTask t;
        t.what = "regression";
        t.n_examples = 32;
        t.n_samples_per_epoch = 32;
        t.batch_loss = [this](std::span<const std::size_t> examples) {
            std::vector<std::int64_t> ids(examples.begin(), examples.end());
            torch::Tensor index = torch::tensor(ids, torch::kLong);
            torch::Tensor loss =
                torch::mse_loss(model->forward(x.index_select(0, index)), y.index_select(0, index));
            return BatchLoss{loss, examples.size()};
        };
        t.validate = std::move(validate);
        return t;
    }
};

std::vector<torch::Tensor> copy_parameters(const torch::nn::Module& module) {
    std::vector<torch::Tensor> out;
    for (const torch::Tensor& p : module.parameters()) {
        out.push_back(p.detach().clone());
    }
    return out;
}

TEST(TorchTrainer, RestoresTheBestEpochsWeights) {
    Regression r;
    seed_torch(7);
    r.model = torch::nn::Linear(1, 1);
    std::vector<double> metrics = {0.1, 0.2, 0.3, 0.2, 0.1, 0.0, 0.5};
    std::vector<std::vector<torch::Tensor>> seen;  // parameters at each validation
    int calls = 0;
    TrainOptions options;
    options.batch_size = 8;
    options.learning_rate = 0.05;
    LearningCurve curve = train_module(*r.model, r.task([&] {
        EXPECT_FALSE(r.model->is_training());
        EXPECT_FALSE(torch::GradMode::is_enabled());
        seen.push_back(copy_parameters(*r.model));
        return metrics[calls++];
    }),
                                       options);

    ASSERT_EQ(curve.epochs.size(), 6u);  // 3 + patience
    EXPECT_EQ(curve.best_epoch, 3);
    EXPECT_EQ(curve.stop_message, "early stopping after epoch 6");
    std::vector<torch::Tensor> now = copy_parameters(*r.model);
    ASSERT_EQ(now.size(), seen[2].size());
    for (std::size_t i = 0; i < now.size(); ++i) {
        EXPECT_TRUE(torch::equal(now[i], seen[2][i]));
        EXPECT_FALSE(torch::equal(now[i], seen[5][i]));  // training moved on after epoch 3
    }
    // The loss fell: the regression is learnable.
    EXPECT_LT(curve.epochs.back().train_loss, curve.epochs.front().train_loss);
}

TEST(TorchTrainer, TinyBudgetStopsWithTheBudgetReason) {
    Regression r;
    seed_torch(7);
    r.model = torch::nn::Linear(1, 1);
    TrainOptions options;
    options.budget_seconds = 1e-9;
    LearningCurve curve = train_module(*r.model, r.task([] { return 0.0; }), options);
    EXPECT_EQ(curve.stop_reason, StopReason::kTimeBudget);
    EXPECT_EQ(curve.stop_message, "time budget of 1e-09 s spent");
    ASSERT_EQ(curve.epochs.size(), 1u);
    EXPECT_FALSE(curve.epochs[0].complete);
}

TEST(TorchTrainer, SameSeedSameWeights) {
    auto train_once = [] {
        Regression r;
        seed_torch(3);
        r.model = torch::nn::Linear(1, 1);
        TrainOptions options;
        options.max_epochs = 3;
        options.batch_size = 5;
        int calls = 0;
        train_module(*r.model, r.task([&] { return static_cast<double>(++calls); }), options);
        return copy_parameters(*r.model);
    };
    std::vector<torch::Tensor> a = train_once();
    std::vector<torch::Tensor> b = train_once();
    for (std::size_t i = 0; i < a.size(); ++i) {
        EXPECT_TRUE(torch::equal(a[i], b[i]));
    }
}

}  // namespace
}  // namespace sextant
