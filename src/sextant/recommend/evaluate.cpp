#include "sextant/recommend/evaluate.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "sextant/core/error.h"
#include "sextant/core/log.h"
#include "sextant/recommend/parallel.h"

namespace sextant {

namespace {

// One batch of scores holds at most this many floats (64 MB) per thread, whatever batch_size says.
constexpr std::size_t kMaxScoresPerBatch = std::size_t{16} << 20;

// What one user adds to the metrics; kept per user so that the sums run in user order.
struct UserResult {
    double hit = 0;
    double ndcg = 0;
    double reciprocal_rank = 0;
    bool target_in_history = false;
};

void check_split(const Split& split) {
    std::size_t n = split.n_users();
    if (split.train.size() != n || split.valid.size() != n || split.test.size() != n) {
        throw Error(ErrorKind::kInternal,
                    "evaluate: split has " + std::to_string(n) + " users but " +
                        std::to_string(split.train.size()) + " training rows, " +
                        std::to_string(split.valid.size()) + " validation and " +
                        std::to_string(split.test.size()) + " test targets");
    }
    auto check_item = [&](std::uint32_t item) {
        if (item >= split.n_items) {
            throw Error(ErrorKind::kInternal, "evaluate: item id " + std::to_string(item) +
                                                  " is outside the catalogue of " +
                                                  std::to_string(split.n_items) + " items");
        }
    };
    for (std::size_t i = 0; i < n; ++i) {
        std::for_each(split.train[i].begin(), split.train[i].end(), check_item);
        check_item(split.valid[i]);
        check_item(split.test[i]);
    }
}

// Ranks `target` among the items not marked with `mark`; NaN comparisons count against it.
std::uint64_t rank_of(std::span<const float> scores, std::uint32_t target,
                      const std::vector<std::uint64_t>& marks, std::uint64_t mark) {
    float target_score = scores[target];
    std::uint64_t above = 0;
    for (std::size_t j = 0; j < scores.size(); ++j) {
        bool candidate = j != target && marks[j] != mark;
        above += candidate && !(scores[j] < target_score);
    }
    return 1 + above;
}

}  // namespace

double ndcg_at_10_of_rank(std::uint64_t rank) {
    if (rank == 0 || rank > 10) {
        return 0;
    }
    return 1.0 / std::log2(static_cast<double>(rank) + 1.0);
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
    if (n_users == 0 || n_items == 0) {
        return metrics;
    }

    std::size_t batch_size = std::max<std::size_t>(1, options.batch_size);
    batch_size = std::clamp<std::size_t>(kMaxScoresPerBatch / n_items, 1, batch_size);
    std::size_t n_batches = (n_users + batch_size - 1) / batch_size;
    std::size_t n_threads = std::max<std::size_t>(1, options.n_threads);

    // Per-thread scratch: a mark per item (the user index + 1 marks that user's history, so it
    // never needs clearing) and one batch of scores.
    std::vector<std::vector<std::uint64_t>> marks(n_threads);
    std::vector<std::vector<float>> scores(n_threads);
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

        std::vector<float>& batch_scores = scores[thread];
        batch_scores.assign((end - begin) * n_items, 0.0f);
        model.score_batch(views, batch_scores);

        std::vector<std::uint64_t>& mark = marks[thread];
        mark.resize(n_items, 0);
        for (std::size_t i = begin; i < end; ++i) {
            std::uint64_t user_mark = i + 1;
            for (std::uint32_t item : histories[i - begin]) {
                mark[item] = user_mark;
            }
            std::uint32_t target = stage == Stage::kValid ? split.valid[i] : split.test[i];
            UserResult& result = results[i];
            if (mark[target] == user_mark) {
                result.target_in_history = true;
                continue;
            }
            std::span<const float> row(batch_scores.data() + (i - begin) * n_items, n_items);
            std::uint64_t rank = rank_of(row, target, mark, user_mark);
            result.hit = rank <= 10 ? 1.0 : 0.0;
            result.ndcg = ndcg_at_10_of_rank(rank);
            result.reciprocal_rank = 1.0 / static_cast<double>(rank);
        }
    });

    for (const UserResult& result : results) {
        metrics.hr_at_10 += result.hit;
        metrics.ndcg_at_10 += result.ndcg;
        metrics.mrr += result.reciprocal_rank;
        metrics.n_targets_in_history += result.target_in_history ? 1 : 0;
    }
    double n = static_cast<double>(n_users);
    metrics.hr_at_10 /= n;
    metrics.ndcg_at_10 /= n;
    metrics.mrr /= n;
    log::debug(model.name() + ": evaluated " + std::to_string(n_users) + " users at the " +
               (stage == Stage::kValid ? "validation" : "test") + " stage");
    return metrics;
}

std::string protocol_description() {
    return "Leave-last-out: each user's last item is the test target and the one before it the "
           "validation item; users with fewer than 3 item events are excluded. Each target is "
           "ranked by full ranking over all N items, excluding items already in the user's history "
           "(a target already in the history counts as a miss), with ties broken against the "
           "target.";
}

}  // namespace sextant
