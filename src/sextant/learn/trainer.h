// The training loop every neural model of Sextant runs: epochs of mini-batches, validation after
// each epoch, early stopping, best weights kept, a learning-rate schedule, a wall-clock budget, a
// learning curve, and the state a run needs to be continued from a checkpoint.
//
// This header is free of libtorch: the loop only calls back into the model. Models built on
// libtorch use train_module() from torch_trainer.h, which fills these callbacks from a module
// and a loss function (AdamW, shuffling, seeding, weight snapshots, checkpoints).
//
// The loop, in order:
//   for epoch = start.epoch + 1 .. max_epochs:
//     stop (kTimeBudget) if the elapsed time plus the last epoch's duration exceeds the budget
//     (never before the first epoch of this call);
//     n = begin_epoch(epoch); for each batch: set_learning_rate(lr_at(step)), train_batch(b),
//     leaving the epoch early when the budget is spent or the loss is not finite (kDiverged);
//     (with a budget, the first epoch of a call re-plans the schedule from the pace of its
//     first 1% of batches: the epochs that fit, or the steps that fit when not even one does)
//     metric = validate(); if metric > best: keep_best();
//     with a budget, re-plan the epoch count from the measured epoch time;
//     end_epoch(state) (a checkpoint);
//     stop (kEarlyStopping) after `patience` epochs without improvement;
//   restore_best() once at the end when some epoch was kept.
// A budget-interrupted epoch is still validated, so the first epoch always yields weights.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "sextant/learn/learning_curve.h"

namespace sextant {

enum class OptimizerKind {
    kAdamW,  // Adam with decoupled weight decay (Loshchilov & Hutter, ICLR 2019)
    kAdam,   // Adam with weight decay as an L2 term added to the gradient
};

enum class LrSchedule {
    kWarmupCosine,  // linear warm-up from 0, then cosine decay to min_lr_fraction * learning_rate
    kConstant,      // learning_rate at every step
};

struct TrainOptions {
    int max_epochs = 30;           // upper bound on epochs; 0 trains nothing
    std::size_t batch_size = 128;  // examples per mini-batch (what an example is: the model's)
    OptimizerKind optimizer = OptimizerKind::kAdamW;
    double learning_rate = 1e-3;  // peak step size of the optimizer
    LrSchedule schedule = LrSchedule::kWarmupCosine;
    // Optimizer steps of linear warm-up; -1 = 5% of the planned steps, at most one epoch's
    // batches. Adam's moment estimates rest on few gradients in the first steps, so full-size
    // steps there can throw the weights far; a short ramp removes that risk, and the cap keeps
    // short runs with big epochs from spending long at a low rate.
    std::int64_t warmup_steps = -1;
    double min_lr_fraction = 0.1;  // the cosine ends at this fraction of learning_rate
    // With kAdamW: decoupled decay, each step shrinks the weights by learning_rate (as
    // scheduled) * weight_decay. With kAdam: an L2 penalty added to the gradient. The models set
    // their own value in their TrainOptions (0 unless they say otherwise).
    double weight_decay = 0;
    double clip_grad_norm = 0;  // clip the gradients' global L2 norm to this; 0 = no clipping
    int patience = 3;           // epochs without a better validation metric before stopping
    // Wall-clock budget for this call, in seconds; 0 = unlimited. A resumed run gets the whole
    // budget again: time spent before the checkpoint does not count against it.
    double budget_seconds = 0;
    std::uint64_t seed = 42;  // seeds torch (weights, dropout) and the shuffling
    // Folder for the checkpoint of train_module() (torch_trainer.h); empty = no checkpoints.
    std::string checkpoint_dir = "";
    // Continue from the checkpoint in checkpoint_dir when there is one (else start afresh).
    bool resume = false;
    // Training threads. A model that gives its ModuleTask replicas (GRU4Rec, SASRec) trains
    // data-parallel on them, one libtorch thread each (torch_trainer.h): on 2 cores 1.45x and
    // 1.9x the samples/s of one thread. Other models use them as libtorch's intra-op threads
    // (torch::set_num_threads, process-wide), which gain little on 2 cores: as intra-op threads
    // they once trained GRU4Rec ~3x slower than one (7,000 vs 20,500 samples/s), torch's and
    // BLAS's threads contending. 0 leaves the setting alone. 1, the default, is bit-repeatable.
    int threads = 1;
    // Raises glibc's mmap and trim thresholds (mallopt, process-wide, never undone) so that
    // large tensors freed every step stay in the heap for the next step. Otherwise each step
    // maps and zero-fills its [samples, n_items] logits afresh: GRU4Rec on MovieLens trained
    // 2.4x slower. The cost: the process keeps its peak heap after training.
    bool keep_freed_memory = true;
};

// The steps a schedule spans.
struct LrPlan {
    std::int64_t planned_steps = 0;  // planned epochs x batches per epoch
    std::int64_t warmup_steps = 0;   // resolved (>= 0)
};

// The learning rate of optimizer step `step` (0-based) under options.schedule. With
// kWarmupCosine, with t = step + 1, W = warmup_steps and P = planned_steps:
//   t >= P: min_lr_fraction * learning_rate (the last planned step and any beyond it);
//   t <= W: learning_rate * t / W;
//   else:   floor + (learning_rate - floor) * (1 + cos(pi * (t - W) / (P - W))) / 2.
double lr_at(std::int64_t step, const LrPlan& plan, const TrainOptions& options);

// The warm-up length: options.warmup_steps when >= 0, else min(planned_steps / 20,
// steps_per_epoch). Fixed from the first plan a run trusts: the first step without a budget,
// after the pace probe of the first epoch with one (earlier steps ramp on the max_epochs plan).
std::int64_t resolve_warmup_steps(const TrainOptions& options, std::int64_t planned_steps,
                                  std::int64_t steps_per_epoch);

// The epochs the schedule plans for after `epochs_done` epochs: max_epochs without a budget or
// without a measured epoch time (epoch_seconds <= 0), else min(max_epochs, epochs_done + the
// whole epochs of `epoch_seconds` that fit in `seconds_left`), the count the budget rule lets
// run when epochs keep their length.
int planned_epochs(const TrainOptions& options, int epochs_done, double seconds_left,
                   double epoch_seconds);

// What one mini-batch reports back.
struct BatchResult {
    double loss = 0;              // mean loss per sample of the batch
    std::uint64_t n_samples = 0;  // samples the loss averages over (weights the epoch mean)
};

// Where a run stands after an epoch: all run_training needs to continue it exactly.
struct TrainingState {
    int epoch = 0;                   // epochs done; 0 = a fresh run
    std::int64_t n_steps = 0;        // optimizer steps done
    std::int64_t warmup_steps = -1;  // the warm-up fixed in the first epoch; -1 = not yet
    int since_best = 0;              // epochs since the best one
    // True when the run stopped after `epoch` for good (max epochs, early stopping): continuing
    // it trains nothing more. A budget stop is not final.
    bool finished = false;
    // The epochs so far, best_epoch and best_metric, the stop fields when finished, and
    // `seconds`, the wall-clock seconds of all calls up to here.
    LearningCurve curve;
};

// How log lines show a run: its validation figure by name, and whether its epochs are worth a
// line each at the default level.
struct TrainLogStyle {
    std::string metric = "valid";  // e.g. "valid NDCG@10"
    // -1 when validate() returns a loss negated so that higher is better: lines show the loss.
    double metric_sign = 1;
    // false: epoch lines at debug level (models whose epochs take milliseconds, where a hundred
    // lines would bury the rest); the run's summary line stays at info.
    bool epochs_at_info = true;
};

struct TrainCallbacks {
    std::string what = "train";             // names the run in progress lines ("gru4rec")
    std::uint64_t n_samples_per_epoch = 0;  // for the progress line's % and ETA; 0 = unknown
    TrainLogStyle log_style;

    // Prepares epoch `epoch` (1-based; shuffle, sample negatives) and returns its batch count.
    std::function<std::size_t(int epoch)> begin_epoch;
    // Trains on batch `b` of the current epoch (0 <= b < the count begin_epoch returned).
    std::function<BatchResult(std::size_t b)> train_batch;
    // Returns the validation metric of the current weights; higher is better. A NaN counts
    // as no improvement.
    std::function<double()> validate;
    // Copies the current weights aside as the best so far / puts the kept copy back.
    std::function<void()> keep_best;
    std::function<void()> restore_best;
    // Seconds on a monotonic clock; empty = std::chrono::steady_clock. A seam for tests.
    std::function<double()> clock;
    // Optional: sets the learning rate of the next train_batch (called before each one).
    std::function<void(double learning_rate)> set_learning_rate;
    // Optional: called after each validated epoch, once keep_best() has run, with the state to
    // continue from (to write a checkpoint). Not called for a diverged epoch.
    std::function<void(const TrainingState& state)> end_epoch;
    // Where the run starts: a fresh run by default, or a state end_epoch reported, in which case
    // the weights, best copy and generators behind the callbacks must be those of that moment.
    TrainingState start;
};

// Runs the loop above and returns its learning curve (continuing start.curve). Progress lines
// (samples/s, loss) and one summary line per epoch go through the logger. Exceptions from the
// callbacks propagate (the best weights are then not restored). Throws sextant::Error (invalid
// input) when a required callback is missing, options are out of range (batch_size 0, patience
// < 1, negative budget, learning_rate, weight_decay or warmup_steps, min_lr_fraction outside
// [0, 1]) or `start` is inconsistent (epochs in its curve != start.epoch).
// The options as a model's meta.json records them (optimizer and schedule by name).
nlohmann::json train_options_json(const TrainOptions& options);

// Overwrites the fields of `options` present in `json` (as train_options_json() writes them;
// the optimizer and the schedule are not read back). Throws sextant::Error (kInvalidInput)
// naming `source` and the field when one is of the wrong type.
void read_train_options(const nlohmann::json& json, const std::string& source,
                        TrainOptions& options);

LearningCurve run_training(const TrainCallbacks& callbacks, const TrainOptions& options);

}  // namespace sextant
