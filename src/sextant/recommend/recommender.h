// The interface every recommender implements.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sextant/learn/learning_curve.h"
#include "sextant/learn/model_dir.h"
#include "sextant/recommend/split.h"

namespace sextant {

// Item vectors a model answers "similar items" from: n_items rows of dim floats, row-major.
struct ItemVectors {
    std::size_t n_items = 0;
    std::size_t dim = 0;
    std::vector<float> values;

    bool empty() const { return values.empty(); }
};

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

    // The catalogue size the model was fitted on; 0 before fit() or load().
    virtual std::size_t n_items() const { return 0; }

    // Persistence (see recommend/model_io.h for the directory around it). Every model kind of
    // make_recommender() implements all three; the defaults throw kInternal (test doubles).
    // The hyper-parameters, as written to meta.json's "config"; make_recommender() (model_io.h)
    // builds an unfitted model of the same kind back from them.
    virtual nlohmann::json config() const;
    // Adds the fitted state to `out`. REQUIRES: fitted.
    virtual void save(Weights& out) const;
    // Replaces the state with the one save() wrote for a model of the same config and n_items.
    // Throws sextant::Error (kInvalidInput) naming in.source() when an array is missing or of
    // another shape. Scores after load() equal the saved model's exactly.
    virtual void load(std::size_t n_items, const Weights& in);

    // Vectors whose cosine similarity says which items are alike (the models' item
    // embeddings); empty for models without them (popular) or with their own neighbours.
    virtual ItemVectors item_vectors() const { return {}; }
};

}  // namespace sextant
