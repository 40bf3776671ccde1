// Item-based k-nearest-neighbours: items are similar when the same users had them.
//
// Each item is a binary vector over users (1 when the user has the item among their distinct
// training items); sim(i, j) = |U_i ∩ U_j| / sqrt(|U_i| |U_j|), the cosine of the two vectors.
// Each item keeps its `neighbours` most similar other items (a sparse row sorted by similarity,
// ties by item id). A history scores item j as the sum of sim(h, j) over its distinct items h
// whose row holds j.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "sextant/recommend/recommender.h"

namespace sextant {

struct ItemKnnOptions {
    std::size_t neighbours = 100;  // most similar items kept per item; at least 1
    std::size_t n_threads = 2;     // threads over item rows in fit(); the result does not depend
                                   // on it
};

struct Neighbour {
    std::uint32_t item = 0;
    float similarity = 0;  // in (0, 1]
};

// The history item that adds most to an item's score ("because you had X").
struct Contribution {
    std::uint32_t history_item = 0;
    float similarity = 0;  // sim(history_item, item)
};

class ItemKnn : public Recommender {
public:
    // Throws sextant::Error (kInvalidInput) when options.neighbours is 0.
    explicit ItemKnn(ItemKnnOptions options = {});

    std::string name() const override { return "item_knn"; }

    // Builds the neighbour rows from the training parts of the split. Time is about the sum over
    // users of (distinct training items)^2; see item_knn.cpp for the memory bound. Throws
    // sextant::Error (kInvalidInput) on an item id outside [0, split.n_items).
    void fit(const Split& split) override;

    // Requires scores.size() == n_items() (kInternal error otherwise, e.g. before fit()); throws
    // kInvalidInput on a history item outside the catalogue. Thread-safe once fitted.
    void score(std::span<const std::uint32_t> history, std::span<float> scores) const override;

    std::size_t n_items() const override { return n_items_; }

    nlohmann::json config() const override;
    void save(Weights& out) const override;
    void load(std::size_t n_items, const Weights& in) override;
    // An unfitted model with the hyper-parameters config() wrote; throws sextant::Error
    // (kInvalidInput) naming `source` and the field when one is missing or out of range.
    static std::unique_ptr<ItemKnn> from_config(const nlohmann::json& config,
                                                const std::string& source);

    // The kept row of `item`, most similar first. Throws kNotFound for an unknown item.
    std::span<const Neighbour> neighbours_of(std::uint32_t item) const;

    // The first min(k, row size) entries of neighbours_of(item).
    std::vector<Neighbour> most_similar(std::uint32_t item, std::size_t k) const;

    // The distinct history item h with the largest sim(h, item) among those whose row holds
    // `item`; ties go to the one seen last in the history (the most recent). nullopt when no
    // history item has `item` among its neighbours. Throws kNotFound for an unknown item and
    // kInvalidInput for a history item outside the catalogue.
    std::optional<Contribution> contribution(std::span<const std::uint32_t> history,
                                             std::uint32_t item) const;

private:
    void check_item(std::uint32_t item) const;

    ItemKnnOptions options_;
    std::size_t n_items_ = 0;
    std::vector<std::uint64_t> row_offsets_;  // n_items_ + 1 entries into neighbours_
    std::vector<Neighbour> neighbours_;
};

}  // namespace sextant
