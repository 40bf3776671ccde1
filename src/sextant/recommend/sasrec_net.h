// The SASRec network and loss, shared by sasrec.cpp and its tests.
//
// Includes <torch/torch.h>: include it only from SASRec's .cpp and test files.
#pragma once

#include <cstdint>

#include <torch/torch.h>

#include "sextant/recommend/sasrec.h"

namespace sextant::sasrec {

// One pre-norm transformer block: x + attention(norm(x)), then y + feed_forward(norm(y)).
struct BlockImpl : torch::nn::Module {
    BlockImpl(const SasRecOptions& o);

    // x: [B, T, hidden]; bias: [B, 1, T, T] additive attention mask (0 or -inf).
    torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& bias);

    std::int64_t n_heads;
    torch::nn::LayerNorm attention_norm{nullptr};
    torch::nn::Linear in_projection{nullptr};  // queries, keys and values in one product
    torch::nn::Linear out_projection{nullptr};
    torch::nn::Dropout attention_dropout{nullptr};
    torch::nn::LayerNorm feed_forward_norm{nullptr};
    torch::nn::Linear feed_forward_in{nullptr};
    torch::nn::Linear feed_forward_out{nullptr};
    torch::nn::Dropout dropout{nullptr};
};
TORCH_MODULE(Block);

struct NetImpl : torch::nn::Module {
    NetImpl(std::size_t n_items, const SasRecOptions& o);

    // Hidden states of left-padded inputs [B, T] (int64 item id + 1, 0 = padding, T <= max_len)
    // after the final layer norm: [B, T, hidden], zero at padding positions. Positions are
    // counted from the right, so the last column is always position max_len - 1 and the result
    // at a real position does not depend on how much padding precedes it. Position i depends
    // only on inputs at positions <= i. Safe to call from several threads in eval mode.
    torch::Tensor forward(const torch::Tensor& inputs);

    // Scores of every item after the last position of each row: [B, n_items].
    torch::Tensor last_scores(const torch::Tensor& inputs);

    std::int64_t max_len;
    double scale;                             // sqrt(hidden), on the item embeddings
    torch::nn::Embedding items{nullptr};      // [n_items + 1, hidden], row 0 = padding (zero)
    torch::nn::Embedding positions{nullptr};  // [max_len, hidden]
    torch::nn::Dropout dropout{nullptr};
    torch::nn::ModuleList blocks{nullptr};
    torch::nn::LayerNorm final_norm{nullptr};
};
TORCH_MODULE(Net);

// The additive attention mask of left-padded inputs [B, T]: [B, 1, T, T] with 0 where query i
// may see key j (j <= i and j is a real position, or j == i so that a padding row is never
// empty) and -inf elsewhere.
torch::Tensor attention_bias(const torch::Tensor& inputs);

// Mean loss per real position. pos_logits [B, T], neg_logits [B, T, k], mask [B, T] bool (true
// at real positions). Per position: -beta * log sigmoid(s+) - sum_k log(1 - sigmoid(s-_k));
// beta = 1 is SASRec's BCE, beta = gbce_beta(...) is gSASRec's gBCE (-log(sigmoid(s+)^beta)).
// Computed with softplus for stability. NaN when the mask holds no real position.
torch::Tensor sasrec_loss(const torch::Tensor& pos_logits, const torch::Tensor& neg_logits,
                          const torch::Tensor& mask, double beta);

}  // namespace sextant::sasrec
