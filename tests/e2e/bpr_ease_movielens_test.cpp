// EASE and BPR fitted on the real MovieLens file beside MostPopular (slow: about 15 s).
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "sextant/data/event_table.h"
#include "sextant/recommend/bpr.h"
#include "sextant/recommend/ease.h"
#include "sextant/recommend/evaluate.h"
#include "sextant/recommend/popular.h"
#include "sextant/recommend/split.h"
#include "test_util.h"

namespace sextant {
namespace {

// Seconds taken by model.fit(split).
double timed_fit(Recommender& model, const Split& split) {
    auto start = std::chrono::steady_clock::now();
    model.fit(split);
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void print_metrics(const char* name, const RankingMetrics& m, double fit_seconds) {
    std::printf("test  %-8s HR@10 %.4f NDCG@10 %.4f MRR %.4f  (fit %.1f s)\n", name, m.hr_at_10,
                m.ndcg_at_10, m.mrr, fit_seconds);
}

TEST(BprEaseMovieLens, BothBeatMostPopular) {
    SEXTANT_REQUIRE_DATA(path, "movielens-1m/ratings_users1-2999.dat");
    EventTable table = testing::load_movielens_table(path);
    Split split = leave_last_out(table);
    ASSERT_EQ(split.n_users(), 2999u);

    MostPopular popular;
    double popular_seconds = timed_fit(popular, split);
    RankingMetrics pop = evaluate(popular, split, Stage::kTest);

    Ease ease;
    double ease_seconds = timed_fit(ease, split);
    RankingMetrics ease_test = evaluate(ease, split, Stage::kTest);

    BprOptions options;
    options.train.budget_seconds = 60;
    Bpr bpr(options);
    double bpr_seconds = timed_fit(bpr, split);
    RankingMetrics bpr_test = evaluate(bpr, split, Stage::kTest);

    const LearningCurve& curve = bpr.curve();
    std::printf(
        "movielens: %zu users, %zu items; bpr: %zu epochs, kept epoch %d (valid NDCG@10 "
        "%.4f), %.0f pairs/s, %s\n",
        split.n_users(), split.n_items, curve.epochs.size(), curve.best_epoch, curve.best_metric,
        curve.samples_per_second(), curve.stop_message.c_str());
    print_metrics("popular", pop, popular_seconds);
    print_metrics("ease", ease_test, ease_seconds);
    print_metrics("bpr", bpr_test, bpr_seconds);
    EXPECT_GT(ease_test.ndcg_at_10, pop.ndcg_at_10);
    EXPECT_GT(bpr_test.ndcg_at_10, pop.ndcg_at_10);
    EXPECT_LE(curve.seconds, 60 * 1.5);
}

}  // namespace
}  // namespace sextant
