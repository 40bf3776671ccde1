// The mean cross-entropy of a linear layer's softmax over many classes, computed a block of rows
// at a time.
//
// cross_entropy(linear(x, weight, bias), targets) as libtorch writes it materialises the
// [rows, classes] logits, then a log-softmax of the same size, then in backward a zero-filled
// gradient of the same size and one more for the log-softmax: for GRU4Rec's 3,000 positions x
// 3,600 items that is ~45 MB each, streamed through memory about ten times a step, plus two
// exponentials per logit. Here the logits of `block_rows` rows at a time are computed into one
// small buffer that stays in cache, turned into probabilities in place, and the gradients of
// x, weight and bias are accumulated from it at once (the loss is the graph's end, so they are
// known up to the incoming scalar, which backward multiplies in). The value and the gradients
// are those of the unfused expression up to the order of float sums.
//
// Includes <torch/torch.h>: include it only from model .cpp files.
#pragma once

#include <cstdint>

#include <torch/torch.h>

namespace sextant {

// Returns a scalar: the mean over rows i of -log softmax(x_i W^T + b)[targets_i].
// x: [N, H] float; weight: [C, H] float; bias: [C] float; targets: [N] int64 in [0, C).
// Differentiable in x, weight and bias when grad mode is on; with grad mode off (or nothing
// requiring grad) only the loss is computed. Throws sextant::Error (kInternal) on shapes or
// types other than these, or N == 0.
torch::Tensor linear_cross_entropy(const torch::Tensor& x, const torch::Tensor& weight,
                                   const torch::Tensor& bias, const torch::Tensor& targets,
                                   std::int64_t block_rows = 64);

}  // namespace sextant
