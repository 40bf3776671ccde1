#include "sextant/learn/torch_trainer.h"

#include <dlfcn.h>
#include <malloc.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <numeric>
#include <optional>
#include <random>
#include <thread>

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

// One BLAS thread per caller for as long as it lives, when the BLAS is OpenBLAS (looked up at run
// time: libtorch reaches it through libblas.so.3, whichever the system chose). Its pthread build
// keeps a pool of one thread per core behind every call; with a data-parallel worker already on
// each core, that pool doubles the threads per core, and a user's --threads 2 trained GRU4Rec
// 2.7x slower than one thread (16,405 against 44,011 samples/s) instead of faster.
class SingleBlasThread {
public:
    SingleBlasThread()
        : set_(reinterpret_cast<void (*)(int)>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"))),
          get_(reinterpret_cast<int (*)()>(dlsym(RTLD_DEFAULT, "openblas_get_num_threads"))) {
        if (set_ != nullptr && get_ != nullptr) {
            before_ = get_();
            set_(1);
        }
    }
    ~SingleBlasThread() {
        if (set_ != nullptr && get_ != nullptr) {
            set_(before_);
        }
    }
    SingleBlasThread(const SingleBlasThread&) = delete;
    SingleBlasThread& operator=(const SingleBlasThread&) = delete;

private:
    void (*set_)(int);
    int (*get_)();
    int before_ = 1;
};

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

// The data-parallel step of ModuleTask (see the header): the batch's parts on their workers,
// their gradients summed into the module's. Returns the batch's loss, weighted like the parts.
BatchResult parallel_backward(torch::nn::Module& module, const ModuleTask& task,
                              std::span<const std::size_t> batch) {
    std::size_t workers = task.replicas.size() + 1;
    std::vector<BatchLoss> losses(workers);
    std::vector<std::exception_ptr> errors(workers);
    auto run = [&](std::size_t w) {
        try {
            std::size_t first = batch.size() * w / workers;
            std::size_t last = batch.size() * (w + 1) / workers;
            torch::nn::Module& m = w == 0 ? module : *task.replicas[w - 1];
            m.zero_grad();
            if (last > first) {
                losses[w] = task.worker_loss(w, batch.subspan(first, last - first));
                losses[w].loss.backward();
            }
        } catch (...) {
            errors[w] = std::current_exception();
        }
    };
    std::vector<std::thread> threads;
    for (std::size_t w = 1; w < workers; ++w) {
        threads.emplace_back(run, w);
    }
    run(0);
    for (std::thread& t : threads) {
        t.join();
    }
    for (const std::exception_ptr& e : errors) {
        if (e) {
            std::rethrow_exception(e);
        }
    }
    double total = 0;
    for (const BatchLoss& l : losses) {
        total += static_cast<double>(l.n_samples);
    }
    BatchResult result;
    if (!(total > 0)) {
        return result;
    }
    torch::NoGradGuard no_grad;
    std::vector<torch::Tensor> params = module.parameters();
    std::vector<std::vector<torch::Tensor>> replica_params;
    for (torch::nn::Module* r : task.replicas) {
        replica_params.push_back(r->parameters());
    }
    for (std::size_t i = 0; i < params.size(); ++i) {
        torch::Tensor& grad = params[i].mutable_grad();
        if (!grad.defined()) {
            grad = torch::zeros_like(params[i]);
        } else {
            grad.mul_(static_cast<double>(losses[0].n_samples) / total);
        }
        for (std::size_t w = 1; w < workers; ++w) {
            const torch::Tensor& g = replica_params[w - 1][i].grad();
            if (g.defined()) {
                grad.add_(g, static_cast<double>(losses[w].n_samples) / total);
            }
        }
    }
    for (const BatchLoss& l : losses) {
        if (l.n_samples > 0) {
            result.loss += l.loss.item<double>() * static_cast<double>(l.n_samples) / total;
        }
        result.n_samples += l.n_samples;
    }
    return result;
}

// Sets every replica's weights (and buffers) to the module's.
void sync_replicas(const torch::nn::Module& module, const ModuleTask& task) {
    torch::NoGradGuard no_grad;
    std::vector<torch::Tensor> params = module.parameters();
    std::vector<torch::Tensor> buffers = module.buffers();
    for (torch::nn::Module* r : task.replicas) {
        std::vector<torch::Tensor> rp = r->parameters();
        std::vector<torch::Tensor> rb = r->buffers();
        for (std::size_t i = 0; i < params.size(); ++i) {
            rp[i].copy_(params[i]);
        }
        for (std::size_t i = 0; i < buffers.size(); ++i) {
            rb[i].copy_(buffers[i]);
        }
    }
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
    if ((!task.batch_loss && !task.worker_loss) || !task.validate) {
        throw_invalid("train_module: batch_loss (or worker_loss) and validate are required");
    }
    // libtorch's optimizers check these with c10::Error; say it as a user error first.
    if (!(options.learning_rate >= 0) || !(options.weight_decay >= 0)) {
        throw_invalid("train_module: learning_rate and weight_decay must be numbers >= 0");
    }
    std::optional<SingleBlasThread> single_blas;  // for data-parallel runs, until the end
    const bool parallel = task.worker_loss && options.threads > 1 &&
                          task.replicas.size() + 1 == static_cast<std::size_t>(options.threads);
    if (task.worker_loss && options.threads > 1 && !parallel) {
        throw Error(ErrorKind::kInternal, task.what + ": " + std::to_string(task.replicas.size()) +
                                              " replicas for " + std::to_string(options.threads) +
                                              " threads");
    }
    if (parallel) {
        for (torch::nn::Module* r : task.replicas) {
            if (r == nullptr || r->parameters().size() != module.parameters().size()) {
                throw Error(ErrorKind::kInternal, task.what + ": a replica of another shape");
            }
        }
        // Each worker computes on its own thread; libtorch's intra-op pool would only contend.
        torch::set_num_threads(1);
        single_blas.emplace();
    } else if (options.threads > 0) {
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
    cb.log_style = task.log_style;
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
        if (parallel) {
            sync_replicas(module, task);  // also after a resume or a restore of the best weights
            for (torch::nn::Module* r : task.replicas) {
                r->train();
            }
        }
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
        std::span<const std::size_t> examples(order.data() + first, n);
        BatchResult result;
        if (parallel) {
            result = parallel_backward(module, task, examples);
        } else {
            BatchLoss batch =
                task.batch_loss ? task.batch_loss(examples) : task.worker_loss(0, examples);
            optimizer->zero_grad();
            batch.loss.backward();
            result = BatchResult{batch.loss.item<double>(), batch.n_samples};
        }
        if (options.clip_grad_norm > 0) {
            torch::nn::utils::clip_grad_norm_(module.parameters(), options.clip_grad_norm);
        }
        optimizer->step();
        if (parallel) {
            sync_replicas(module, task);
        }
        return result;
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
