// BPR: matrix factorisation trained with Bayesian Personalised Ranking (Rendle et al., UAI 2009),
// in its asymmetric, history-based form (FISM, Kabbur et al. 2013).
//
// Why not a plain user embedding: the Recommender interface scores a history, never a user id,
// so a model with one free vector per training user could not score the validation and test
// histories (which add items after training) nor any new user. Instead a user is the mean of
// learned item "context" vectors of their distinct history items, and
//     x_ui = b_i + <c_u, p_i>,   c_u = mean over distinct h in H_u of q_h,
// with item bias b, item vectors p and context vectors q. This scores any history, including
// events that arrive after training, at the cost of one extra item table. (The user-embedding
// form could only match a history to a known user by content, which is brittle and cannot
// generalise to new events.)
//
// Training: the positives are the distinct (user, item) pairs of the split's training parts.
// Each epoch draws, for every positive (u, i), one negative item j the user did not have in
// training, uniformly. The user vector of the pair leaves the positive out, c_u\i = mean over
// H_u \ {i} of q_h, so the model learns to predict an item from the user's *other* items, as the
// evaluation asks (scoring then uses the whole history). The objective of a batch is
//     mean over pairs of  -log sigmoid(x_ui - x_uj)
//                       + l2 * (|c_u\i|^2 + |p_i|^2 + |p_j|^2 + b_i^2 + b_j^2),
// i.e. Rendle's per-sample L2 on the parameters a pair touches, with the user vector standing in
// for the user embedding. A training example is a user (all their pairs at once), so that c_u is
// one bag sum per user and an epoch costs O(pairs); users with fewer than 2 distinct training
// items (no context left once the positive is out) or with every item (no negative) are skipped.
// Fitting runs train_module() with validation NDCG@10 at Stage::kValid, early stopping, best
// weights kept and the time budget.
#pragma once

#include <cstdint>
#include <memory>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "sextant/learn/learning_curve.h"
#include "sextant/learn/trainer.h"
#include "sextant/recommend/recommender.h"

namespace sextant {

struct BprOptions {
    std::size_t embedding_dim = 64;  // width of the item, context and user vectors
    // Weight of the per-pair L2 term above. On MovieLens-1M (users 1-2999) validation NDCG@10
    // barely moved over l2 in {0, 1e-5, 1e-4, 1e-3} (0.0384-0.0388 at learning rate 5e-3); early
    // stopping on validation does most of the regularising. 1e-4 with the step size and batch
    // below gave the best validation NDCG@10 of the few settings tried (0.0428).
    double l2 = 1e-4;
    double init_std = 0.1;  // standard deviation of the normal initial p and q; b starts at 0
    // batch_size counts users (each with all their pairs, ~160 on MovieLens-1M).
    TrainOptions train = {.max_epochs = 60, .batch_size = 16, .learning_rate = 1e-2};
};

// Mean BPR objective over pairs: the mean of -log sigmoid(positive[k] - negative[k]) plus l2
// times the mean of squared_norms[k] (the pair's |c|^2 + |p_i|^2 + |p_j|^2 + b_i^2 + b_j^2).
// The same code computes the training loss. REQUIRES: the three spans have the same non-zero
// size (kInvalidInput otherwise).
double bpr_loss(std::span<const float> positive, std::span<const float> negative,
                std::span<const float> squared_norms, double l2);

// Appends `count` items drawn uniformly from [0, n_items) minus `positives` to `out` (with
// repeats: each draw is independent). `positives` must be sorted and distinct. Throws
// sextant::Error (kInvalidInput) when positives cover the whole catalogue or hold an id >=
// n_items.
void sample_negatives(std::span<const std::uint32_t> positives, std::size_t n_items,
                      std::size_t count, std::mt19937_64& rng, std::vector<std::uint32_t>& out);

class Bpr : public Recommender {
public:
    // Throws sextant::Error (kInvalidInput) when embedding_dim is 0 or l2 / init_std are
    // negative or not finite.
    explicit Bpr(BprOptions options = {});
    ~Bpr() override;
    Bpr(const Bpr&) = delete;
    Bpr& operator=(const Bpr&) = delete;

    std::string name() const override { return "bpr"; }

    // Builds the tables for split.n_items items (seeded from options.train.seed: the same seed
    // and split give the same weights, with the default of 1 torch thread) and trains them.
    // Throws sextant::Error (kInvalidInput) when an item id is outside [0, n_items) or no user
    // has 2 or more distinct training items and a possible negative.
    void fit(const Split& split) override;

    // Writes b_j + <c, p_j> for every item j, c the mean of q over the distinct history items
    // (an empty history gets the bias alone). Throws sextant::Error: kInternal before fit() or
    // when scores.size() != n_items(); kInvalidInput on an item id >= n_items(). Thread-safe
    // once fitted.
    void score(std::span<const std::uint32_t> history, std::span<float> scores) const override;

    // As score(), for histories.size() rows at once (one bag and one matrix product).
    void score_batch(const std::vector<std::span<const std::uint32_t>>& histories,
                     std::span<float> scores) const override;

    // The learning curve of the last fit(), with its stop reason; empty before fit().
    const LearningCurve& curve() const { return curve_; }
    const LearningCurve* learning_curve() const override { return &curve_; }
    const BprOptions& options() const { return options_; }
    std::size_t n_items() const override { return n_items_; }

    nlohmann::json config() const override;
    void save(Weights& out) const override;
    void load(std::size_t n_items, const Weights& in) override;
    // An unfitted model with the hyper-parameters config() wrote; throws sextant::Error
    // (kInvalidInput) naming `source` and the field when one is missing or out of range.
    static std::unique_ptr<Bpr> from_config(const nlohmann::json& config,
                                            const std::string& source);
    // The item vectors p_j (the side a user vector is dotted with).
    ItemVectors item_vectors() const override;

private:
    struct Net;

    BprOptions options_;
    std::size_t n_items_ = 0;
    std::unique_ptr<Net> net_;
    LearningCurve curve_;
};

}  // namespace sextant
