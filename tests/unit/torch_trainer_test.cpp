#include <gtest/gtest.h>

#include <torch/torch.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "sextant/core/error.h"
#include "sextant/learn/learning_curve.h"
#include "sextant/learn/torch_trainer.h"
#include "sextant/learn/trainer.h"
#include "test_util.h"

namespace sextant {
namespace {

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

TEST(TorchTrainer, DataParallelStepsEqualWholeBatchSteps) {
    // Batches of 7 split 4 + 3 over two workers: weighting each part's mean loss by its share
    // of the batch gives the whole batch's gradient, so both runs end at the same weights (up to
    // the order of float sums).
    auto train = [](int threads) {
        Regression r;
        seed_torch(5);
        r.model = torch::nn::Linear(1, 1);
        torch::nn::Linear replica(1, 1);  // other initial weights: the trainer copies them over
        ModuleTask task = r.task([] { return 0.0; });
        if (threads > 1) {
            task.replicas.push_back(replica.get());
            task.worker_loss = [&](std::size_t worker, std::span<const std::size_t> examples) {
                torch::nn::Linear& m = worker == 0 ? r.model : replica;
                std::vector<std::int64_t> ids(examples.begin(), examples.end());
                torch::Tensor index = torch::tensor(ids, torch::kLong);
                torch::Tensor loss = torch::mse_loss(m->forward(r.x.index_select(0, index)),
                                                     r.y.index_select(0, index));
                return BatchLoss{loss, examples.size()};
            };
        }
        TrainOptions options;
        options.max_epochs = 4;
        options.batch_size = 7;
        options.patience = 10;
        options.threads = threads;
        LearningCurve curve = train_module(*r.model, task, options);
        std::vector<double> out;
        for (const torch::Tensor& p : copy_parameters(*r.model)) {
            out.push_back(p.item<double>());
        }
        out.push_back(curve.epochs.back().train_loss);
        return out;
    };
    std::vector<double> whole = train(1);
    std::vector<double> parallel = train(2);
    ASSERT_EQ(whole.size(), parallel.size());
    for (std::size_t i = 0; i < whole.size(); ++i) {
        EXPECT_NEAR(parallel[i], whole[i], 1e-5) << i;
    }
    torch::set_num_threads(1);
}

TEST(TorchTrainer, DataParallelWithTheWrongReplicaCountIsAnInternalError) {
    Regression r;
    r.model = torch::nn::Linear(1, 1);
    ModuleTask task = r.task([] { return 0.0; });
    task.worker_loss = [&](std::size_t, std::span<const std::size_t> examples) {
        return task.batch_loss(examples);
    };
    TrainOptions options;
    options.threads = 3;  // needs 2 replicas, has none
    EXPECT_THROW(train_module(*r.model, task, options), Error);
}

// A small net with dropout (so that torch's generator matters) and a weight `idle` that the
// loss touches with a zero gradient (so that only weight decay moves it).
struct TinyNetImpl : torch::nn::Module {
    TinyNetImpl(std::int64_t hidden = 8)
        : fc1(register_module("fc1", torch::nn::Linear(4, hidden))),
          drop(register_module("drop", torch::nn::Dropout(0.3))),
          fc2(register_module("fc2", torch::nn::Linear(hidden, 1))),
          idle(register_parameter("idle", torch::ones({1}))) {}

    torch::Tensor forward(const torch::Tensor& x) {
        return fc2(drop(torch::relu(fc1(x)))) + 0 * idle.sum();
    }

    torch::nn::Linear fc1;
    torch::nn::Dropout drop;
    torch::nn::Linear fc2;
    torch::Tensor idle;
};
TORCH_MODULE(TinyNet);

// y = x . (1, -2, 0.5, 3) + 0.5 over 32 fixed points; one example per point.
struct TinyTask {
    TinyNet net{nullptr};
    torch::Tensor x = torch::sin(torch::arange(128, torch::kFloat) * 0.37).reshape({32, 4});
    torch::Tensor y = x.matmul(torch::tensor({1.0f, -2.0f, 0.5f, 3.0f})).unsqueeze(1) + 0.5;
    std::vector<double> metrics = {0.1, 0.5, 0.2, 0.3};  // by epoch: the best is epoch 2
    int epoch = 0;
    std::vector<int> epochs_begun;
    int batches = 0;
    std::vector<std::vector<torch::Tensor>> at_validation;
    int interrupt_at = 0;  // begin_epoch throws at this epoch, like a killed process

    explicit TinyTask(std::uint64_t init_seed, std::int64_t hidden = 8) {
        seed_torch(init_seed);
        net = TinyNet(hidden);
    }

    ModuleTask task() {
        ModuleTask t;
        t.what = "tiny";
        t.n_examples = 32;
        t.begin_epoch = [this](int e) {
            if (e == interrupt_at) {
                throw std::runtime_error("interrupted");
            }
            epoch = e;
            epochs_begun.push_back(e);
        };
        t.batch_loss = [this](std::span<const std::size_t> examples) {
            ++batches;
            std::vector<std::int64_t> ids(examples.begin(), examples.end());
            torch::Tensor index = torch::tensor(ids, torch::kLong);
            torch::Tensor loss =
                torch::mse_loss(net->forward(x.index_select(0, index)), y.index_select(0, index));
            return BatchLoss{loss, examples.size()};
        };
        t.validate = [this] {
            at_validation.push_back(copy_parameters(*net));
            return metrics.at(epoch - 1);
        };
        return t;
    }
};

TrainOptions tiny_options(const std::string& checkpoint_dir) {
    TrainOptions options;
    options.max_epochs = 4;
    options.batch_size = 6;  // 6 batches an epoch, the last of 2 examples
    options.learning_rate = 0.02;
    options.weight_decay = 0.1;
    options.patience = 3;
    options.seed = 11;
    options.checkpoint_dir = checkpoint_dir;
    return options;
}

void expect_same_tensors(const std::vector<torch::Tensor>& a, const std::vector<torch::Tensor>& b) {
    ASSERT_EQ(a.size(), b.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
        EXPECT_TRUE(torch::equal(a[i], b[i])) << "tensor " << i;
    }
}

void expect_same_curves(const LearningCurve& a, const LearningCurve& b) {
    ASSERT_EQ(a.epochs.size(), b.epochs.size());
    for (std::size_t e = 0; e < a.epochs.size(); ++e) {
        EXPECT_EQ(a.epochs[e].epoch, b.epochs[e].epoch);
        EXPECT_EQ(a.epochs[e].train_loss, b.epochs[e].train_loss) << "epoch " << e + 1;
        EXPECT_EQ(a.epochs[e].valid_metric, b.epochs[e].valid_metric);
        EXPECT_EQ(a.epochs[e].learning_rate, b.epochs[e].learning_rate);
        EXPECT_EQ(a.epochs[e].n_samples, b.epochs[e].n_samples);
    }
    EXPECT_EQ(a.best_epoch, b.best_epoch);
    EXPECT_EQ(a.best_metric, b.best_metric);
    EXPECT_EQ(a.stop_reason, b.stop_reason);
}

struct TempDir {
    std::string path = testing::make_temp_dir("torch_trainer");
    ~TempDir() { std::filesystem::remove_all(path); }
};

// Trains a TinyTask with checkpoints in `dir` to the end; returns it.
std::unique_ptr<TinyTask> train_tiny(const std::string& dir, LearningCurve& curve) {
    auto run = std::make_unique<TinyTask>(5);
    curve = train_module(*run->net, run->task(), tiny_options(dir));
    return run;
}

TEST(TorchTrainer, SameSeedSameWeightsWithDropoutAndSchedule) {
    TempDir dir;
    LearningCurve a_curve, b_curve;
    auto a = train_tiny("", a_curve);
    auto b = train_tiny(dir.path, b_curve);  // writing checkpoints changes nothing
    expect_same_tensors(copy_parameters(*a->net), copy_parameters(*b->net));
    expect_same_tensors(a->at_validation.back(), b->at_validation.back());
    expect_same_curves(a_curve, b_curve);
    // The run is not trivially repeatable: dropout and shuffling do draw, and epochs differ.
    EXPECT_NE(a_curve.epochs[2].train_loss, a_curve.epochs[3].train_loss);
}

TEST(TorchTrainer, ResumedRunEqualsTheUninterruptedOne) {
    TempDir straight_dir, split_dir;
    LearningCurve straight_curve;
    auto straight = train_tiny(straight_dir.path, straight_curve);
    ASSERT_EQ(straight_curve.epochs.size(), 4u);
    ASSERT_EQ(straight_curve.best_epoch, 2);

    // The first process dies as epoch 3 begins, after the checkpoint of epoch 2.
    TinyTask first(5);
    first.interrupt_at = 3;
    EXPECT_THROW(train_module(*first.net, first.task(), tiny_options(split_dir.path)),
                 std::runtime_error);

    // A new process: other initial weights, which the checkpoint must replace.
    TinyTask second(999);
    TrainOptions options = tiny_options(split_dir.path);
    options.resume = true;
    LearningCurve resumed_curve = train_module(*second.net, second.task(), options);

    EXPECT_EQ(second.epochs_begun, (std::vector<int>{3, 4}));
    expect_same_curves(resumed_curve, straight_curve);
    // Epoch 4's weights (optimizer moments, dropout draws and shuffles all continued) and the
    // kept best of epoch 2 (restored from the checkpoint's copy).
    expect_same_tensors(second.at_validation.back(), straight->at_validation.back());
    expect_same_tensors(copy_parameters(*second.net), copy_parameters(*straight->net));
    expect_same_tensors(copy_parameters(*second.net), straight->at_validation[1]);
}

TEST(TorchTrainer, ResumingAFinishedRunTrainsNothing) {
    TempDir dir;
    LearningCurve curve;
    auto done = train_tiny(dir.path, curve);

    TinyTask again(77);
    TrainOptions options = tiny_options(dir.path);
    options.resume = true;
    LearningCurve back = train_module(*again.net, again.task(), options);
    EXPECT_EQ(again.batches, 0);
    expect_same_curves(back, curve);
    expect_same_tensors(copy_parameters(*again.net), copy_parameters(*done->net));
}

TEST(TorchTrainer, ResumeWithoutACheckpointStartsAfresh) {
    TempDir dir;
    LearningCurve plain;
    auto a = train_tiny("", plain);
    TinyTask b(5);
    TrainOptions options = tiny_options(dir.path + "/new/folder");
    options.resume = true;
    LearningCurve curve = train_module(*b.net, b.task(), options);
    expect_same_curves(curve, plain);
    expect_same_tensors(copy_parameters(*b.net), copy_parameters(*a->net));

    // The folder was made, and holds the checkpoint alone: no temporary file is left behind.
    std::vector<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(dir.path + "/new/folder")) {
        names.push_back(entry.path().filename().string());
    }
    EXPECT_EQ(names, (std::vector<std::string>{"tiny.checkpoint"}));
}

// Resumes a TinyTask from `dir` with `options`; returns the error it throws.
Error resume_error(TinyTask& run, const TrainOptions& options) {
    try {
        train_module(*run.net, run.task(), options);
    } catch (const Error& e) {
        return e;
    }
    ADD_FAILURE() << "the checkpoint was accepted";
    return Error(ErrorKind::kInternal, "");
}

TEST(TorchTrainer, CheckpointOfAnotherRunIsRefused) {
    TempDir dir;
    LearningCurve curve;
    train_tiny(dir.path, curve);
    std::string path = dir.path + "/tiny.checkpoint";

    TinyTask other(5);
    TrainOptions options = tiny_options(dir.path);
    options.resume = true;
    options.learning_rate = 0.05;
    Error e = resume_error(other, options);
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidInput);
    EXPECT_EQ(std::string(e.what()),
              "checkpoint " + path +
                  " was written by another run (options.learning_rate: 0.02 in the checkpoint, "
                  "0.05 now): delete it or drop resume to start afresh");

    TinyTask wider(5, 16);
    options = tiny_options(dir.path);
    options.resume = true;
    e = resume_error(wider, options);
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidInput);
    EXPECT_NE(std::string(e.what()).find("the model's tensor names or shapes differ"),
              std::string::npos)
        << e.what();
    EXPECT_EQ(wider.batches, 0);
}

TEST(TorchTrainer, TruncatedOrCorruptCheckpointIsRefused) {
    TempDir dir;
    LearningCurve curve;
    train_tiny(dir.path, curve);
    std::string path = dir.path + "/tiny.checkpoint";
    std::string whole = testing::read_file(path);
    TrainOptions options = tiny_options(dir.path);
    options.resume = true;

    std::vector<std::string> bad = {whole.substr(0, whole.size() / 2), "", "not a zip at all",
                                    whole.substr(0, whole.size() - 30)};
    for (std::size_t k = 1; k < 8; ++k) {  // one flipped byte, anywhere: zip's CRC-32 says so
        std::string flipped = whole;
        flipped[flipped.size() * k / 8] ^= 0x5a;
        bad.push_back(flipped);
    }
    for (std::size_t i = 0; i < bad.size(); ++i) {
        testing::write_file(path, bad[i]);
        TinyTask run(5);
        std::vector<torch::Tensor> before = copy_parameters(*run.net);
        Error e = resume_error(run, options);
        std::string message = e.what();
        EXPECT_EQ(e.kind(), ErrorKind::kInvalidInput) << message;
        EXPECT_EQ(message.rfind("checkpoint " + path + " ", 0), 0u) << message;
        EXPECT_NE(message.find("delete it or drop resume"), std::string::npos) << message;
        EXPECT_EQ(message.find('\n'), std::string::npos) << message;
        expect_same_tensors(copy_parameters(*run.net), before);
        EXPECT_EQ(run.batches, 0) << "case " << i;
    }
}

TEST(TorchTrainer, AdamWDecaysDecoupledAtTheScheduledRate) {
    // `idle` has a zero loss gradient: AdamW multiplies it by (1 - lr_s * weight_decay) at each
    // step s; Adam adds weight_decay * w to its gradient and then normalises the step, so it
    // moves ~lr_s a step (a little less, as the gradient shrinks with w).
    for (OptimizerKind kind : {OptimizerKind::kAdamW, OptimizerKind::kAdam}) {
        TinyTask run(5);
        TrainOptions options = tiny_options("");
        options.optimizer = kind;
        options.max_epochs = 2;
        options.weight_decay = 0.5;
        options.learning_rate = 0.1;
        options.warmup_steps = 3;
        LearningCurve curve = train_module(*run.net, run.task(), options);

        LrPlan plan{.planned_steps = 12, .warmup_steps = 3};  // 2 epochs of 6 batches
        double decayed = 1.0;
        double lr_sum = 0;
        for (std::int64_t s = 0; s < 12; ++s) {
            decayed *= 1 - lr_at(s, plan, options) * 0.5;
            lr_sum += lr_at(s, plan, options);
        }
        double idle = run.net->idle.item<double>();
        if (kind == OptimizerKind::kAdamW) {
            EXPECT_NEAR(idle, decayed, 1e-6);
        } else {
            EXPECT_GT(idle, 1 - lr_sum - 1e-3);
            EXPECT_LT(idle, 1 - 0.5 * lr_sum);
            EXPECT_GT(std::abs(idle - decayed), 0.1);
        }
        EXPECT_DOUBLE_EQ(curve.epochs[0].learning_rate, lr_at(5, plan, options));
        EXPECT_DOUBLE_EQ(curve.epochs[1].learning_rate, 0.1 * 0.1);
    }
}

TEST(TorchTrainer, BadCheckpointFolderIsAnIoError) {
    TempDir dir;
    std::string blocker = dir.path + "/file";
    testing::write_file(blocker, "x");
    TinyTask run(5);
    try {
        train_module(*run.net, run.task(), tiny_options(blocker + "/sub"));
        FAIL() << "a folder under a file was accepted";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::kIo);
        EXPECT_NE(std::string(e.what()).find(blocker), std::string::npos) << e.what();
    }
}

}  // namespace
}  // namespace sextant
