#include "sextant/recommend/item_knn.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "sextant/core/error.h"
#include "sextant/recommend/model_io.h"
#include "sextant/recommend/parallel.h"

// Memory bound of fit(): the user -> items and item -> users lists take 2 x 4 bytes per distinct
// (user, item) training pair; each thread holds a dense scratch row of n_items 4-byte counters
// plus a candidate list of at most n_items entries (8 bytes each); the kept rows take at most
// n_items x neighbours x 8 bytes (100k items x 100 neighbours = 80 MB). Nothing is quadratic in
// the number of items. Time is about the sum over users of (distinct training items)^2, which a
// few users with very long histories can dominate.

namespace sextant {

namespace {

// Compressed rows: row r is values[offsets[r] .. offsets[r + 1]).
struct Rows {
    std::vector<std::uint64_t> offsets;
    std::vector<std::uint32_t> values;

    std::span<const std::uint32_t> row(std::size_t r) const {
        return {values.data() + offsets[r], values.data() + offsets[r + 1]};
    }
};

// Per user, the sorted distinct training items.
Rows distinct_user_items(const Split& split) {
    Rows rows;
    rows.offsets.push_back(0);
    std::vector<std::uint32_t> items;
    for (const std::vector<std::uint32_t>& train : split.train) {
        items.assign(train.begin(), train.end());
        std::sort(items.begin(), items.end());
        items.erase(std::unique(items.begin(), items.end()), items.end());
        if (!items.empty() && items.back() >= split.n_items) {
            throw_invalid("item_knn: training item id " + std::to_string(items.back()) +
                          " is outside the catalogue of " + std::to_string(split.n_items) +
                          " items");
        }
        rows.values.insert(rows.values.end(), items.begin(), items.end());
        rows.offsets.push_back(rows.values.size());
    }
    return rows;
}

// The transpose: per item, the users that had it, in increasing order.
Rows item_users(const Rows& user_items, std::size_t n_items) {
    Rows rows;
    rows.offsets.assign(n_items + 1, 0);
    for (std::uint32_t item : user_items.values) {
        ++rows.offsets[item + 1];
    }
    for (std::size_t j = 0; j < n_items; ++j) {
        rows.offsets[j + 1] += rows.offsets[j];
    }
    rows.values.resize(user_items.values.size());
    std::vector<std::uint64_t> next(rows.offsets.begin(), rows.offsets.end() - 1);
    std::size_t n_users = user_items.offsets.size() - 1;
    for (std::uint32_t u = 0; u < n_users; ++u) {
        for (std::uint32_t item : user_items.row(u)) {
            rows.values[next[item]++] = u;
        }
    }
    return rows;
}

bool more_similar(const Neighbour& a, const Neighbour& b) {
    return a.similarity != b.similarity ? a.similarity > b.similarity : a.item < b.item;
}

// Scratch space of one thread while building rows.
struct RowScratch {
    std::vector<std::uint32_t> counts;   // co-occurrence with the current item, 0 elsewhere
    std::vector<std::uint32_t> touched;  // items whose count is non-zero
    std::vector<Neighbour> candidates;
};

// The top `k` neighbours of item i: co-occurrence counts over the users of i, then cosine.
std::vector<Neighbour> build_row(std::uint32_t i, const Rows& user_items, const Rows& users_of,
                                 std::size_t k, RowScratch& scratch) {
    std::span<const std::uint32_t> users = users_of.row(i);
    if (users.empty()) {
        return {};
    }
    for (std::uint32_t u : users) {
        for (std::uint32_t j : user_items.row(u)) {
            if (scratch.counts[j]++ == 0) {
                scratch.touched.push_back(j);
            }
        }
    }

    double n_i = static_cast<double>(users.size());
    scratch.candidates.clear();
    for (std::uint32_t j : scratch.touched) {
        if (j != i) {
            double n_j = static_cast<double>(users_of.row(j).size());
            double sim = scratch.counts[j] / std::sqrt(n_i * n_j);
            scratch.candidates.push_back({j, static_cast<float>(sim)});
        }
        scratch.counts[j] = 0;
    }
    scratch.touched.clear();

    std::vector<Neighbour>& c = scratch.candidates;
    if (c.size() > k) {
        std::nth_element(c.begin(), c.begin() + static_cast<std::ptrdiff_t>(k), c.end(),
                         more_similar);
        c.resize(k);
    }
    std::sort(c.begin(), c.end(), more_similar);
    return c;
}

}  // namespace

ItemKnn::ItemKnn(ItemKnnOptions options) : options_(options) {
    if (options_.neighbours == 0) {
        throw_invalid("item_knn: the number of neighbours must be at least 1");
    }
}

void ItemKnn::fit(const Split& split) {
    std::size_t n_items = split.n_items;
    Rows user_items = distinct_user_items(split);
    Rows users_of = item_users(user_items, n_items);

    std::size_t n_threads = std::max<std::size_t>(1, options_.n_threads);
    std::vector<RowScratch> scratch(n_threads);
    std::vector<std::vector<Neighbour>> rows(n_items);
    detail::parallel_for(n_items, n_threads, [&](std::size_t item, std::size_t thread) {
        RowScratch& s = scratch[thread];
        if (s.counts.size() != n_items) {
            s.counts.assign(n_items, 0);
        }
        rows[item] = build_row(static_cast<std::uint32_t>(item), user_items, users_of,
                               options_.neighbours, s);
    });

    std::vector<std::uint64_t> offsets(n_items + 1, 0);
    for (std::size_t j = 0; j < n_items; ++j) {
        offsets[j + 1] = offsets[j] + rows[j].size();
    }
    std::vector<Neighbour> neighbours;
    neighbours.reserve(offsets.back());
    for (const std::vector<Neighbour>& row : rows) {
        neighbours.insert(neighbours.end(), row.begin(), row.end());
    }

    n_items_ = n_items;
    row_offsets_.swap(offsets);
    neighbours_.swap(neighbours);
}

void ItemKnn::score(std::span<const std::uint32_t> history, std::span<float> scores) const {
    if (scores.size() != n_items_ || row_offsets_.size() != n_items_ + 1) {
        throw Error(ErrorKind::kInternal, "item_knn: asked for " + std::to_string(scores.size()) +
                                              " scores but fitted on " + std::to_string(n_items_) +
                                              " items");
    }
    std::vector<std::uint32_t> distinct(history.begin(), history.end());
    std::sort(distinct.begin(), distinct.end());
    distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
    if (!distinct.empty() && distinct.back() >= n_items_) {
        throw_invalid("item_knn: history item id " + std::to_string(distinct.back()) +
                      " is outside the catalogue of " + std::to_string(n_items_) + " items");
    }

    std::fill(scores.begin(), scores.end(), 0.0f);
    for (std::uint32_t h : distinct) {
        for (const Neighbour& n : neighbours_of(h)) {
            scores[n.item] += n.similarity;
        }
    }
}

void ItemKnn::check_item(std::uint32_t item) const {
    if (item >= n_items_) {
        throw_not_found("item_knn: no item with id " + std::to_string(item) + " (the model has " +
                        std::to_string(n_items_) + " items)");
    }
}

std::span<const Neighbour> ItemKnn::neighbours_of(std::uint32_t item) const {
    check_item(item);
    return {neighbours_.data() + row_offsets_[item], neighbours_.data() + row_offsets_[item + 1]};
}

std::vector<Neighbour> ItemKnn::most_similar(std::uint32_t item, std::size_t k) const {
    std::span<const Neighbour> row = neighbours_of(item);
    std::size_t n = std::min(k, row.size());
    return {row.begin(), row.begin() + static_cast<std::ptrdiff_t>(n)};
}

std::optional<Contribution> ItemKnn::contribution(std::span<const std::uint32_t> history,
                                                  std::uint32_t item) const {
    check_item(item);
    std::optional<Contribution> best;
    for (std::uint32_t h : history) {
        if (h >= n_items_) {
            throw_invalid("item_knn: history item id " + std::to_string(h) +
                          " is outside the catalogue of " + std::to_string(n_items_) + " items");
        }
        for (const Neighbour& n : neighbours_of(h)) {
            if (n.item == item && (!best || n.similarity >= best->similarity)) {
                best = Contribution{h, n.similarity};
            }
        }
    }
    return best;
}

}  // namespace sextant

namespace sextant {

nlohmann::json ItemKnn::config() const {
    return {{"neighbours", options_.neighbours}, {"n_threads", options_.n_threads}};
}

void ItemKnn::save(Weights& out) const {
    std::vector<std::uint32_t> items(neighbours_.size());
    std::vector<float> similarities(neighbours_.size());
    for (std::size_t k = 0; k < neighbours_.size(); ++k) {
        items[k] = neighbours_[k].item;
        similarities[k] = neighbours_[k].similarity;
    }
    out.add("row_offsets", std::span<const std::uint64_t>(row_offsets_));
    out.add("neighbour_items", std::span<const std::uint32_t>(items));
    out.add("neighbour_similarities", std::span<const float>(similarities));
}

void ItemKnn::load(std::size_t n_items, const Weights& in) {
    std::vector<std::uint64_t> offsets =
        in.u64("row_offsets", {static_cast<std::int64_t>(n_items) + 1});
    std::vector<std::uint32_t> items = in.u32("neighbour_items");
    std::vector<float> similarities =
        in.f32("neighbour_similarities", {static_cast<std::int64_t>(items.size())});
    // The rows must be well formed for score() to stay in bounds.
    bool ok = offsets.front() == 0 && offsets.back() == items.size();
    for (std::size_t r = 0; ok && r < n_items; ++r) {
        ok = offsets[r] <= offsets[r + 1];
    }
    for (std::size_t k = 0; ok && k < items.size(); ++k) {
        ok = items[k] < n_items;
    }
    if (!ok) {
        throw_invalid(in.source() + ": item_knn rows are malformed");
    }
    std::vector<Neighbour> neighbours(items.size());
    for (std::size_t k = 0; k < items.size(); ++k) {
        neighbours[k] = {items[k], similarities[k]};
    }
    n_items_ = n_items;
    row_offsets_ = std::move(offsets);
    neighbours_ = std::move(neighbours);
}

std::unique_ptr<ItemKnn> ItemKnn::from_config(const nlohmann::json& config,
                                              const std::string& source) {
    ItemKnnOptions o;
    o.neighbours = meta_field<std::uint64_t>(config, "neighbours", source);
    o.n_threads = meta_field<std::uint64_t>(config, "n_threads", source);
    if (o.neighbours == 0) {
        throw_invalid(source + ": field \"neighbours\" must be at least 1");
    }
    return std::make_unique<ItemKnn>(o);
}

}  // namespace sextant
