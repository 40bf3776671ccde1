// SASRec trained on the real MovieLens file within a time budget (slow: about 3 minutes).
#include "sextant/recommend/sasrec.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "sextant/data/event_table.h"
#include "sextant/recommend/ann_index.h"
#include "sextant/recommend/evaluate.h"
#include "sextant/recommend/item_knn.h"
#include "sextant/recommend/popular.h"
#include "sextant/recommend/split.h"
#include "test_util.h"

namespace sextant {
namespace {

void print_metrics(const char* what, const RankingMetrics& m) {
    std::printf("test  %-8s HR@10 %.4f NDCG@10 %.4f MRR %.4f\n", what, m.hr_at_10, m.ndcg_at_10,
                m.mrr);
}

TEST(SasRecMovieLens, BeatsItemKnnAndMostPopularWithinBudget) {
    SEXTANT_REQUIRE_DATA(path, "movielens-1m/ratings_users1-2999.dat");
    EventTable table = testing::load_movielens_table(path);
    Split split = leave_last_out(table);
    ASSERT_EQ(split.n_users(), 2999u);

    MostPopular popular;
    popular.fit(split);
    RankingMetrics pop = evaluate(popular, split, Stage::kTest);
    ItemKnn knn;
    knn.fit(split);
    RankingMetrics neighbours = evaluate(knn, split, Stage::kTest);

    constexpr double kBudget = 150;
    // max_len 50 rather than 200: ~16x less attention per sequence, so on 2 shared cores the
    // budget holds several times more epochs, which matters more here than longer context.
    SasRecOptions options;
    options.max_len = 50;
    options.train.learning_rate = 3e-3;
    options.train.budget_seconds = kBudget;
    SasRec model(options);
    model.fit(split);
    RankingMetrics sas = evaluate(model, split, Stage::kTest);

    const LearningCurve& curve = model.curve();
    double train_seconds = 0;
    for (const EpochRecord& e : curve.epochs) {
        train_seconds += e.epoch_seconds;
    }
    std::printf(
        "movielens: %zu users, %zu items; %zu epochs in %.1f s (%.1f s/epoch, "
        "%.0f samples/s), kept epoch %d (valid NDCG@10 %.4f), %s\n",
        split.n_users(), split.n_items, curve.epochs.size(), curve.seconds,
        train_seconds / std::max<std::size_t>(1, curve.epochs.size()), curve.samples_per_second(),
        curve.best_epoch, curve.best_metric, curve.stop_message.c_str());
    print_metrics("popular", pop);
    print_metrics("item_knn", neighbours);
    print_metrics("sasrec", sas);
    EXPECT_GT(sas.ndcg_at_10, pop.ndcg_at_10);
    EXPECT_GT(sas.ndcg_at_10, neighbours.ndcg_at_10);

    // The protocol of the SASRec paper: the test item among 100 sampled unseen items.
    EvaluateOptions sampled;
    sampled.protocol = Protocol::kSampled100;
    RankingMetrics sas100 = evaluate(model, split, Stage::kTest, sampled);
    std::printf("test  sasrec   HR@10 %.4f NDCG@10 %.4f (1 + 100 sampled)\n", sas100.hr_at_10,
                sas100.ndcg_at_10);
    EXPECT_GE(sas100.hr_at_10, 0.75);

    // Similar items from the learned embeddings: the HNSW index finds what exact search finds.
    ItemVectors vectors = model.item_vectors();
    ASSERT_EQ(vectors.n_items, split.n_items);
    AnnIndex index = AnnIndex::build(vectors.values, vectors.n_items, vectors.dim);
    std::vector<std::uint32_t> queries;
    for (std::uint32_t j = 0; j < split.n_items; j += 7) {
        queries.push_back(j);
    }
    double recall = recall_at_k(index, 10, queries);
    std::printf("similar items: recall@10 of HNSW against exact search %.4f over %zu items\n",
                recall, queries.size());
    EXPECT_GE(recall, 0.95);
}

}  // namespace
}  // namespace sextant
