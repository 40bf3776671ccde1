// GRU4Rec: a recurrent next-item model (Hidasi et al., 2016) with a full softmax over all items.
//
// Items are embedded (id + 1; 0 is padding), run through a one-layer GRU, and a linear layer
// turns each hidden state into a score for every item. Training predicts the next item at every
// position of the users' training sequences with cross-entropy over the whole catalogue; padded
// positions are packed away, so they change neither the hidden states nor the loss. Long
// sequences are cut into windows of max_len inputs, so every training item is a target once.
// Fitting runs train_module() (learn/torch_trainer.h) with validation NDCG@10 from evaluate()
// at Stage::kValid, early stopping and best weights kept.
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

struct Gru4RecOptions {
    std::size_t embedding_dim = 64;  // item embedding width
    std::size_t hidden_size = 64;    // GRU state width
    std::size_t max_len = 50;        // most recent items a prediction looks at
    double dropout = 0.2;            // on the embeddings and on the GRU outputs, training only
    // true: each training sequence is cut into windows of max_len inputs, covering every item;
    // false: only the last window of each user is trained on (cheaper, weaker on long users).
    bool all_windows = true;
    TrainOptions train = {.max_epochs = 30, .batch_size = 64, .learning_rate = 1e-2};
};

class Gru4Rec : public Recommender {
public:
    explicit Gru4Rec(Gru4RecOptions options = {});
    ~Gru4Rec() override;
    Gru4Rec(const Gru4Rec&) = delete;
    Gru4Rec& operator=(const Gru4Rec&) = delete;

    std::string name() const override { return "gru4rec"; }

    // Builds the network for split.n_items items (weights seeded from options.train.seed) and
    // trains it on the split's training sequences. Throws sextant::Error (kInvalidInput) when an
    // item id is outside [0, n_items) or no user has 2 or more training items.
    void fit(const Split& split) override;

    // Writes the last position's logits for the history's last max_len items; an empty history
    // gets the output layer's bias. Throws sextant::Error: kInternal before fit() or when
    // scores.size() != n_items; kInvalidInput on an item id >= n_items. Thread-safe once fitted.
    void score(std::span<const std::uint32_t> history, std::span<float> scores) const override;

    // As score(), for histories.size() rows at once (one GRU pass over the batch).
    void score_batch(const std::vector<std::span<const std::uint32_t>>& histories,
                     std::span<float> scores) const override;

    // Mean next-item cross-entropy per target over `sequences` (every position after the first),
    // computed as one batch padded to max(pad_to, longest input) positions, without dropout.
    // Exposes the training loss for tests. REQUIRES: fitted; sequences of fewer than 2 items
    // contribute nothing (the result is NaN when none has a target).
    double mean_loss(const std::vector<std::vector<std::uint32_t>>& sequences,
                     std::size_t pad_to = 0) const;

    // The learning curve of the last fit(), with its stop reason; empty before fit().
    const LearningCurve& curve() const { return curve_; }
    const LearningCurve* learning_curve() const override { return &curve_; }
    const Gru4RecOptions& options() const { return options_; }
    std::size_t n_items() const override { return n_items_; }

    nlohmann::json config() const override;
    void save(Weights& out) const override;
    void load(std::size_t n_items, const Weights& in) override;
    // An unfitted model with the hyper-parameters config() wrote; throws sextant::Error
    // (kInvalidInput) naming `source` and the field when one is missing or out of range.
    static std::unique_ptr<Gru4Rec> from_config(const nlohmann::json& config,
                                                const std::string& source);
    // The input item embeddings (without the padding row).
    ItemVectors item_vectors() const override;

private:
    struct Net;

    void check_scorable(std::span<const std::uint32_t> history) const;

    Gru4RecOptions options_;
    std::size_t n_items_ = 0;
    std::unique_ptr<Net> net_;
    LearningCurve curve_;
};

}  // namespace sextant
