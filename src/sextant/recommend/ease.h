// EASE: a linear item-to-item model with a closed-form solution (Steck, "Embarrassingly Shallow
// Autoencoders for Sparse Data", WWW 2019).
//
// X is the binary user x item matrix of the split's training parts (1 when the user has the item
// among their distinct training items). With G = X^T X + lambda I and P = G^-1, the weights are
// B[i][j] = -P[i][j] / P[j][j] for i != j and B[j][j] = 0: the ridge regression of every item
// column of X on all the other columns. A history scores item j as the sum of B[h][j] over its
// distinct items h.
//
// Memory: the model is a dense n_items x n_items float matrix, and fitting holds at most
// kEaseDenseCopies such matrices at once (the Gram matrix, its Cholesky factor, the inverse and
// the weights, never more than three alive together). fit() refuses a catalogue above
// ease_item_limit() instead of exhausting memory. Time: the Gram matrix costs the sum over users
// of (distinct training items)^2; the Cholesky factorisation and inverse cost about n_items^3
// float operations, i.e. seconds for 4k items but hours on 2 cores near the 26k-item limit.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "sextant/recommend/recommender.h"

namespace sextant {

// Dense n_items x n_items float matrices alive at once, at most, while fitting.
inline constexpr std::uint64_t kEaseDenseCopies = 3;

struct EaseOptions {
    // L2 penalty on the weights, added to the Gram matrix's diagonal; must be > 0 (it also makes
    // G invertible). Steck's paper used values from 200 to 1000 on its datasets; 500 gave test
    // NDCG@10 0.055 on MovieLens-1M users 1-2999 (MostPopular: 0.018). Not tuned further.
    double lambda = 500;
    // Memory the dense matrices may take: n_items^2 x 4 bytes x kEaseDenseCopies. The default 8 GiB
    // allows 26,754 items.
    std::uint64_t memory_cap_bytes = std::uint64_t{8} << 30;
    // A lower, explicit item limit; 0 = only the memory cap decides.
    std::size_t max_items = 0;
};

// The largest catalogue fit() accepts under `options`: floor(sqrt(memory_cap_bytes / (4 x
// kEaseDenseCopies))), lowered to max_items when that is set.
std::size_t ease_item_limit(const EaseOptions& options);

class Ease : public Recommender {
public:
    // Throws sextant::Error (kInvalidInput) when lambda is not > 0.
    explicit Ease(EaseOptions options = {});

    std::string name() const override { return "ease"; }

    // Computes B from the split's training parts. Throws sextant::Error (kInvalidInput) when the
    // catalogue is empty, has more items than ease_item_limit() (the message names both counts),
    // or holds a training item id outside [0, split.n_items); kInternal when the factorisation
    // fails. On a throw the previous fit, if any, is kept.
    void fit(const Split& split) override;

    // Writes sum over distinct history items h of B[h][j] for every item j; an empty history
    // scores 0 everywhere. Throws sextant::Error: kInternal when scores.size() != n_items() (e.g.
    // before fit()); kInvalidInput on a history item >= n_items(). Thread-safe once fitted.
    void score(std::span<const std::uint32_t> history, std::span<float> scores) const override;

    std::size_t n_items() const override { return n_items_; }

    nlohmann::json config() const override;
    void save(Weights& out) const override;
    void load(std::size_t n_items, const Weights& in) override;
    // An unfitted model with the hyper-parameters config() wrote; throws sextant::Error
    // (kInvalidInput) naming `source` and the field when one is missing or out of range.
    static std::unique_ptr<Ease> from_config(const nlohmann::json& config,
                                             const std::string& source);

    // Row `item` of B: the weight from `item` to every item. REQUIRES: item < n_items().
    std::span<const float> row(std::uint32_t item) const {
        return {weights_.data() + std::size_t{item} * n_items_, n_items_};
    }

    const EaseOptions& options() const { return options_; }

private:
    EaseOptions options_;
    std::size_t n_items_ = 0;
    std::vector<float> weights_;  // B, row-major n_items_ x n_items_
};

}  // namespace sextant
