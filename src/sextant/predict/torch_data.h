// Helpers the libtorch classifiers share (internal to predict/; includes <torch/torch.h>).
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include <torch/torch.h>
#include <nlohmann/json.hpp>

#include "sextant/learn/trainer.h"
#include "sextant/predict/dataset.h"

namespace sextant {

// A dataset as tensors: x standardised [n, d] float, y [n] float (0/1; zeros without labels),
// w [n] float (ones without weights).
struct TorchRows {
    torch::Tensor x;
    torch::Tensor y;
    torch::Tensor w;
};

// (value - mean) / scale per column.
TorchRows to_torch_rows(const Dataset& data, const std::vector<float>& mean,
                        const std::vector<float>& scale);

// Example indices as a long tensor.
torch::Tensor index_tensor(std::span<const std::size_t> examples);

// sum(w * bce_with_logits(z, y)) / sum(w); 0 when the weights sum to 0.
torch::Tensor weighted_bce(const torch::Tensor& logits, const torch::Tensor& y,
                           const torch::Tensor& w);

// 1 / (1 + exp(-z)), without overflow.
double sigmoid(double z);

}  // namespace sextant
