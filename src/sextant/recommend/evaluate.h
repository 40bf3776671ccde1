// Ranking metrics and the evaluation protocol.
//
// Full ranking over all items; items in the user's history are excluded from the ranking (a
// target the user already had counts as a miss); ties are broken against the target (rank =
// 1 + number of other candidate items scoring at least as high).
#pragma once

#include <cstdint>
#include <string>

#include "sextant/recommend/recommender.h"
#include "sextant/recommend/split.h"

namespace sextant {

struct RankingMetrics {
    double hr_at_10 = 0;    // share of users whose target ranks in the top 10
    double ndcg_at_10 = 0;  // mean of 1/log2(rank+1) for ranks <= 10, else 0
    double mrr = 0;         // mean of 1/rank over all users (no cut-off)
    std::size_t n_users = 0;
    std::size_t n_targets_in_history = 0;  // targets the user already had (counted as misses)
};

// Metric contributions of a single 1-based rank (for tests and incremental use).
double ndcg_at_10_of_rank(std::uint64_t rank);

// Evaluates `model` on every user of the split at `stage`.
RankingMetrics evaluate(const Recommender& model, const Split& split, Stage stage);

// The protocol in words, written beside the figures in the report and summary.json.
std::string protocol_description();

}  // namespace sextant
