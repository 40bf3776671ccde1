// Ranking metrics and the evaluation protocols.
//
// Two protocols, both leave-last-out (split.h):
//   - kFullRanking (the default): the target is ranked among all items of the catalogue that are
//     not in the user's history.
//   - kSampled100: the target is ranked among n_negatives (100) items drawn uniformly without
//     replacement from the items that are neither in the user's history nor the target, as in the
//     SASRec paper. A user with fewer candidates than n_negatives is ranked against all of them.
// In both, a target the user already had counts as a miss, and ties are broken against the target
// (rank = 1 + number of other candidate items scoring at least as high).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "sextant/recommend/recommender.h"
#include "sextant/recommend/split.h"

namespace sextant {

enum class Protocol {
    kFullRanking,  // rank among every item not in the history
    kSampled100,   // rank among n_negatives sampled items not in the history
};

// All rates are means over every evaluated user; a target in the history contributes 0 to each.
struct RankingMetrics {
    double hr_at_1 = 0;     // share of users whose target ranks first
    double hr_at_5 = 0;     // share of users whose target ranks in the top 5
    double hr_at_10 = 0;    // share of users whose target ranks in the top 10
    double ndcg_at_5 = 0;   // mean of 1/log2(rank+1) for ranks <= 5, else 0
    double ndcg_at_10 = 0;  // mean of 1/log2(rank+1) for ranks <= 10, else 0
    double mrr = 0;         // mean of 1/rank over all users (no cut-off)

    // Full ranking only (NaN under kSampled100, where no top-10 list over the catalogue exists).
    // Each user's top-10 list holds the 10 best-scoring items outside the user's history (fewer
    // when fewer remain), ties broken by the lower item id and NaN scores placed last; the target
    // plays no part in it. Note the list's tie-break differs from the target's rank, which breaks
    // ties against the target.
    double coverage_at_10 = 0;  // distinct items in any user's top-10 list / n_items
    // Mean over every (user, item) pair of all top-10 lists of the item's training popularity:
    // its number of occurrences in the split's training parts (repeats count each time; the
    // validation items are not counted, even at the test stage) divided by n_users. 0 when no
    // list holds an item. A model that only repeats the charts scores high here.
    double mean_popularity_at_10 = 0;

    std::size_t n_users = 0;
    std::size_t n_targets_in_history = 0;  // targets the user already had (counted as misses)
};

// Metric contributions of a single 1-based rank (for tests and incremental use): 1/log2(rank+1)
// for 1 <= rank <= k, else 0 (rank 0 is not a rank and gives 0).
double ndcg_at_k_of_rank(std::uint64_t rank, std::uint64_t k);
double ndcg_at_10_of_rank(std::uint64_t rank);

// How the evaluation is run. batch_size and n_threads never change the metrics; protocol,
// n_negatives and seed do.
struct EvaluateOptions {
    std::size_t batch_size = 256;  // users scored per score_batch call (capped so that one batch
                                   // holds at most ~16M scores, 64 MB, per thread)
    std::size_t n_threads = 2;     // threads over batches; each calls model.score_batch
    Protocol protocol = Protocol::kFullRanking;
    std::size_t n_negatives = 100;  // kSampled100 only: negatives drawn per user (0 ranks first)
    std::uint64_t seed = 42;        // kSampled100 only: the draw of user i depends on (seed, i)
};

// Evaluates `model` on every user of the split at `stage`: the history is history_at(split, i,
// stage) and the target is split.valid[i] (kValid) or split.test[i] (kTest). The model must be
// fitted and its score_batch safe to call from several threads at once. NaN scores count against
// the target (a NaN target ranks below every candidate; a NaN candidate ranks above the target).
// Throws sextant::Error (kInternal) when the split's vectors disagree in size or hold an item
// outside [0, n_items); errors thrown by the model propagate. The result does not depend on
// batch_size or n_threads.
RankingMetrics evaluate(const Recommender& model, const Split& split, Stage stage);
RankingMetrics evaluate(const Recommender& model, const Split& split, Stage stage,
                        const EvaluateOptions& options);

// The negatives kSampled100 ranks user index `user_index` against: min(n_negatives, number of
// candidates) distinct items, candidates being the items of [0, n_items) neither in `history` nor
// equal to `target`, drawn uniformly without replacement by a partial Fisher-Yates shuffle of the
// candidates in id order, from a generator seeded with a hash of (seed, user_index). The same
// arguments always give the same items in the same order, on any thread. Requires every history
// item and the target to be < n_items (kInternal error otherwise).
std::vector<std::uint32_t> sample_negatives(std::size_t n_items,
                                            std::span<const std::uint32_t> history,
                                            std::uint32_t target, std::size_t n_negatives,
                                            std::uint64_t seed, std::size_t user_index);

// The protocol in words, written beside the figures in the report and summary.json. The overload
// without arguments describes kFullRanking; n_negatives only matters for kSampled100.
std::string protocol_description();
std::string protocol_description(Protocol protocol, std::size_t n_negatives = 100);

}  // namespace sextant
