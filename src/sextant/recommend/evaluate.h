// Ranking metrics and the evaluation protocol.
//
// Full ranking over all items; items in the user's history are excluded from the ranking (a
// target the user already had counts as a miss); ties are broken against the target (rank =
// 1 + number of other candidate items scoring at least as high).
#pragma once

#include <cstddef>
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

// Metric contributions of a single 1-based rank (for tests and incremental use): 1/log2(rank+1)
// for 1 <= rank <= 10, else 0 (rank 0 is not a rank and gives 0).
double ndcg_at_10_of_rank(std::uint64_t rank);

// How the evaluation is run; the metrics do not depend on these fields.
struct EvaluateOptions {
    std::size_t batch_size = 256;  // users scored per score_batch call (capped so that one batch
                                   // holds at most ~16M scores, 64 MB, per thread)
    std::size_t n_threads = 2;     // threads over batches; each calls model.score_batch
};

// Evaluates `model` on every user of the split at `stage`: the history is history_at(split, i,
// stage) and the target is split.valid[i] (kValid) or split.test[i] (kTest). The model must be
// fitted and its score_batch safe to call from several threads at once. NaN scores count against
// the target (a NaN target ranks below every candidate; a NaN candidate ranks above the target).
// Throws sextant::Error (kInternal) when the split's vectors disagree in size or hold an item
// outside [0, n_items); errors thrown by the model propagate.
RankingMetrics evaluate(const Recommender& model, const Split& split, Stage stage);
RankingMetrics evaluate(const Recommender& model, const Split& split, Stage stage,
                        const EvaluateOptions& options);

// The protocol in words, written beside the figures in the report and summary.json.
std::string protocol_description();

}  // namespace sextant
