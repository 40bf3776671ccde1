// SASRec: a self-attentive next-item model (Kang & McAuley, 2018), optionally trained with
// gSASRec's generalised binary cross-entropy (Petrov & Macdonald, 2023).
//
// Items are embedded (id + 1; 0 is padding) and scaled by sqrt(hidden), a learned positional
// embedding is added, and n_blocks pre-norm transformer blocks (layer norm -> causal multi-head
// self-attention -> residual -> layer norm -> point-wise feed-forward -> residual) run over the
// sequence, followed by a final layer norm. Position i attends only to real (non-padding)
// positions j <= i, and padding positions are zeroed after every step, so left padding changes
// nothing. The score of item j after a sequence is the dot product of the last position's hidden
// state with item j's embedding (the input embedding is shared with the output).
//
// Training reads each user's last max_len + 1 training items, predicts the next item at every
// position and contrasts it with n_negatives sampled items per position (binary cross-entropy,
// or gBCE). Fitting runs train_module() (learn/torch_trainer.h) with validation NDCG@10 from
// evaluate() at Stage::kValid, early stopping and best weights kept.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "sextant/learn/learning_curve.h"
#include "sextant/learn/trainer.h"
#include "sextant/recommend/recommender.h"

namespace sextant {

enum class SasRecLoss {
    kBce,   // -log sigmoid(s+) - sum over negatives of log(1 - sigmoid(s-)), as in SASRec
    kGbce,  // as kBce with sigmoid(s+) raised to gbce_beta() (gSASRec), which counters the
            // overconfidence that sampling few negatives from a large catalogue causes
};

struct SasRecOptions {
    // Most recent items a prediction looks at (and positions per training sequence). 200 suits
    // MovieLens-like data where users have hundreds of items; 50 is the paper's choice for
    // sparse data (short histories), and costs ~16x less attention per sequence.
    std::size_t max_len = 200;
    std::size_t hidden = 64;   // embedding and hidden state width
    std::size_t n_blocks = 2;  // transformer blocks
    std::size_t n_heads = 1;   // attention heads; must divide hidden
    double dropout = 0.2;      // on the embeddings and in the feed-forward layers, training only
    // On the attention probabilities, training only. Off by default: its [B, heads, L, L] masks
    // are the largest dropout cost of a step at max_len 200, and it bought little in our runs.
    double attention_dropout = 0;
    // Sampled negatives per position: 1 for SASRec's BCE; gSASRec uses more (cost grows
    // linearly: each one is an embedding gather and a dot product per position).
    std::size_t n_negatives = 1;
    // true: negatives are drawn uniformly from the items the user does not have in training (as
    // in the SASRec paper's code); false: from every item but the positive. A user who has every
    // item falls back to excluding only the positive.
    bool exclude_history = true;
    SasRecLoss loss = SasRecLoss::kBce;
    double gbce_t = 0.75;  // gBCE calibration t in [0, 1]: 0 is plain BCE, 1 fully calibrated
    TrainOptions train = {
        .max_epochs = 200, .batch_size = 128, .learning_rate = 1e-3, .patience = 5};
};

// gSASRec's exponent on the positive's probability (Petrov & Macdonald, "gSASRec: Reducing
// Overconfidence in Sequential Recommendation Trained with Negative Sampling", RecSys 2023,
// eq. 8): beta = alpha * (t * (1 - 1/alpha) + 1/alpha) with the sampling rate alpha = k /
// (n_items - 1), which equals 1 - t * (1 - alpha). Throws sextant::Error (kInvalidInput) unless
// k >= 1, n_items >= 2, k <= n_items - 1 and 0 <= t <= 1.
double gbce_beta(std::size_t n_negatives, std::size_t n_items, double t);

class SasRec : public Recommender {
public:
    // Throws sextant::Error (kInvalidInput) when a size is 0, hidden % n_heads != 0, a dropout
    // is outside [0, 1) or gbce_t is outside [0, 1].
    explicit SasRec(SasRecOptions options = {});
    ~SasRec() override;
    SasRec(const SasRec&) = delete;
    SasRec& operator=(const SasRec&) = delete;

    std::string name() const override { return "sasrec"; }

    // Builds the network for split.n_items items (weights seeded from options.train.seed) and
    // trains it on the split's training sequences. Throws sextant::Error (kInvalidInput) when an
    // item id is outside [0, n_items), the catalogue has fewer than n_negatives + 1 items, or no
    // user has 2 or more training items.
    void fit(const Split& split) override;

    // Writes the scores after the history's last max_len items; an empty history scores every
    // item 0. Throws sextant::Error: kInternal before fit() or when scores.size() != n_items;
    // kInvalidInput on an item id >= n_items. Thread-safe once fitted.
    void score(std::span<const std::uint32_t> history, std::span<float> scores) const override;

    // As score(), for histories.size() rows at once (one pass, left-padded to the longest).
    void score_batch(const std::vector<std::span<const std::uint32_t>>& histories,
                     std::span<float> scores) const override;

    // The learning curve of the last fit(), with its stop reason; empty before fit().
    const LearningCurve& curve() const { return curve_; }
    const LearningCurve* learning_curve() const override { return &curve_; }
    const SasRecOptions& options() const { return options_; }
    std::size_t n_items() const override { return n_items_; }

    nlohmann::json config() const override;
    void save(Weights& out) const override;
    void load(std::size_t n_items, const Weights& in) override;
    // An unfitted model with the hyper-parameters config() wrote; throws sextant::Error
    // (kInvalidInput) naming `source` and the field when one is missing or out of range.
    static std::unique_ptr<SasRec> from_config(const nlohmann::json& config,
                                               const std::string& source);
    // The shared item embeddings (without the padding row).
    ItemVectors item_vectors() const override;

private:
    struct Net;

    void check_scorable(std::span<const std::uint32_t> history) const;

    SasRecOptions options_;
    std::size_t n_items_ = 0;
    std::unique_ptr<Net> net_;
    LearningCurve curve_;
};

}  // namespace sextant
