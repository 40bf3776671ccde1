// The most-popular baseline: every user gets the same ranking, by training count.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "sextant/recommend/recommender.h"

namespace sextant {

class MostPopular : public Recommender {
public:
    std::string name() const override { return "popular"; }

    // Counts every item occurrence in the training parts of the split (repeats count each time).
    // Throws sextant::Error (kInvalidInput) on an item id outside [0, split.n_items).
    void fit(const Split& split) override;

    // Writes each item's training count, ignoring the history. Requires scores.size() ==
    // n_items() (kInternal error otherwise, e.g. before fit()). Thread-safe once fitted.
    void score(std::span<const std::uint32_t> history, std::span<float> scores) const override;

    std::size_t n_items() const { return counts_.size(); }

    // Training count of each item; empty before fit().
    const std::vector<std::uint64_t>& counts() const { return counts_; }

private:
    std::vector<std::uint64_t> counts_;
};

}  // namespace sextant
