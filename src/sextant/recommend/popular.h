// The most-popular baseline: every user gets the same ranking, by training count.
#pragma once

#include <cstdint>
#include <memory>
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

    std::size_t n_items() const override { return counts_.size(); }

    nlohmann::json config() const override;
    void save(Weights& out) const override;
    void load(std::size_t n_items, const Weights& in) override;
    // An unfitted model with the hyper-parameters config() wrote; throws sextant::Error
    // (kInvalidInput) naming `source` and the field when one is missing or out of range.
    static std::unique_ptr<MostPopular> from_config(const nlohmann::json& config,
                                                    const std::string& source);

    // Training count of each item; empty before fit().
    const std::vector<std::uint64_t>& counts() const { return counts_; }

private:
    std::vector<std::uint64_t> counts_;
};

}  // namespace sextant
