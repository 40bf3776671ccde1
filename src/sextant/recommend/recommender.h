// The interface every recommender implements.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "sextant/learn/learning_curve.h"
#include "sextant/recommend/split.h"

namespace sextant {

class Recommender {
public:
    virtual ~Recommender() = default;

    // Short stable name used as a key in summary.json ("popular", "item_knn", "gru4rec").
    virtual std::string name() const = 0;

    // Fits on the training parts of the split.
    virtual void fit(const Split& split) = 0;

    // Writes a score for every item (scores.size() == n_items) given a history in time order;
    // higher is better. Items already in the history are masked by the caller, not here.
    // Thread-safe once fitted.
    virtual void score(std::span<const std::uint32_t> history, std::span<float> scores) const = 0;

    // Scores a batch: histories.size() rows of n_items scores each, row-major in `scores`.
    // The default calls score() per row; models that batch faster override it.
    // The learning curve of a model trained in epochs; nullptr for models fitted in one step.
    virtual const LearningCurve* learning_curve() const { return nullptr; }

    virtual void score_batch(const std::vector<std::span<const std::uint32_t>>& histories,
                             std::span<float> scores) const;
};

}  // namespace sextant
