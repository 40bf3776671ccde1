// GRU4Rec trained on the real MovieLens file within a time budget (slow: about 90 s).
#include "sextant/recommend/gru4rec.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <numeric>
#include <string>
#include <vector>

#include "sextant/core/error.h"
#include "sextant/data/event_table.h"
#include "sextant/recommend/evaluate.h"
#include "sextant/recommend/popular.h"
#include "sextant/recommend/split.h"
#include "test_util.h"

namespace sextant {
namespace {

TEST(Gru4RecMovieLens, BeatsMostPopularWithinBudget) {
    SEXTANT_REQUIRE_DATA(path, "movielens-1m/ratings_users1-2999.dat");
    EventTable table = testing::load_movielens_table(path);
    Split split = leave_last_out(table);
    ASSERT_EQ(split.n_users(), 2999u);

    MostPopular popular;
    popular.fit(split);
    RankingMetrics pop = evaluate(popular, split, Stage::kTest);

    Gru4RecOptions options;
    options.train.budget_seconds = 90;
    Gru4Rec model(options);
    model.fit(split);
    RankingMetrics gru = evaluate(model, split, Stage::kTest);

    const LearningCurve& curve = model.curve();
    double train_seconds = 0;
    for (const EpochRecord& e : curve.epochs) {
        train_seconds += e.epoch_seconds;
    }
    std::printf(
        "movielens: %zu users, %zu items; %zu epochs in %.1f s (%.1f s/epoch, "
        "%.0f samples/s), kept epoch %d, %s\n",
        split.n_users(), split.n_items, curve.epochs.size(), curve.seconds,
        train_seconds / std::max<std::size_t>(1, curve.epochs.size()), curve.samples_per_second(),
        curve.best_epoch, curve.stop_message.c_str());
    std::printf("test  popular: HR@10 %.4f NDCG@10 %.4f MRR %.4f\n", pop.hr_at_10, pop.ndcg_at_10,
                pop.mrr);
    std::printf("test  gru4rec: HR@10 %.4f NDCG@10 %.4f MRR %.4f\n", gru.hr_at_10, gru.ndcg_at_10,
                gru.mrr);
    EXPECT_GT(gru.hr_at_10, pop.hr_at_10);
    EXPECT_GT(gru.ndcg_at_10, pop.ndcg_at_10);
    EXPECT_LE(curve.seconds, 90 * 1.5);
}

}  // namespace
}  // namespace sextant
