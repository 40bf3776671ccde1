// Recommendation models on disk: a model directory (learn/model_dir.h) holding one fitted
// Recommender, the item dictionary it was trained with and what serving needs besides the
// weights: the popular and trending items for users without history, the metrics, and where the
// events came from (to read a user's latest history at request time).
//
// meta.json keys written here: "kind" ("sasrec"), "config" (the model's hyper-parameters),
// "n_items", "items" (item names; index = model item id), "metrics", "data" (store, events,
// users, first/last event), "trending_window_days", "created". weights.bin holds the model's
// arrays under "model.*" and "serving.popularity" / "serving.trending" (events per item in
// training and in the trending window). A model with item vectors also gets "items.hnsw", an
// approximate nearest-neighbour index over them (recommend/ann_index.h).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sextant/core/error.h"
#include "sextant/data/event_table.h"
#include "sextant/learn/trainer.h"
#include "sextant/recommend/recommender.h"

namespace sextant {

// The model kinds make_recommender() knows, in the order the main job trains them.
const std::vector<std::string>& recommender_kinds();

// An unfitted model of `kind` with the hyper-parameters in `config`. Throws sextant::Error
// (kInvalidInput) naming `source` on an unknown kind or a bad field.
std::unique_ptr<Recommender> make_recommender(const std::string& kind, const nlohmann::json& config,
                                              const std::string& source);

// Everything about a model besides its weights.
struct RecommenderInfo {
    std::vector<std::string> items;         // model item id -> item name
    std::vector<std::uint64_t> popularity;  // per item: events in the training data
    std::vector<std::uint64_t> trending;    // per item: events in the trending window
    int trending_window_days = 7;           // the window: the last N days of the training data
    nlohmann::json metrics = nlohmann::json::object();  // as summary.json has them
    nlohmann::json data = nlohmann::json::object();     // {"store", "events", "users", ...}
};

// The popularity and trending counts of a table: events with an item per item, over all the
// table and over its last `window_days` days (ending at the last event).
void count_popularity(const EventTable& table, int window_days, RecommenderInfo& info);

// Writes `model` and `info` as the model directory `dir` (atomically; see model_dir.h).
// REQUIRES: model fitted, info.items.size() == model.n_items(), popularity and trending of the
// same size (kInternal otherwise).
void save_recommender(const std::filesystem::path& dir, const Recommender& model,
                      const RecommenderInfo& info);

struct LoadedRecommender {
    std::filesystem::path dir;
    std::string kind;
    std::unique_ptr<Recommender> model;
    RecommenderInfo info;
    std::vector<std::uint8_t> ann_index;  // items.hnsw; empty when the model has no item vectors
    nlohmann::json meta;                  // meta.json as written
};

// Loads a model directory written by save_recommender(). Throws sextant::Error naming the file
// at fault (see load_model_dir()) and kInvalidInput naming meta.json when its fields disagree
// with each other or with the weights.
LoadedRecommender load_recommender(const std::filesystem::path& dir);

}  // namespace sextant
