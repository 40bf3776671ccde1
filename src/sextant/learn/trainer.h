// The training loop every neural model of Sextant runs: epochs of mini-batches, validation after
// each epoch, early stopping, best weights kept, a wall-clock budget and a learning curve.
//
// This header is free of libtorch: the loop only calls back into the model. Models built on
// libtorch use train_module() from torch_trainer.h, which fills these callbacks from a module
// and a loss function (Adam, shuffling, seeding, weight snapshots).
//
// The loop, in order:
//   for epoch = 1..max_epochs:
//     stop (kTimeBudget) if the elapsed time plus the last epoch's duration exceeds the budget;
//     n = begin_epoch(epoch); train_batch(0..n-1), leaving the epoch early when the budget is
//     spent or the loss is not finite (kDiverged);
//     metric = validate(); if metric > best: keep_best();
//     stop (kEarlyStopping) after `patience` epochs without improvement;
//   restore_best() once at the end when some epoch was kept.
// A budget-interrupted epoch is still validated, so the first epoch always yields weights.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "sextant/learn/learning_curve.h"

namespace sextant {

struct TrainOptions {
    int max_epochs = 30;           // upper bound on epochs; 0 trains nothing
    std::size_t batch_size = 128;  // examples per mini-batch (what an example is: the model's)
    double learning_rate = 1e-3;   // Adam's step size
    double weight_decay = 0;       // Adam's L2 penalty
    double clip_grad_norm = 0;     // clip the gradients' global L2 norm to this; 0 = no clipping
    int patience = 3;              // epochs without a better validation metric before stopping
    double budget_seconds = 0;     // wall-clock budget for the whole run; 0 = unlimited
    std::uint64_t seed = 42;       // seeds torch (weights, dropout) and the shuffling
    // Intra-op threads for libtorch (torch::set_num_threads, process-wide); 0 leaves the
    // setting alone. 1 is the default: on 2 cores with Debian's libtorch, 2 threads trained
    // GRU4Rec on MovieLens ~3x slower than 1 (7,000 vs 20,500 samples/s with the pthread
    // OpenBLAS; 900 vs 2,100 with the reference BLAS), as torch's and BLAS's threads contend.
    int threads = 1;
    // Raises glibc's mmap and trim thresholds (mallopt, process-wide, never undone) so that
    // large tensors freed every step stay in the heap for the next step. Otherwise each step
    // maps and zero-fills its [samples, n_items] logits afresh: GRU4Rec on MovieLens trained
    // 2.4x slower. The cost: the process keeps its peak heap after training.
    bool keep_freed_memory = true;
};

// What one mini-batch reports back.
struct BatchResult {
    double loss = 0;              // mean loss per sample of the batch
    std::uint64_t n_samples = 0;  // samples the loss averages over (weights the epoch mean)
};

struct TrainCallbacks {
    std::string what = "train";             // names the run in progress lines ("gru4rec")
    std::uint64_t n_samples_per_epoch = 0;  // for the progress line's % and ETA; 0 = unknown

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
};

// Runs the loop above and returns its learning curve. Progress lines (samples/s, loss) and one
// summary line per epoch go through the logger. Exceptions from the callbacks propagate (the
// best weights are then not restored). Throws sextant::Error (invalid input) when a required
// callback is missing or options are out of range (batch_size 0, patience < 1, negative
// budget).
LearningCurve run_training(const TrainCallbacks& callbacks, const TrainOptions& options);

}  // namespace sextant
