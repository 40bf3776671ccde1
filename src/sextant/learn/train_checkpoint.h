// Checkpoints of train_module(): all a run needs to continue as if it had never stopped.
//
// Includes <torch/torch.h>: used by torch_trainer.cpp and its tests only. A checkpoint is one
// file: "SXTCKPT\0", the u64 payload size and the payload's XXH3-128 (low, high 64 bits), all
// little-endian, then the payload, a torch archive (torch::serialize, a zip whose CRCs libtorch
// does not verify, hence the checksum), holding
//   format       "sextant-checkpoint-1"
//   fingerprint  JSON of what must match for a run to continue it: the run's name,
//                n_examples, the module's parameter and buffer names and shapes, and the
//                options that change the result (budget, threads and resume do not)
//   state        JSON: the TrainingState with its learning curve, the names of the tensors
//   module/<i>   the module's parameters, then its buffers, in named_parameters() order
//   best/<i>     the best-epoch copy (ParameterSnapshot)
//   optimizer    the optimizer's own archive (moments and step counts)
//   torch_rng    the CPU generator's state (weights, dropout, any torch draw of the model)
//   shuffle_rng  the shuffling engine's state, as text
#pragma once

#include <cstddef>
#include <filesystem>
#include <random>
#include <string>

#include <torch/torch.h>
#include <nlohmann/json.hpp>

#include "sextant/learn/torch_trainer.h"
#include "sextant/learn/trainer.h"

namespace sextant {

// The live objects of a run that a checkpoint saves and restores.
struct RunParts {
    torch::nn::Module& module;
    torch::optim::Optimizer& optimizer;
    std::mt19937_64& shuffle_rng;
    ParameterSnapshot& best;
};

// `<dir>/<what>.checkpoint`, with characters other than letters, digits, '-', '_' and '.' in
// `what` replaced by '_'.
std::filesystem::path checkpoint_path(const std::string& dir, const std::string& what);

// The fingerprint described above.
nlohmann::json run_fingerprint(const torch::nn::Module& module, const std::string& what,
                               std::size_t n_examples, const TrainOptions& options);

// Writes the checkpoint atomically: to `<path>.tmp`, then renamed over `path`; creates the
// folder when missing. Throws sextant::Error (kIo) naming the file when a step fails.
void save_checkpoint(const std::filesystem::path& path, const nlohmann::json& fingerprint,
                     const TrainingState& state, const RunParts& parts);

// Reads the checkpoint at `path`, checks it against `fingerprint`, puts its tensors, optimizer
// state and generator states into `parts` and returns its TrainingState. Throws sextant::Error
// (kInvalidInput) naming the file and telling to delete it or drop resume when it cannot be
// read, is truncated, holds tensors of other shapes or was written by a run with another
// fingerprint (the message names the first field that differs); `parts` is then left as it was.
TrainingState load_checkpoint(const std::filesystem::path& path, const nlohmann::json& fingerprint,
                              RunParts& parts);

}  // namespace sextant
