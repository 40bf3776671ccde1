#include "sextant/learn/torch_trainer.h"

#include <malloc.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <numeric>
#include <random>

#include "sextant/core/error.h"
#include "sextant/core/log.h"
#include "sextant/learn/train_checkpoint.h"

namespace sextant {

namespace {

void keep_freed_memory() {
    static const bool done = [] {
        mallopt(M_MMAP_THRESHOLD, 1 << 30);
        mallopt(M_TRIM_THRESHOLD, 1 << 30);
        return true;
    }();
    (void)done;
}

std::unique_ptr<torch::optim::Optimizer> make_optimizer(torch::nn::Module& module,
                                                        const TrainOptions& options) {
    if (options.optimizer == OptimizerKind::kAdam) {
        return std::make_unique<torch::optim::Adam>(
            module.parameters(),
            torch::optim::AdamOptions(options.learning_rate).weight_decay(options.weight_decay));
    }
    // AdamWOptions' own default decay is 1e-2: always pass ours.
    return std::make_unique<torch::optim::AdamW>(
        module.parameters(),
        torch::optim::AdamWOptions(options.learning_rate).weight_decay(options.weight_decay));
}

}  // namespace

void seed_torch(std::uint64_t seed) {
    torch::manual_seed(seed);
}

void ParameterSnapshot::save(const torch::nn::Module& module) {
    torch::NoGradGuard no_grad;
    tensors_.clear();
    for (const auto& item : module.named_parameters()) {
        tensors_.emplace_back(item.key(), item.value().detach().clone());
    }
    for (const auto& item : module.named_buffers()) {
        tensors_.emplace_back(item.key(), item.value().detach().clone());
    }
}

void ParameterSnapshot::restore(torch::nn::Module& module) const {
    torch::NoGradGuard no_grad;
    auto parameters = module.named_parameters();
    auto buffers = module.named_buffers();
    for (const auto& [name, value] : tensors_) {
        torch::Tensor* target = parameters.find(name);
        if (target == nullptr) {
            target = buffers.find(name);
        }
        if (target == nullptr) {
            throw Error(ErrorKind::kInternal, "weight snapshot: module has no tensor " + name);
        }
        target->copy_(value);
    }
}

LearningCurve train_module(torch::nn::Module& module, const ModuleTask& task,
                           const TrainOptions& options) {
    if (!task.batch_loss || !task.validate) {
        throw_invalid("train_module: batch_loss and validate are required");
    }
    // libtorch's optimizers check these with c10::Error; say it as a user error first.
    if (!(options.learning_rate >= 0) || !(options.weight_decay >= 0)) {
        throw_invalid("train_module: learning_rate and weight_decay must be numbers >= 0");
    }
    if (options.threads > 0) {
        torch::set_num_threads(options.threads);
    }
    if (options.keep_freed_memory) {
        keep_freed_memory();
    }
    seed_torch(options.seed);
    std::mt19937_64 rng(options.seed);
    std::unique_ptr<torch::optim::Optimizer> optimizer = make_optimizer(module, options);
    std::vector<std::size_t> order(task.n_examples);
    ParameterSnapshot best;

    TrainCallbacks cb;
    cb.what = task.what;
    cb.n_samples_per_epoch = task.n_samples_per_epoch;
    cb.clock = task.clock;
    cb.begin_epoch = [&](int epoch) {
        if (task.begin_epoch) {
            task.begin_epoch(epoch);
        }
        // From the identity each time, so an epoch's order depends on the generator alone.
        std::iota(order.begin(), order.end(), std::size_t{0});
        std::shuffle(order.begin(), order.end(), rng);
        module.train();
        return (order.size() + options.batch_size - 1) / options.batch_size;
    };
    cb.set_learning_rate = [&](double lr) {
        for (torch::optim::OptimizerParamGroup& group : optimizer->param_groups()) {
            group.options().set_lr(lr);
        }
    };
    cb.train_batch = [&](std::size_t b) {
        std::size_t first = b * options.batch_size;
        std::size_t n = std::min(options.batch_size, order.size() - first);
        BatchLoss batch = task.batch_loss(std::span<const std::size_t>(order.data() + first, n));
        optimizer->zero_grad();
        batch.loss.backward();
        if (options.clip_grad_norm > 0) {
            torch::nn::utils::clip_grad_norm_(module.parameters(), options.clip_grad_norm);
        }
        optimizer->step();
        return BatchResult{batch.loss.item<double>(), batch.n_samples};
    };
    cb.validate = [&] {
        module.eval();
        torch::NoGradGuard no_grad;
        return task.validate();
    };
    cb.keep_best = [&] { best.save(module); };
    cb.restore_best = [&] { best.restore(module); };

    if (!options.checkpoint_dir.empty()) {
        std::filesystem::path path = checkpoint_path(options.checkpoint_dir, task.what);
        nlohmann::json fingerprint = run_fingerprint(module, task.what, task.n_examples, options);
        RunParts parts{module, *optimizer, rng, best};
        if (options.resume && std::filesystem::exists(path)) {
            cb.start = load_checkpoint(path, fingerprint, parts);
        } else if (options.resume) {
            log::info(task.what + ": no checkpoint at " + path.string() + "; starting afresh");
        }
        cb.end_epoch = [path, fingerprint, parts](const TrainingState& state) {
            save_checkpoint(path, fingerprint, state, parts);
        };
    }

    LearningCurve curve = run_training(cb, options);
    module.eval();
    return curve;
}

}  // namespace sextant
