#include "sextant/recommend/evaluate.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <random>
#include <string>

#include "sextant/core/error.h"
#include "sextant/core/log.h"
#include "sextant/recommend/parallel.h"

namespace sextant {

namespace {

// One batch of scores holds at most this many floats (64 MB) per thread, whatever batch_size says.
constexpr std::size_t kMaxScoresPerBatch = std::size_t{16} << 20;

// Length of the per-user list behind coverage@10 and popularity@10.
constexpr std::size_t kListLength = 10;

// What one user adds to the metrics; kept per user so that the sums run in user order.
struct UserResult {
    double hit_1 = 0;
    double hit_5 = 0;
    double hit_10 = 0;
    double ndcg_5 = 0;
    double ndcg_10 = 0;
    double reciprocal_rank = 0;
    bool target_in_history = false;
    std::array<std::uint32_t, kListLength> top{};  // full ranking only
    std::size_t n_top = 0;
};

// Per-thread scratch space, reused across users.
struct Scratch {
    // A mark per item: the user index + 1 marks that user's history, so it never needs clearing.
    std::vector<std::uint64_t> marks;
    std::vector<float> scores;
    std::vector<std::uint32_t> candidates;
    std::vector<std::uint32_t> negatives;
};

void check_item(const Split& split, std::uint32_t item) {
    if (item >= split.n_items) {
        throw Error(ErrorKind::kInternal, "evaluate: item id " + std::to_string(item) +
                                              " is outside the catalogue of " +
                                              std::to_string(split.n_items) + " items");
    }
}

void check_split(const Split& split) {
    std::size_t n = split.n_users();
    if (split.train.size() != n || split.valid.size() != n || split.test.size() != n) {
        throw Error(ErrorKind::kInternal,
                    "evaluate: split has " + std::to_string(n) + " users but " +
                        std::to_string(split.train.size()) + " training rows, " +
                        std::to_string(split.valid.size()) + " validation and " +
                        std::to_string(split.test.size()) + " test targets");
    }
    for (std::size_t i = 0; i < n; ++i) {
        for (std::uint32_t item : split.train[i]) {
            check_item(split, item);
        }
        check_item(split, split.valid[i]);
        check_item(split, split.test[i]);
    }
}

// The splitmix64 finaliser: spreads (seed, user) pairs over the generator's seeds.
std::uint64_t mix(std::uint64_t x) {
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

// Draws the negatives of one user into `out`. Uses the raw words of std::mt19937_64 (whose output
// the standard fixes) rather than a <random> distribution (which may differ between standard
// libraries); the modulo bias is below 2^-32 for catalogues under 2^32 items.
void sample_into(std::size_t n_items, const std::vector<std::uint64_t>& marks,
                 std::uint64_t user_mark, std::uint32_t target, std::size_t n_negatives,
                 std::uint64_t seed, std::size_t user_index, std::vector<std::uint32_t>& candidates,
                 std::vector<std::uint32_t>& out) {
    candidates.clear();
    for (std::size_t j = 0; j < n_items; ++j) {
        if (j != target && marks[j] != user_mark) {
            candidates.push_back(static_cast<std::uint32_t>(j));
        }
    }

    std::mt19937_64 rng(mix(mix(seed) ^ static_cast<std::uint64_t>(user_index)));
    std::size_t k = std::min(n_negatives, candidates.size());
    for (std::size_t t = 0; t < k; ++t) {
        std::size_t r = t + static_cast<std::size_t>(rng() % (candidates.size() - t));
        std::swap(candidates[t], candidates[r]);
    }
    out.assign(candidates.begin(), candidates.begin() + static_cast<std::ptrdiff_t>(k));
}

// Ranks `target` among the items not marked with `mark`; NaN comparisons count against it.
std::uint64_t rank_full(std::span<const float> scores, std::uint32_t target,
                        const std::vector<std::uint64_t>& marks, std::uint64_t mark) {
    float target_score = scores[target];
    std::uint64_t above = 0;
    for (std::size_t j = 0; j < scores.size(); ++j) {
        bool candidate = j != target && marks[j] != mark;
        above += candidate && !(scores[j] < target_score);
    }
    return 1 + above;
}

// Ranks `target` among `negatives` (which never hold it), with the same tie and NaN rules.
std::uint64_t rank_sampled(std::span<const float> scores, std::uint32_t target,
                           const std::vector<std::uint32_t>& negatives) {
    float target_score = scores[target];
    std::uint64_t above = 0;
    for (std::uint32_t j : negatives) {
        above += !(scores[j] < target_score);
    }
    return 1 + above;
}

// Fills the user's top-10 list: best score first, NaN last, ties to the lower item id.
void top_list(std::span<const float> scores, const std::vector<std::uint64_t>& marks,
              std::uint64_t mark, std::vector<std::uint32_t>& candidates, UserResult& result) {
    candidates.clear();
    for (std::size_t j = 0; j < scores.size(); ++j) {
        if (marks[j] != mark) {
            candidates.push_back(static_cast<std::uint32_t>(j));
        }
    }
    auto before = [&](std::uint32_t a, std::uint32_t b) {
        float sa = scores[a];
        float sb = scores[b];
        bool nan_a = std::isnan(sa);
        bool nan_b = std::isnan(sb);
        if (nan_a != nan_b) {
            return nan_b;
        }
        if (!nan_a && sa != sb) {
            return sa > sb;
        }
        return a < b;
    };
    std::size_t k = std::min(kListLength, candidates.size());
    std::partial_sort(candidates.begin(), candidates.begin() + static_cast<std::ptrdiff_t>(k),
                      candidates.end(), before);
    std::copy_n(candidates.begin(), k, result.top.begin());
    result.n_top = k;
}

void add_rank(std::uint64_t rank, UserResult& result) {
    result.hit_1 = rank <= 1 ? 1.0 : 0.0;
    result.hit_5 = rank <= 5 ? 1.0 : 0.0;
    result.hit_10 = rank <= 10 ? 1.0 : 0.0;
    result.ndcg_5 = ndcg_at_k_of_rank(rank, 5);
    result.ndcg_10 = ndcg_at_k_of_rank(rank, 10);
    result.reciprocal_rank = 1.0 / static_cast<double>(rank);
}

// Evaluates user i given its history (already marked with i + 1) and its row of scores.
void evaluate_user(const Split& split, Stage stage, const EvaluateOptions& options, std::size_t i,
                   std::span<const float> row, Scratch& scratch, UserResult& result) {
    std::uint64_t user_mark = i + 1;
    bool full = options.protocol == Protocol::kFullRanking;
    if (full) {
        top_list(row, scratch.marks, user_mark, scratch.candidates, result);
    }

    std::uint32_t target = stage == Stage::kValid ? split.valid[i] : split.test[i];
    if (scratch.marks[target] == user_mark) {
        result.target_in_history = true;
        return;
    }
    if (full) {
        add_rank(rank_full(row, target, scratch.marks, user_mark), result);
        return;
    }
    sample_into(split.n_items, scratch.marks, user_mark, target, options.n_negatives, options.seed,
                i, scratch.candidates, scratch.negatives);
    add_rank(rank_sampled(row, target, scratch.negatives), result);
}

// Sums the per-user results in user order into `metrics` (whose n_users is set).
void accumulate(const std::vector<UserResult>& results, const Split& split, Protocol protocol,
                RankingMetrics& metrics) {
    for (const UserResult& result : results) {
        metrics.hr_at_1 += result.hit_1;
        metrics.hr_at_5 += result.hit_5;
        metrics.hr_at_10 += result.hit_10;
        metrics.ndcg_at_5 += result.ndcg_5;
        metrics.ndcg_at_10 += result.ndcg_10;
        metrics.mrr += result.reciprocal_rank;
        metrics.n_targets_in_history += result.target_in_history ? 1 : 0;
    }
    double n = static_cast<double>(metrics.n_users);
    for (double* rate : {&metrics.hr_at_1, &metrics.hr_at_5, &metrics.hr_at_10, &metrics.ndcg_at_5,
                         &metrics.ndcg_at_10, &metrics.mrr}) {
        *rate /= n;
    }
    if (protocol != Protocol::kFullRanking) {
        return;
    }

    std::vector<std::uint64_t> counts(split.n_items, 0);
    for (const std::vector<std::uint32_t>& train : split.train) {
        for (std::uint32_t item : train) {
            ++counts[item];
        }
    }
    std::vector<bool> listed(split.n_items, false);
    double popularity = 0;
    std::size_t n_listed = 0;
    for (const UserResult& result : results) {
        for (std::size_t k = 0; k < result.n_top; ++k) {
            listed[result.top[k]] = true;
            popularity += static_cast<double>(counts[result.top[k]]) / n;
        }
        n_listed += result.n_top;
    }
    std::size_t n_covered =
        static_cast<std::size_t>(std::count(listed.begin(), listed.end(), true));
    metrics.coverage_at_10 = static_cast<double>(n_covered) / static_cast<double>(split.n_items);
    metrics.mean_popularity_at_10 =
        n_listed == 0 ? 0.0 : popularity / static_cast<double>(n_listed);
}

}  // namespace

double ndcg_at_k_of_rank(std::uint64_t rank, std::uint64_t k) {
    if (rank == 0 || rank > k) {
        return 0;
    }
    return 1.0 / std::log2(static_cast<double>(rank) + 1.0);
}

double ndcg_at_10_of_rank(std::uint64_t rank) {
    return ndcg_at_k_of_rank(rank, 10);
}

RankingMetrics evaluate(const Recommender& model, const Split& split, Stage stage) {
    return evaluate(model, split, stage, EvaluateOptions{});
}

RankingMetrics evaluate(const Recommender& model, const Split& split, Stage stage,
                        const EvaluateOptions& options) {
    check_split(split);
    std::size_t n_users = split.n_users();
    std::size_t n_items = split.n_items;
    RankingMetrics metrics;
    metrics.n_users = n_users;
    if (options.protocol != Protocol::kFullRanking) {
        metrics.coverage_at_10 = std::numeric_limits<double>::quiet_NaN();
        metrics.mean_popularity_at_10 = std::numeric_limits<double>::quiet_NaN();
    }
    if (n_users == 0 || n_items == 0) {
        return metrics;
    }

    std::size_t batch_size = std::max<std::size_t>(1, options.batch_size);
    batch_size = std::clamp<std::size_t>(kMaxScoresPerBatch / n_items, 1, batch_size);
    std::size_t n_batches = (n_users + batch_size - 1) / batch_size;
    std::size_t n_threads = std::max<std::size_t>(1, options.n_threads);
    std::vector<Scratch> scratch(n_threads);
    std::vector<UserResult> results(n_users);

    detail::parallel_for(n_batches, n_threads, [&](std::size_t batch, std::size_t thread) {
        std::size_t begin = batch * batch_size;
        std::size_t end = std::min(n_users, begin + batch_size);
        std::vector<std::vector<std::uint32_t>> histories(end - begin);
        std::vector<std::span<const std::uint32_t>> views(end - begin);
        for (std::size_t i = begin; i < end; ++i) {
            history_at(split, i, stage, histories[i - begin]);
            views[i - begin] = histories[i - begin];
        }

        Scratch& s = scratch[thread];
        s.scores.assign((end - begin) * n_items, 0.0f);
        model.score_batch(views, s.scores);

        s.marks.resize(n_items, 0);
        for (std::size_t i = begin; i < end; ++i) {
            for (std::uint32_t item : histories[i - begin]) {
                s.marks[item] = i + 1;
            }
            std::span<const float> row(s.scores.data() + (i - begin) * n_items, n_items);
            evaluate_user(split, stage, options, i, row, s, results[i]);
        }
    });

    accumulate(results, split, options.protocol, metrics);
    log::debug(model.name() + ": evaluated " + std::to_string(n_users) + " users at the " +
               (stage == Stage::kValid ? "validation" : "test") + " stage");
    return metrics;
}

std::vector<std::uint32_t> sample_negatives(std::size_t n_items,
                                            std::span<const std::uint32_t> history,
                                            std::uint32_t target, std::size_t n_negatives,
                                            std::uint64_t seed, std::size_t user_index) {
    auto check = [&](std::uint32_t item) {
        if (item >= n_items) {
            throw Error(ErrorKind::kInternal, "sample_negatives: item id " + std::to_string(item) +
                                                  " is outside the catalogue of " +
                                                  std::to_string(n_items) + " items");
        }
    };
    check(target);
    std::vector<std::uint64_t> marks(n_items, 0);
    for (std::uint32_t item : history) {
        check(item);
        marks[item] = 1;
    }
    std::vector<std::uint32_t> candidates;
    std::vector<std::uint32_t> out;
    sample_into(n_items, marks, 1, target, n_negatives, seed, user_index, candidates, out);
    return out;
}

std::string protocol_description() {
    return protocol_description(Protocol::kFullRanking);
}

std::string protocol_description(Protocol protocol, std::size_t n_negatives) {
    std::string split_text =
        "Leave-last-out: each user's last item is the test target and the one before it the "
        "validation item; users with fewer than 3 item events are excluded. ";
    if (protocol == Protocol::kFullRanking) {
        return split_text +
               "Each target is ranked by full ranking over all N items, excluding items already in "
               "the user's history (a target already in the history counts as a miss), with ties "
               "broken against the target.";
    }
    std::string n = std::to_string(n_negatives);
    return split_text + "Each target is ranked against " + n +
           " negatives sampled uniformly without replacement (seeded per user) from the items "
           "neither in the user's history nor the target, or against all of them when fewer than " +
           n +
           " remain; a target already in the history counts as a miss, and ties are broken "
           "against the target. Sampled figures are higher than full-ranking ones and not "
           "comparable with them.";
}

}  // namespace sextant
