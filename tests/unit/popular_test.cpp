#include <gtest/gtest.h>

#include <vector>

#include "sextant/core/error.h"
#include "sextant/recommend/evaluate.h"
#include "sextant/recommend/popular.h"

namespace sextant {
namespace {

Split small_split() {
    Split s;
    s.n_items = 5;
    s.users = {0, 1, 2};
    s.train = {{0, 1, 1}, {1, 2}, {4}};
    s.valid = {3, 3, 3};  // validation and test items are not counted
    s.test = {2, 0, 1};
    return s;
}

TEST(Popular, CountsTrainingOccurrences) {
    MostPopular model;
    EXPECT_EQ(model.name(), "popular");
    model.fit(small_split());
    EXPECT_EQ(model.counts(), (std::vector<std::uint64_t>{1, 3, 1, 0, 1}));

    std::vector<std::uint32_t> history = {0, 4};
    std::vector<float> scores(5, -1.0f);
    model.score(history, scores);
    EXPECT_EQ(scores, (std::vector<float>{1, 3, 1, 0, 1}));
}

TEST(Popular, EvaluatesByHand) {
    MostPopular model;
    Split s = small_split();
    model.fit(s);
    // Test stage, scores {1, 3, 1, 0, 1}:
    // user 0, history {0, 1, 1, 3}, target 2: candidates 2 (1), 4 (1): tie, rank 2.
    // user 1, history {1, 2, 3}, target 0: candidates 0 (1), 4 (1): tie, rank 2.
    // user 2, history {4, 3}, target 1: 3 scores highest, rank 1.
    RankingMetrics m = evaluate(model, s, Stage::kTest);
    EXPECT_DOUBLE_EQ(m.hr_at_10, 1.0);
    EXPECT_DOUBLE_EQ(m.mrr, (0.5 + 0.5 + 1.0) / 3.0);
    EXPECT_DOUBLE_EQ(m.ndcg_at_10, (2.0 / std::log2(3.0) + 1.0) / 3.0);
}

TEST(Popular, ScoreBeforeFitIsAnError) {
    MostPopular model;
    std::vector<float> scores(3);
    EXPECT_THROW(model.score({}, scores), Error);
}

TEST(Popular, OutOfRangeTrainingItemIsInvalidInput) {
    Split s = small_split();
    s.train[1].push_back(9);
    MostPopular model;
    try {
        model.fit(s);
        FAIL() << "expected an error";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::kInvalidInput);
    }
}

}  // namespace
}  // namespace sextant
