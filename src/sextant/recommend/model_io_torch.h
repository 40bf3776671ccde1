// Helpers for the persistence of libtorch-based recommenders. Includes <torch/torch.h>: include
// it only from model .cpp files.
#pragma once

#include <cstring>

#include <torch/torch.h>

#include "sextant/learn/torch_weights.h"
#include "sextant/recommend/model_io.h"
#include "sextant/recommend/recommender.h"

namespace sextant {

// Adds a fitted model's module to `out` under "net."; `what` names the model in the error
// thrown (kInternal) when it is not fitted (module null).
inline void save_module(const torch::nn::Module* module, const std::string& what, Weights& out) {
    if (module == nullptr) {
        throw Error(ErrorKind::kInternal, what + ": save() before fit()");
    }
    module_to_weights(*module, "net.", out);
}

// Fills a freshly built module from the arrays save_module() wrote and puts it in eval mode.
template <typename ModuleHolder>
ModuleHolder load_module(ModuleHolder module, const Weights& in) {
    weights_to_module(in, "net.", *module);
    module->eval();
    return module;
}

// Rows first_row.. of an [n, dim] embedding table as ItemVectors (first_row 1 skips padding).
inline ItemVectors embedding_rows(const torch::Tensor& table, std::int64_t first_row) {
    torch::NoGradGuard no_grad;
    torch::Tensor rows = table.detach().slice(0, first_row).contiguous();
    ItemVectors v;
    v.n_items = static_cast<std::size_t>(rows.size(0));
    v.dim = static_cast<std::size_t>(rows.size(1));
    v.values.resize(v.n_items * v.dim);
    std::memcpy(v.values.data(), rows.data_ptr<float>(), v.values.size() * sizeof(float));
    return v;
}

}  // namespace sextant
