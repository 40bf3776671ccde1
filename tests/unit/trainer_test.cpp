#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <vector>

#include "sextant/core/error.h"
#include "sextant/learn/learning_curve.h"
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
    std::vector<int> epochs_begun;
    std::vector<double> rates;          // set_learning_rate's values, one per batch
    std::vector<TrainingState> states;  // what end_epoch reported

    TrainCallbacks callbacks() {
        TrainCallbacks cb;
        cb.what = "fake";
        cb.clock = [this] { return now; };
        cb.begin_epoch = [this](int epoch) {
            epochs_begun.push_back(epoch);
            return batches_per_epoch;
        };
        cb.set_learning_rate = [this](double lr) { rates.push_back(lr); };
        cb.end_epoch = [this](const TrainingState& state) { states.push_back(state); };
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

TEST(Trainer, WarmupCosineScheduleMatchesHandValues) {
    TrainOptions options;
    options.learning_rate = 1.0;
    options.min_lr_fraction = 0.1;
    LrPlan plan{.planned_steps = 6, .warmup_steps = 2};
    // t = step + 1; warm-up t/2 for t <= 2, then 0.1 + 0.45 * (1 + cos(pi * (t - 2) / 4)).
    std::vector<double> want = {
        0.5, 1.0, 0.1 + 0.45 * (1 + std::sqrt(0.5)), 0.55, 0.1 + 0.45 * (1 - std::sqrt(0.5)), 0.1,
        0.1, 0.1};
    for (std::int64_t step = 0; step < 8; ++step) {
        EXPECT_NEAR(lr_at(step, plan, options), want[step], 1e-12) << "step " << step;
    }
    EXPECT_NEAR(want[2], 0.8681980515339464, 1e-15);  // the arithmetic, spelt out

    options.schedule = LrSchedule::kConstant;
    for (std::int64_t step = 0; step < 8; ++step) {
        EXPECT_EQ(lr_at(step, plan, options), 1.0);
    }
}

TEST(Trainer, WarmupOfZeroStepsStartsTheCosineAtOnce) {
    TrainOptions options;
    options.learning_rate = 2.0;
    options.min_lr_fraction = 0.1;
    LrPlan plan{.planned_steps = 4, .warmup_steps = 0};
    // 0.2 + 0.9 * (1 + cos(pi * t / 4)) for t = 1, 2, 3; the floor 0.2 at t = 4.
    EXPECT_NEAR(lr_at(0, plan, options), 0.2 + 0.9 * (1 + std::sqrt(0.5)), 1e-12);
    EXPECT_NEAR(lr_at(1, plan, options), 1.1, 1e-12);
    EXPECT_NEAR(lr_at(2, plan, options), 0.2 + 0.9 * (1 - std::sqrt(0.5)), 1e-12);
    EXPECT_NEAR(lr_at(3, plan, options), 0.2, 1e-12);
}

TEST(Trainer, DefaultWarmupIsFivePercentCappedAtOneEpoch) {
    TrainOptions options;
    EXPECT_EQ(options.warmup_steps, -1);
    EXPECT_EQ(resolve_warmup_steps(options, 1000, 30), 30);  // 50 capped at one epoch
    EXPECT_EQ(resolve_warmup_steps(options, 200, 30), 10);
    EXPECT_EQ(resolve_warmup_steps(options, 19, 30), 0);
    options.warmup_steps = 7;
    EXPECT_EQ(resolve_warmup_steps(options, 1000, 30), 7);
}

TEST(Trainer, PlannedEpochsFollowTheBudget) {
    TrainOptions options;
    options.max_epochs = 30;
    EXPECT_EQ(planned_epochs(options, 2, 6.0, 2.0), 30);  // no budget: max_epochs
    options.budget_seconds = 10;
    EXPECT_EQ(planned_epochs(options, 2, 6.0, 2.0), 5);  // 3 more epochs of 2 s fit in 6 s
    EXPECT_EQ(planned_epochs(options, 2, 5.9, 2.0), 4);
    EXPECT_EQ(planned_epochs(options, 2, -1.0, 2.0), 2);   // overrun: nothing more
    EXPECT_EQ(planned_epochs(options, 0, 10.0, 0.0), 30);  // no epoch measured yet
    options.max_epochs = 4;
    EXPECT_EQ(planned_epochs(options, 2, 6.0, 2.0), 4);
}

TEST(Trainer, BudgetRunDecaysToTheFloorWithinTheBudget) {
    FakeRun run;
    run.metrics = {0.1, 0.2, 0.3, 0.4};
    TrainOptions options;
    options.learning_rate = 1.0;
    options.budget_seconds = 7;
    LearningCurve curve = run_training(run.callbacks(), options);

    // Epochs of 2 steps, 2 s. Steps 0 and 1 ramp on the max_epochs plan (60 steps, warm-up
    // min(3, 2) = 2): 1/2, 2/2. The pace of step 1 (1 s a step) fits 3 epochs in 7 s: 6 steps,
    // warm-up 6 / 20 = 0, so 0.1 + 0.45 * (1 + cos(pi * t / 6)) for t = 3..5, then the floor.
    // Epoch 4 would end at 8 s.
    std::vector<double> want = {
        0.5, 1.0, 0.55, 0.1 + 0.45 * 0.5, 0.1 + 0.45 * (1 - std::sqrt(0.75)), 0.1};
    ASSERT_EQ(run.rates.size(), want.size());
    for (std::size_t i = 0; i < want.size(); ++i) {
        EXPECT_NEAR(run.rates[i], want[i], 1e-12) << "step " << i;
    }
    ASSERT_EQ(curve.epochs.size(), 3u);
    EXPECT_EQ(curve.stop_reason, StopReason::kTimeBudget);
    EXPECT_NEAR(curve.epochs[0].learning_rate, 1.0, 1e-12);
    EXPECT_NEAR(curve.epochs[1].learning_rate, 0.325, 1e-12);
    EXPECT_NEAR(curve.epochs[2].learning_rate, 0.1, 1e-12);
    EXPECT_EQ(run.states.back().warmup_steps, 0);
    // A budget stop ends the run: a resume must not train it again.
    EXPECT_TRUE(run.states.back().finished);
}

// A slow first batch (allocations, page faults) planned a three-epoch run into one, and the
// learning rate sat at its floor from the end of the first epoch on.
TEST(Trainer, SlowFirstBatchesDoNotShortenThePlan) {
    FakeRun run;
    run.metrics = {0.1, 0.2, 0.3};
    run.batches_per_epoch = 200;
    TrainOptions options;
    options.learning_rate = 1.0;
    options.budget_seconds = 600;  // 3 epochs of 200 s fit, not 4
    TrainCallbacks cb = run.callbacks();
    std::size_t batches = 0;
    cb.train_batch = [&](std::size_t) {
        // The first 2 batches (the first 1%) take 50 s each, the rest 1 s.
        run.now += batches++ < 2 ? 50.0 : 1.0;
        return BatchResult{1.0, 1};
    };
    LearningCurve curve = run_training(cb, options);
    // Paced on batches 2..3 (1 s each): 200 s an epoch, 3 in the budget: 600 steps, warm-up 30.
    // At the end of epoch 1 (t = 200) the rate is 0.1 + 0.45 * (1 + cos(pi * 170 / 570)) = 0.82.
    // Paced on the first 2 batches (50 s each) the plan was 12 steps, and the rate 0.1 by then.
    ASSERT_GE(curve.epochs.size(), 2u);
    EXPECT_NEAR(curve.epochs[0].learning_rate,
                0.1 + 0.45 * (1 + std::cos(std::numbers::pi * 170 / 570)), 1e-12);
}

TEST(Trainer, BudgetShorterThanAnEpochStillEndsAtTheFloor) {
    FakeRun run;
    run.metrics = {0.1};
    run.batches_per_epoch = 400;
    TrainOptions options;
    options.learning_rate = 1.0;
    options.budget_seconds = 20.5;
    LearningCurve curve = run_training(run.callbacks(), options);

    // The probe is the second 4 batches (1%, after the first 1%): 1 s each, so 20 steps fit of a
    // 400-step epoch. Warm-up 20 / 20 = 1 step; steps 0..7 ramped on the provisional plan
    // (12,000 steps, warm-up 400), then the cosine over steps 8..19 ends at the floor.
    ASSERT_EQ(run.rates.size(), 21u);  // batches start at t = 0..20; at 21 the budget is spent
    EXPECT_NEAR(run.rates[0], 1.0 / 400, 1e-12);
    EXPECT_NEAR(run.rates[3], 4.0 / 400, 1e-12);
    EXPECT_NEAR(run.rates[7], 8.0 / 400, 1e-12);
    EXPECT_NEAR(run.rates[8], 0.1 + 0.45 * (1 + std::cos(std::numbers::pi * 8 / 19)), 1e-12);
    EXPECT_NEAR(run.rates[19], 0.1, 1e-12);
    EXPECT_NEAR(run.rates[20], 0.1, 1e-12);
    ASSERT_EQ(curve.epochs.size(), 1u);
    EXPECT_FALSE(curve.epochs[0].complete);
    EXPECT_NEAR(curve.epochs[0].learning_rate, 0.1, 1e-12);
}

TEST(Trainer, ResumedRunEqualsTheUninterruptedOne) {
    TrainOptions options;
    options.max_epochs = 4;
    options.learning_rate = 1.0;
    options.warmup_steps = 1;
    FakeRun straight;
    straight.metrics = {0.1, 0.5, 0.2, 0.3};
    LearningCurve whole = run_training(straight.callbacks(), options);
    ASSERT_EQ(straight.states.size(), 4u);
    EXPECT_TRUE(straight.states[3].finished);
    EXPECT_FALSE(straight.states[1].finished);

    FakeRun resumed;
    resumed.metrics = {0.2, 0.3};  // epochs 3 and 4
    TrainCallbacks cb = resumed.callbacks();
    cb.start = straight.states[1];
    LearningCurve rest = run_training(cb, options);

    EXPECT_EQ(resumed.epochs_begun, (std::vector<int>{3, 4}));
    ASSERT_EQ(resumed.rates.size(), 4u);
    for (std::size_t i = 0; i < 4; ++i) {
        EXPECT_EQ(resumed.rates[i], straight.rates[4 + i]);
    }
    ASSERT_EQ(rest.epochs.size(), whole.epochs.size());
    for (std::size_t e = 0; e < whole.epochs.size(); ++e) {
        EXPECT_EQ(rest.epochs[e].epoch, whole.epochs[e].epoch);
        EXPECT_EQ(rest.epochs[e].train_loss, whole.epochs[e].train_loss);
        EXPECT_EQ(rest.epochs[e].valid_metric, whole.epochs[e].valid_metric);
        EXPECT_EQ(rest.epochs[e].learning_rate, whole.epochs[e].learning_rate);
        EXPECT_EQ(rest.epochs[e].seconds, whole.epochs[e].seconds);  // the clock runs on
    }
    EXPECT_EQ(rest.best_epoch, 2);
    EXPECT_EQ(resumed.kept_at_validation, -1);  // epoch 2's copy, kept before, is the best
    EXPECT_EQ(resumed.restores, 1);
    EXPECT_EQ(rest.stop_reason, StopReason::kMaxEpochs);
    EXPECT_EQ(rest.seconds, whole.seconds);
}

// A run stopped by its budget was resumed as if interrupted, and trained a second budget.
TEST(Trainer, BudgetStoppedRunIsNotTrainedAgainOnResume) {
    FakeRun first;
    first.metrics = {0.1, 0.2, 0.3};
    TrainOptions options;
    options.budget_seconds = 5;
    LearningCurve done = run_training(first.callbacks(), options);
    ASSERT_EQ(done.stop_reason, StopReason::kTimeBudget);
    ASSERT_EQ(done.epochs.size(), 2u);
    // The last checkpoint written says the run is over.
    ASSERT_TRUE(first.states.back().finished);

    FakeRun again;
    TrainCallbacks cb = again.callbacks();
    cb.start = first.states.back();
    LearningCurve curve = run_training(cb, options);
    EXPECT_TRUE(again.epochs_begun.empty());
    EXPECT_EQ(curve.epochs.size(), 2u);
    EXPECT_EQ(curve.stop_message, "time budget of 5 s spent");
}

// An interrupted budgeted run resumes with the budget that was left, not a whole new one.
TEST(Trainer, ResumedRunGetsTheBudgetThatWasLeft) {
    FakeRun first;
    first.metrics = {0.1, 0.2, 0.3, 0.4, 0.5};
    TrainOptions options;
    options.budget_seconds = 9;
    run_training(first.callbacks(), options);
    // Epochs of 2 s fit 4 in 9 s. Resume from the state after epoch 1 (2 s spent): 7 s left,
    // room for 3 more epochs (ending at 2 + 6 = 8 s), not 4 (a fresh 9 s).
    FakeRun again;
    again.metrics = {0.2, 0.3, 0.4, 0.5};
    TrainCallbacks cb = again.callbacks();
    cb.start = first.states.front();
    ASSERT_EQ(cb.start.epoch, 1);
    ASSERT_FALSE(cb.start.finished);
    LearningCurve curve = run_training(cb, options);
    EXPECT_EQ(again.epochs_begun, (std::vector<int>{2, 3, 4}));
    EXPECT_EQ(curve.epochs.size(), 4u);
}

TEST(Trainer, FinishedStartStateTrainsNothing) {
    FakeRun first;
    first.metrics = {0.3, 0.2, 0.1};
    TrainOptions options;
    options.patience = 2;
    LearningCurve done = run_training(first.callbacks(), options);
    ASSERT_EQ(done.stop_reason, StopReason::kEarlyStopping);
    ASSERT_TRUE(first.states.back().finished);

    FakeRun again;
    TrainCallbacks cb = again.callbacks();
    cb.start = first.states.back();
    LearningCurve curve = run_training(cb, options);
    EXPECT_TRUE(again.epochs_begun.empty());
    EXPECT_EQ(again.restores, 1);
    EXPECT_EQ(curve.epochs.size(), 3u);
    EXPECT_EQ(curve.best_epoch, 1);
    EXPECT_EQ(curve.stop_message, "early stopping after epoch 3");
}

TEST(Trainer, ResumeAfterACutEpochThatSpentThePatienceTrainsNothing) {
    FakeRun run;
    TrainCallbacks cb = run.callbacks();
    cb.start.epoch = 2;
    cb.start.since_best = 1;
    cb.start.curve.epochs.resize(2);
    cb.start.curve.best_epoch = 1;
    TrainOptions options;
    options.patience = 1;
    LearningCurve curve = run_training(cb, options);
    EXPECT_TRUE(run.epochs_begun.empty());
    EXPECT_EQ(curve.stop_reason, StopReason::kEarlyStopping);
    EXPECT_EQ(curve.stop_message, "early stopping after epoch 2");
    EXPECT_EQ(run.restores, 1);
}

TEST(Trainer, BadScheduleOptionsAndStartStateAreInvalidInput) {
    FakeRun run;
    run.metrics = {0.1};
    TrainOptions options;
    options.min_lr_fraction = 1.5;
    EXPECT_THROW(run_training(run.callbacks(), options), Error);
    options = TrainOptions{};
    options.warmup_steps = -2;
    EXPECT_THROW(run_training(run.callbacks(), options), Error);
    options = TrainOptions{};
    options.learning_rate = NAN;
    EXPECT_THROW(run_training(run.callbacks(), options), Error);
    TrainCallbacks cb = run.callbacks();
    cb.start.epoch = 2;  // but no epochs in its curve
    try {
        run_training(cb, TrainOptions{});
        FAIL() << "an inconsistent start state was accepted";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::kInvalidInput);
    }
}

TEST(Trainer, LearningCurveJsonRoundTripsExactly) {
    LearningCurve curve;
    EpochRecord a;
    a.epoch = 1;
    a.train_loss = 0.1 + 0.2;  // 0.30000000000000004
    a.valid_metric = NAN;
    a.seconds = 1.0 / 3.0;
    a.epoch_seconds = 1e-300;
    a.n_samples = 18446744073709551615ull;
    a.complete = false;
    a.learning_rate = 3e-3 * 0.7;
    curve.epochs.push_back(a);
    curve.best_epoch = 1;
    curve.best_metric = 0.123456789012345678;
    curve.stop_reason = StopReason::kTimeBudget;
    curve.stop_message = "time budget of 5 s spent";
    curve.seconds = 12.5;

    nlohmann::json j = nlohmann::json::parse(to_json(curve).dump());
    LearningCurve back = learning_curve_from_json(j, "test");
    ASSERT_EQ(back.epochs.size(), 1u);
    const EpochRecord& b = back.epochs[0];
    EXPECT_EQ(b.train_loss, a.train_loss);
    EXPECT_TRUE(std::isnan(b.valid_metric));
    EXPECT_EQ(b.seconds, a.seconds);
    EXPECT_EQ(b.epoch_seconds, a.epoch_seconds);
    EXPECT_EQ(b.n_samples, a.n_samples);
    EXPECT_FALSE(b.complete);
    EXPECT_EQ(b.learning_rate, a.learning_rate);
    EXPECT_EQ(back.best_metric, curve.best_metric);
    EXPECT_EQ(back.stop_reason, StopReason::kTimeBudget);
    EXPECT_EQ(back.stop_message, curve.stop_message);

    j.erase("best_epoch");
    try {
        learning_curve_from_json(j, "ckpt");
        FAIL() << "a curve without best_epoch was accepted";
    } catch (const Error& e) {
        EXPECT_EQ(std::string(e.what()), "ckpt: learning curve has no field \"best_epoch\"");
    }
}

}  // namespace
}  // namespace sextant
