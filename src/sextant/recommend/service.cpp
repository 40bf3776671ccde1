#include "sextant/recommend/service.h"

#include <algorithm>
#include <numeric>
#include <optional>

#include "sextant/core/error.h"
#include "sextant/core/progress.h"
#include "sextant/data/event_table.h"
#include "sextant/recommend/ann_index.h"
#include "sextant/recommend/ease.h"
#include "sextant/recommend/item_knn.h"
#include "sextant/store/event_store.h"

namespace sextant {
namespace {

namespace fs = std::filesystem;

// How many of the most recent distinct history items are tried at a time as the reason of a
// recommendation: each costs one more scoring of the history without it. Items that no recent
// item explains go on to older ones, a round at a time (up to kReasonRounds rounds): item-kNN's
// and EASE's scores are sums over the whole history, where an old item can be the one that
// brought a recommendation.
constexpr std::size_t kReasonCandidates = 30;
constexpr std::size_t kReasonRounds = 10;

// The indices of the k highest scores among the items `keep` accepts, best first; ties go to
// the lower item id, so answers are repeatable.
template <typename Keep>
std::vector<std::uint32_t> top_k(std::span<const float> scores, std::size_t k, Keep keep) {
    std::vector<std::uint32_t> candidates;
    candidates.reserve(scores.size());
    for (std::uint32_t j = 0; j < scores.size(); ++j) {
        if (keep(j)) {
            candidates.push_back(j);
        }
    }
    auto better = [&](std::uint32_t a, std::uint32_t b) {
        return scores[a] != scores[b] ? scores[a] > scores[b] : a < b;
    };
    std::size_t n = std::min(k, candidates.size());
    std::partial_sort(candidates.begin(), candidates.begin() + static_cast<std::ptrdiff_t>(n),
                      candidates.end(), better);
    candidates.resize(n);
    return candidates;
}

std::string events_text(std::uint64_t n) {
    return with_commas(n) + (n == 1 ? " event" : " events");
}

// The reason of each of the `top` items: the history item whose removal lowers its score most,
// tried from the most recent distinct item back, a round of kReasonCandidates at a time; nullopt
// when no removal lowers it. `scores` are the model's scores of the whole history.
std::vector<std::optional<std::uint32_t>> reason_items(const Recommender& model,
                                                       std::span<const std::uint32_t> history,
                                                       std::span<const float> scores,
                                                       std::span<const std::uint32_t> top) {
    const std::size_t n = scores.size();
    std::vector<std::uint32_t> distinct;
    for (auto it = history.rbegin(); it != history.rend(); ++it) {
        if (std::find(distinct.begin(), distinct.end(), *it) == distinct.end()) {
            distinct.push_back(*it);
        }
    }
    std::vector<float> best_drop(top.size(), 0.0f);
    std::vector<std::optional<std::uint32_t>> because(top.size());
    std::vector<float> ablated;
    for (std::size_t round = 0; round < kReasonRounds; ++round) {
        const std::size_t first = round * kReasonCandidates;
        const bool all_explained = std::all_of(because.begin(), because.end(),
                                               [](const auto& b) { return b.has_value(); });
        if (first >= distinct.size() || (round > 0 && all_explained)) {
            break;
        }
        std::span<const std::uint32_t> candidates(
            distinct.data() + first, std::min(kReasonCandidates, distinct.size() - first));
        std::vector<std::vector<std::uint32_t>> without(candidates.size());
        std::vector<std::span<const std::uint32_t>> spans;
        for (std::size_t c = 0; c < candidates.size(); ++c) {
            for (std::uint32_t h : history) {
                if (h != candidates[c]) {
                    without[c].push_back(h);
                }
            }
            spans.emplace_back(without[c]);
        }
        ablated.assign(spans.size() * n, 0.0f);
        model.score_batch(spans, ablated);
        for (std::size_t k = 0; k < top.size(); ++k) {
            // Later rounds only explain what the recent items could not.
            if (round > 0 && because[k]) {
                continue;
            }
            for (std::size_t c = 0; c < candidates.size(); ++c) {
                float drop = scores[top[k]] - ablated[c * n + top[k]];
                if (drop > best_drop[k]) {
                    best_drop[k] = drop;
                    because[k] = candidates[c];
                }
            }
        }
    }
    return because;
}

}  // namespace

nlohmann::json RecommendResponse::to_json() const {
    nlohmann::json list = nlohmann::json::array();
    for (const RecommendedItem& r : items) {
        nlohmann::json j = {{"item", r.item}, {"score", r.score}, {"reason", r.reason}};
        if (r.owned) {
            j["owned"] = true;
        }
        if (!r.because_item.empty()) {
            j["because"] = r.because_item;
        }
        list.push_back(j);
    }
    nlohmann::json out = {{"user", user},
                          {"source", source},
                          {"model", model},
                          {"history_events", history_events},
                          {"history_used", history_used},
                          {"items", list}};
    if (!note.empty()) {
        out["note"] = note;
    }
    return out;
}

nlohmann::json SimilarResponse::to_json() const {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& [name, similarity] : items) {
        list.push_back({{"item", name}, {"similarity", similarity}});
    }
    return {{"item", item}, {"model", model}, {"method", method}, {"items", list}};
}

RecommendService::RecommendService(const fs::path& model_dir, const std::optional<fs::path>& store)
    : loaded_(load_recommender(model_dir)) {
    const RecommenderInfo& info = loaded_.info;
    for (std::uint32_t j = 0; j < info.items.size(); ++j) {
        model_items_.emplace(info.items[j], j);
    }
    if (store) {
        store_ = *store;
    } else {
        std::string recorded = info.data.value("store", "");
        if (recorded.empty()) {
            throw_invalid((model_dir / "meta.json").string() +
                          ": records no event store; pass --store");
        }
        store_ = recorded;
    }
    std::error_code ec;
    if (!fs::exists(store_, ec)) {
        throw_not_found(store_.string() +
                        ": event store not found (the model was trained on it; pass --store to "
                        "read histories from another)");
    }
    table_ = std::make_unique<EventTable>(EventStore::open_existing(store_.string())->load_table());

    table_to_model_.assign(table_->n_items(), kNoItem);
    for (std::uint32_t t = 0; t < table_->n_items(); ++t) {
        if (auto it = model_items_.find(table_->items.text(t)); it != model_items_.end()) {
            table_to_model_[t] = it->second;
        }
    }
    RecommenderInfo now;
    count_popularity(*table_, info.trending_window_days, now);
    trending_.assign(info.items.size(), 0);
    for (std::uint32_t t = 0; t < now.trending.size(); ++t) {
        if (table_to_model_[t] != kNoItem) {
            trending_[table_to_model_[t]] = now.trending[t];
        }
    }

    ItemVectors vectors = loaded_.model->item_vectors();
    if (!vectors.empty()) {
        std::string source = (model_dir / "items.hnsw").string();
        if (loaded_.ann_index.empty()) {
            ann_ = std::make_unique<AnnIndex>(
                AnnIndex::build(vectors.values, vectors.n_items, vectors.dim));
        } else {
            ann_ = std::make_unique<AnnIndex>(
                AnnIndex::from_bytes(loaded_.ann_index, vectors.n_items, vectors.dim, source));
        }
    }
}

RecommendService::~RecommendService() = default;

std::vector<std::uint32_t> RecommendService::history_of(std::uint32_t table_user,
                                                        std::size_t& events) const {
    std::vector<std::uint32_t> history;
    events = 0;
    for (std::uint32_t t : table_->items_of(table_user)) {
        if (t == kNoItem) {
            continue;
        }
        ++events;
        if (table_to_model_[t] != kNoItem) {
            history.push_back(table_to_model_[t]);
        }
    }
    return history;
}

bool RecommendService::allowed(const RecommendRequest& request, std::uint32_t item) const {
    const std::string& name = loaded_.info.items[item];
    if (request.exclude_items.count(name) != 0) {
        return false;
    }
    return !request.only_items || request.only_items->count(name) != 0;
}

RecommendResponse RecommendService::fallback(const RecommendRequest& request,
                                             RecommendResponse response,
                                             const std::unordered_set<std::uint32_t>& owned) const {
    const RecommenderInfo& info = loaded_.info;
    bool any_trending =
        std::any_of(trending_.begin(), trending_.end(), [](std::uint64_t n) { return n > 0; });
    response.source = any_trending ? "trending" : "popular";
    // Trending counts first, training popularity breaks their ties (and ranks alone when the
    // window is empty). Counts fit a float's 24-bit mantissa only up to 16M: rank by index.
    std::vector<std::uint32_t> order(info.items.size());
    std::iota(order.begin(), order.end(), 0u);
    std::stable_sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
        if (trending_[a] != trending_[b]) {
            return trending_[a] > trending_[b];
        }
        return info.popularity[a] > info.popularity[b];
    });
    std::string window = " in the last " + std::to_string(info.trending_window_days) + " days";
    for (std::uint32_t j : order) {
        if (response.items.size() == request.k) {
            break;
        }
        if ((!request.include_owned && owned.count(j) != 0) || !allowed(request, j)) {
            continue;
        }
        RecommendedItem r;
        r.item = info.items[j];
        if (trending_[j] > 0) {
            r.score = static_cast<float>(trending_[j]);
            r.reason = "trending: " + events_text(trending_[j]) + window;
        } else {
            r.score = static_cast<float>(info.popularity[j]);
            r.reason = "popular: " + events_text(info.popularity[j]) + " in the training data";
        }
        response.items.push_back(std::move(r));
    }
    return response;
}

RecommendResponse RecommendService::recommend(const RecommendRequest& request) const {
    if (request.user.empty()) {
        throw_invalid("user: empty");
    }
    if (request.k == 0) {
        throw_invalid("k: must be at least 1");
    }
    RecommendResponse response;
    response.user = request.user;
    response.model = loaded_.kind;
    std::optional<std::uint32_t> table_user = table_->users.find(request.user);
    if (!table_user) {
        response.note = "unknown user: no event of theirs in " + store_.string();
        return fallback(request, std::move(response), {});
    }
    std::vector<std::uint32_t> history = history_of(*table_user, response.history_events);
    response.history_used = history.size();
    std::unordered_set<std::uint32_t> owned(history.begin(), history.end());
    if (history.empty()) {
        response.note = response.history_events == 0
                            ? "the user has no event with an item"
                            : "none of the user's items was in the training data";
        return fallback(request, std::move(response), owned);
    }

    const Recommender& model = *loaded_.model;
    std::size_t n = model.n_items();
    if (request.only_items) {
        std::size_t known = 0;
        for (const std::string& item : *request.only_items) {
            known += model_items_.count(item);
        }
        if (known == 0) {
            response.note = "none of the " + with_commas(request.only_items->size()) +
                            " items allowed by the filter is known to the model";
        }
    }
    std::vector<float> scores(n);
    model.score(history, scores);
    std::vector<std::uint32_t> top = top_k(scores, request.k, [&](std::uint32_t j) {
        return (request.include_owned || owned.count(j) == 0) && allowed(request, j);
    });
    response.source = "model";

    const std::vector<std::optional<std::uint32_t>> because =
        loaded_.kind == "popular" ? std::vector<std::optional<std::uint32_t>>(top.size())
                                  : reason_items(model, history, scores, top);
    for (std::size_t k = 0; k < top.size(); ++k) {
        const std::uint32_t j = top[k];
        RecommendedItem r;
        r.item = loaded_.info.items[j];
        r.score = scores[j];
        r.owned = owned.count(j) != 0;
        if (because[k]) {
            r.because_item = loaded_.info.items[*because[k]];
        }
        if (!r.because_item.empty()) {
            r.reason = "because you had " + r.because_item;
        } else if (loaded_.kind == "popular") {
            r.reason = "popular: " + events_text(static_cast<std::uint64_t>(scores[j])) +
                       " in the training data";
        } else {
            r.reason = "fits your history as a whole";
        }
        response.items.push_back(std::move(r));
    }
    return response;
}

SimilarResponse RecommendService::similar(const std::string& item, std::size_t k) const {
    if (k == 0) {
        throw_invalid("k: must be at least 1");
    }
    auto it = model_items_.find(item);
    if (it == model_items_.end()) {
        throw_not_found("item \"" + item + "\" not found: the model knows " +
                        with_commas(model_items_.size()) + " items");
    }
    std::uint32_t id = it->second;
    SimilarResponse out;
    out.item = item;
    out.model = loaded_.kind;
    const RecommenderInfo& info = loaded_.info;
    if (ann_) {
        out.method = "approximate nearest neighbours (HNSW) by cosine of the item embeddings";
        for (const SimilarItem& s : ann_->search(id, k)) {
            out.items.emplace_back(info.items[s.item], s.similarity);
        }
    } else if (const auto* knn = dynamic_cast<const ItemKnn*>(loaded_.model.get())) {
        out.method = "item-kNN neighbours (cosine over the users who had both)";
        for (const Neighbour& nb : knn->most_similar(id, k)) {
            out.items.emplace_back(info.items[nb.item], nb.similarity);
        }
    } else if (const auto* ease = dynamic_cast<const Ease*>(loaded_.model.get())) {
        out.method = "EASE item-to-item weights";
        std::vector<float> row(ease->row(id).begin(), ease->row(id).end());
        for (std::uint32_t j : top_k(row, k, [&](std::uint32_t j) { return j != id; })) {
            out.items.emplace_back(info.items[j], row[j]);
        }
    } else {
        throw_invalid("the " + loaded_.kind +
                      " model has no notion of similar items; use a model directory of "
                      "item_knn, ease, bpr, gru4rec or sasrec");
    }
    return out;
}

}  // namespace sextant
