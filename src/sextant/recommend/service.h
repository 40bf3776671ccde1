// Answers recommendation requests from a saved model: top-k items for a user with a reason for
// each, and similar items. The command line (`sextant recommend`, `sextant similar`) and the
// HTTP server both call this.
//
// A user's history is read from the event store at request time (the store the model was
// trained on, recorded in meta.json, unless another is given), so events added after training
// count. Items the model has never seen are skipped; the response says how many. Users the
// store does not know, and users whose history has no item the model knows, get the trending
// items (most events in the store's last `trending_window_days` days) or, when that window is
// empty, the most popular items of the training data; the response says which.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <nlohmann/json.hpp>

#include "sextant/recommend/model_io.h"

namespace sextant {

class AnnIndex;
struct EventTable;

struct RecommendRequest {
    std::string user;
    std::size_t k = 10;
    bool include_owned = false;  // true: items the user already has may be recommended
    // When set, only these items may be recommended (names; unknown names are ignored).
    std::optional<std::unordered_set<std::string>> only_items;
    std::unordered_set<std::string> exclude_items;  // never recommended
};

struct RecommendedItem {
    std::string item;
    float score = 0;
    std::string reason;        // "because you had X", "trending: 12 events in the last 7 days"
    std::string because_item;  // X, or empty when the reason is not an item of the user
    bool owned = false;        // the user already has it (only with include_owned)
};

struct RecommendResponse {
    std::string user;
    // "model" (personalised), "trending" or "popular" (fallbacks).
    std::string source;
    std::string model;                   // the model kind ("sasrec")
    std::size_t history_events = 0;      // the user's events with an item in the store
    std::size_t history_used = 0;        // of which the model knows the item
    std::string note;                    // why a fallback was used; empty for "model"
    std::vector<RecommendedItem> items;  // at most k, best first

    nlohmann::json to_json() const;
};

struct SimilarResponse {
    std::string item;
    std::string model;
    std::string method;  // "hnsw (cosine over item embeddings)", "item-kNN neighbours", ...
    std::vector<std::pair<std::string, float>> items;  // (item, similarity), most similar first

    nlohmann::json to_json() const;
};

class RecommendService {
public:
    // Loads the model directory and opens the store: `store` when given, else the one recorded
    // in meta.json. Throws sextant::Error: what load_recommender() throws; kNotFound naming the
    // store when it does not exist (the message says to pass --store).
    RecommendService(const std::filesystem::path& model_dir,
                     const std::optional<std::filesystem::path>& store = std::nullopt);
    ~RecommendService();
    RecommendService(const RecommendService&) = delete;
    RecommendService& operator=(const RecommendService&) = delete;

    // Throws sextant::Error (kInvalidInput) when k is 0 or the user id is empty. Thread-safe.
    RecommendResponse recommend(const RecommendRequest& request) const;

    // The k items most similar to `item`. Throws sextant::Error: kNotFound when the model does
    // not know the item; kInvalidInput when k is 0 or the model kind has no item similarity
    // (popular). Thread-safe.
    SimilarResponse similar(const std::string& item, std::size_t k) const;

    const LoadedRecommender& model() const { return loaded_; }
    const std::filesystem::path& store_path() const { return store_; }

private:
    std::vector<std::uint32_t> history_of(std::uint32_t table_user, std::size_t& events) const;
    RecommendResponse fallback(const RecommendRequest& request, RecommendResponse response,
                               const std::unordered_set<std::uint32_t>& owned) const;
    bool allowed(const RecommendRequest& request, std::uint32_t item) const;

    LoadedRecommender loaded_;
    std::filesystem::path store_;
    std::unique_ptr<EventTable> table_;
    std::vector<std::uint32_t> table_to_model_;  // table item id -> model item id or kNoItem
    std::unordered_map<std::string, std::uint32_t> model_items_;  // item name -> model item id
    std::vector<std::uint64_t> trending_;  // per model item, events in the store's last window
    std::unique_ptr<AnnIndex> ann_;
};

}  // namespace sextant
