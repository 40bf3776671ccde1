#include "sextant/recommend/model_io.h"

#include <algorithm>
#include <chrono>

#include "sextant/core/time.h"
#include "sextant/recommend/ann_index.h"
#include "sextant/recommend/bpr.h"
#include "sextant/recommend/ease.h"
#include "sextant/recommend/gru4rec.h"
#include "sextant/recommend/item_knn.h"
#include "sextant/recommend/popular.h"
#include "sextant/recommend/sasrec.h"

namespace sextant {
namespace {

constexpr char kModelPrefix[] = "model.";

// The arrays of `all` whose names start with `prefix`, with the prefix taken off.
Weights strip_prefix(const Weights& all, const std::string& prefix) {
    Weights out;
    for (const auto& [name, a] : all.arrays()) {
        if (name.rfind(prefix, 0) == 0) {
            out.put(name.substr(prefix.size()), a);
        }
    }
    out.set_source(all.source());
    return out;
}

}  // namespace

const std::vector<std::string>& recommender_kinds() {
    static const std::vector<std::string> kinds = {"popular", "item_knn", "ease",
                                                   "gru4rec", "sasrec",   "bpr"};
    return kinds;
}

std::unique_ptr<Recommender> make_recommender(const std::string& kind, const nlohmann::json& config,
                                              const std::string& source) {
    if (!config.is_object()) {
        throw_invalid(source + ": expected an object");
    }
    if (kind == "popular") {
        return MostPopular::from_config(config, source);
    }
    if (kind == "item_knn") {
        return ItemKnn::from_config(config, source);
    }
    if (kind == "ease") {
        return Ease::from_config(config, source);
    }
    if (kind == "gru4rec") {
        return Gru4Rec::from_config(config, source);
    }
    if (kind == "sasrec") {
        return SasRec::from_config(config, source);
    }
    if (kind == "bpr") {
        return Bpr::from_config(config, source);
    }
    throw_invalid(source + ": unknown model kind \"" + kind + "\"");
}

void count_popularity(const EventTable& table, int window_days, RecommenderInfo& info) {
    info.trending_window_days = window_days;
    info.popularity.assign(table.n_items(), 0);
    info.trending.assign(table.n_items(), 0);
    if (table.n_events() == 0) {
        return;
    }
    Seconds last = *std::max_element(table.time.begin(), table.time.end());
    Seconds from = last - Seconds{window_days} * kSecondsPerDay;
    for (std::size_t e = 0; e < table.n_events(); ++e) {
        std::uint32_t item = table.item[e];
        if (item == kNoItem) {
            continue;
        }
        ++info.popularity[item];
        if (table.time[e] > from) {
            ++info.trending[item];
        }
    }
}

void save_recommender(const std::filesystem::path& dir, const Recommender& model,
                      const RecommenderInfo& info) {
    std::size_t n = model.n_items();
    if (n == 0 || info.items.size() != n || info.popularity.size() != n ||
        info.trending.size() != n) {
        throw Error(ErrorKind::kInternal, "save_recommender: " + model.name() + " has " +
                                              std::to_string(n) + " items but the info " +
                                              std::to_string(info.items.size()));
    }
    ModelFiles files;
    Weights own;
    model.save(own);
    for (const auto& [name, a] : own.arrays()) {
        files.weights.put(kModelPrefix + name, a);
    }
    files.weights.add("serving.popularity", std::span<const std::uint64_t>(info.popularity));
    files.weights.add("serving.trending", std::span<const std::uint64_t>(info.trending));
    auto now = std::chrono::system_clock::now();
    files.meta = {
        {"kind", model.name()},
        {"config", model.config()},
        {"n_items", n},
        {"items", info.items},
        {"metrics", info.metrics},
        {"data", info.data},
        {"trending_window_days", info.trending_window_days},
        {"created",
         format_utc(
             std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count())},
    };
    // Similar items are answered from an index over the item vectors, built once here.
    ItemVectors vectors = model.item_vectors();
    if (!vectors.empty()) {
        AnnIndexOptions ann;
        files.extra["items.hnsw"] =
            AnnIndex::build(vectors.values, vectors.n_items, vectors.dim, ann).to_bytes();
        files.meta["ann"] = {{"file", "items.hnsw"},
                             {"dim", vectors.dim},
                             {"M", ann.M},
                             {"ef_construction", ann.ef_construction},
                             {"ef_search", ann.ef_search},
                             {"similarity", "cosine"}};
    }
    save_model_dir(dir, files);
}

LoadedRecommender load_recommender(const std::filesystem::path& dir) {
    LoadedModelDir raw = load_model_dir(dir);
    const std::string meta_name = (dir / "meta.json").string();
    LoadedRecommender out;
    out.dir = dir;
    out.kind = meta_field<std::string>(raw.meta, "kind", meta_name);
    const std::vector<std::string>& kinds = recommender_kinds();
    if (std::find(kinds.begin(), kinds.end(), out.kind) == kinds.end()) {
        // A churn or customer-table model (kind logistic, gbdt, ...) handed to `recommend`.
        throw_invalid(dir.string() + " holds a \"" + out.kind +
                      "\" model, not a recommender (its kinds: popular, item_knn, ease, gru4rec, "
                      "sasrec, bpr); prediction models are used with `sextant predict score`");
    }
    std::uint64_t n = meta_field<std::uint64_t>(raw.meta, "n_items", meta_name);
    if (!raw.meta.contains("config")) {
        throw_invalid(meta_name + ": field \"config\" is missing");
    }
    out.model = make_recommender(out.kind, raw.meta["config"], meta_name + " config");
    const nlohmann::json& items = raw.meta["items"];
    if (!items.is_array() || items.size() != n) {
        throw_invalid(meta_name + ": field \"items\" must list the " + std::to_string(n) +
                      " item names");
    }
    out.info.items.reserve(n);
    for (const auto& item : items) {
        if (!item.is_string()) {
            throw_invalid(meta_name + ": field \"items\" holds a value that is not a string");
        }
        out.info.items.push_back(item.get<std::string>());
    }
    auto count = static_cast<std::int64_t>(n);
    out.info.popularity = raw.weights.u64("serving.popularity", {count});
    out.info.trending = raw.weights.u64("serving.trending", {count});
    out.info.trending_window_days = meta_field<int>(raw.meta, "trending_window_days", meta_name);
    out.info.metrics = raw.meta.value("metrics", nlohmann::json::object());
    out.info.data = raw.meta.value("data", nlohmann::json::object());
    out.model->load(n, strip_prefix(raw.weights, kModelPrefix));
    if (auto it = raw.extra.find("items.hnsw"); it != raw.extra.end()) {
        out.ann_index = std::move(it->second);
    }
    out.meta = std::move(raw.meta);
    return out;
}

}  // namespace sextant
