// The trainer for libtorch modules: AdamW (or Adam) over the module's parameters with the
// learning-rate schedule of trainer.h, shuffled mini-batches of example indices, best weights
// kept in memory, and optional checkpoints after every epoch to resume an interrupted run.
//
// Includes <torch/torch.h>: include it only from model .cpp files, never from a header that
// other code includes. A model plugs in by giving its module, how many examples an epoch has
// and a function from a batch of example indices to a mean loss; the rest is run_training().
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "sextant/learn/learning_curve.h"
#include "sextant/learn/trainer.h"

namespace sextant {

// Seeds libtorch's generator. Call it before building a module so that its initial weights
// repeat; train_module() calls it again for dropout.
void seed_torch(std::uint64_t seed);

// A deep copy of a module's parameters and buffers, by name.
class ParameterSnapshot {
public:
    // Replaces the copy with the module's current values.
    void save(const torch::nn::Module& module);
    // Writes the copy back into the module. REQUIRES: save() was called on a module of the same
    // structure. Throws sextant::Error (internal) when a name is missing.
    void restore(torch::nn::Module& module) const;
    bool empty() const { return tensors_.empty(); }

    // The copy, by name (parameters first, then buffers) / replaces it wholesale (a checkpoint).
    const std::vector<std::pair<std::string, torch::Tensor>>& tensors() const { return tensors_; }
    void assign(std::vector<std::pair<std::string, torch::Tensor>> tensors) {
        tensors_ = std::move(tensors);
    }

private:
    std::vector<std::pair<std::string, torch::Tensor>> tensors_;
};

// What a batch loss function returns.
struct BatchLoss {
    torch::Tensor loss;           // scalar: the mean over the batch's samples, with a graph
    std::uint64_t n_samples = 0;  // the samples it averages over (targets, pairs, users)
};

struct ModuleTask {
    std::string what = "train";             // names the run in logs ("gru4rec")
    std::size_t n_examples = 0;             // examples per epoch; batches are drawn from 0..n-1
    std::uint64_t n_samples_per_epoch = 0;  // for progress; 0 = unknown
    TrainLogStyle log_style;                // how log lines name the validation figure
    // Builds the loss of a batch of example indices (in train mode, gradients on).
    std::function<BatchLoss(std::span<const std::size_t> examples)> batch_loss;
    // Validation metric, higher is better. Called in eval mode under torch::NoGradGuard.
    std::function<double()> validate;
    // Optional: called before each epoch (1-based), e.g. to draw fresh negative samples.
    std::function<void(int epoch)> begin_epoch;
    // Optional clock seam, as in TrainCallbacks.
    std::function<double()> clock;

    // Optional data parallelism. With options.threads = W > 1 and W - 1 `replicas` (modules of
    // the module's structure, owned by the model), every batch is cut into W contiguous parts
    // of nearly equal size; part w is computed by worker_loss(w, part) on its own thread, with
    // one libtorch thread each: worker 0 on the module itself, worker w on replicas[w - 1]. The
    // gradients are summed into the module's, each part weighted by its share of the batch's
    // samples, so a step is the step of the whole batch (up to the order of float sums); the
    // replicas are then set to the module's new weights. Unlike intra-op threads, which barely
    // help on small cores-bound models, this keeps every core busy on its own GEMMs.
    // worker_loss must be safe to call from two threads at once for different workers (its own
    // scratch and random stream per worker). Runs with threads > 1 are not bit-repeatable.
    std::vector<torch::nn::Module*> replicas;
    std::function<BatchLoss(std::size_t worker, std::span<const std::size_t> examples)> worker_loss;
};

// Trains `module` on `task` with options.optimizer (AdamW by default: decoupled weight decay)
// at the rate of lr_at() (trainer.h) for each step, shuffling the example order each epoch
// with a generator seeded from options.seed, and returns the curve. On return the module holds
// the best epoch's weights and is in eval mode. Sets torch::set_num_threads(options.threads)
// when threads > 0 (a process-wide setting).
//
// Repeatable: with the same seed, data, options and one thread, two runs end with bit-identical
// weights, as long as the model's own randomness (task.begin_epoch, batch_loss) comes from
// torch's generator or from state that depends on the seed and epoch alone.
//
// Checkpoints (options.checkpoint_dir non-empty): after every validated epoch the run is
// written to `<checkpoint_dir>/<task.what>.checkpoint` (train_checkpoint.h), atomically: a
// temporary file in the same folder renamed over the old one, so a crash leaves the previous
// checkpoint whole. The folder is created when missing. The checkpoint stays when training
// ends; deleting it is the caller's choice. With options.resume and a checkpoint present, the
// run continues after its epoch: final weights and curve equal those of an uninterrupted run
// bit for bit (budget aside, which counts this call's time only and makes any run
// timing-dependent). A run that had finished (max epochs, early stopping) trains nothing more
// and returns its curve with the best weights. Without a checkpoint, resume starts afresh.
//
// Throws sextant::Error: kInvalidInput for a missing batch_loss or validate, options that
// run_training() refuses, and a checkpoint that is unreadable, truncated or from another run
// (another module shape, n_examples or result-changing option), naming the file and saying to
// delete it or drop resume (the module is then left as it was); kIo when a checkpoint cannot be
// written.
LearningCurve train_module(torch::nn::Module& module, const ModuleTask& task,
                           const TrainOptions& options);

}  // namespace sextant
