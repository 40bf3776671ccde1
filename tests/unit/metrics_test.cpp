#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "sextant/core/error.h"
#include "sextant/recommend/evaluate.h"

namespace sextant {
namespace {

// Gives every user the same fixed scores.
class FixedScores : public Recommender {
public:
    explicit FixedScores(std::vector<float> scores) : scores_(std::move(scores)) {}
    std::string name() const override { return "fixed"; }
    void fit(const Split&) override {}
    void score(std::span<const std::uint32_t>, std::span<float> scores) const override {
        std::copy(scores_.begin(), scores_.end(), scores.begin());
    }

private:
    std::vector<float> scores_;
};

// Scores that depend on the history (a hash of it), with many ties: small integers.
class HashedScores : public Recommender {
public:
    std::string name() const override { return "hashed"; }
    void fit(const Split&) override {}
    void score(std::span<const std::uint32_t> history, std::span<float> scores) const override {
        std::uint64_t seed = 1469598103934665603ull;
        for (std::uint32_t h : history) {
            seed = (seed ^ h) * 1099511628211ull;
        }
        std::mt19937_64 rng(seed);
        for (float& s : scores) {
            s = static_cast<float>(rng() % 7);
        }
    }
};

// Descending scores: item j scores n - j, so item j alone ranks j + 1.
std::vector<float> descending(std::size_t n) {
    std::vector<float> s(n);
    for (std::size_t j = 0; j < n; ++j) {
        s[j] = static_cast<float>(n - j);
    }
    return s;
}

Split make_split(std::size_t n_items, std::vector<std::vector<std::uint32_t>> train,
                 std::vector<std::uint32_t> valid, std::vector<std::uint32_t> test) {
    Split s;
    s.n_items = n_items;
    for (std::size_t i = 0; i < train.size(); ++i) {
        s.users.push_back(static_cast<std::uint32_t>(i));
    }
    s.train = std::move(train);
    s.valid = std::move(valid);
    s.test = std::move(test);
    return s;
}

TEST(Metrics, NdcgOfRank) {
    EXPECT_DOUBLE_EQ(ndcg_at_10_of_rank(1), 1.0);
    EXPECT_DOUBLE_EQ(ndcg_at_10_of_rank(3), 0.5);
    EXPECT_DOUBLE_EQ(ndcg_at_10_of_rank(7), 1.0 / 3.0);
    EXPECT_DOUBLE_EQ(ndcg_at_10_of_rank(10), 1.0 / std::log2(11.0));
    EXPECT_EQ(ndcg_at_10_of_rank(11), 0.0);
    EXPECT_EQ(ndcg_at_10_of_rank(0), 0.0);
}

TEST(Metrics, RanksOneThreeAndEleven) {
    // History {19}: the lowest item, so excluding it moves no target.
    FixedScores model(descending(20));
    Split s = make_split(20, {{19}, {19}, {19}}, {0, 2, 10}, {0, 0, 0});
    RankingMetrics m = evaluate(model, s, Stage::kValid);
    EXPECT_EQ(m.n_users, 3u);
    EXPECT_EQ(m.n_targets_in_history, 0u);
    EXPECT_DOUBLE_EQ(m.hr_at_10, 2.0 / 3.0);
    EXPECT_DOUBLE_EQ(m.ndcg_at_10, (1.0 + 0.5 + 0.0) / 3.0);
    EXPECT_DOUBLE_EQ(m.mrr, (1.0 + 1.0 / 3.0 + 1.0 / 11.0) / 3.0);
}

TEST(Metrics, RankElevenAlone) {
    FixedScores model(descending(20));
    Split s = make_split(20, {{19}}, {10}, {0});
    RankingMetrics m = evaluate(model, s, Stage::kValid);
    EXPECT_EQ(m.hr_at_10, 0.0);
    EXPECT_EQ(m.ndcg_at_10, 0.0);
    EXPECT_DOUBLE_EQ(m.mrr, 1.0 / 11.0);
}

TEST(Metrics, TiesAreBrokenAgainstTheTarget) {
    // Items 0, 1 and 2 tie at the top; target 1 ranks behind both others.
    std::vector<float> scores(8, 0.0f);
    scores[0] = scores[1] = scores[2] = 1.0f;
    FixedScores model(scores);
    Split s = make_split(8, {{7}}, {1}, {1});
    RankingMetrics m = evaluate(model, s, Stage::kValid);
    EXPECT_DOUBLE_EQ(m.hr_at_10, 1.0);
    EXPECT_DOUBLE_EQ(m.ndcg_at_10, 0.5);
    EXPECT_DOUBLE_EQ(m.mrr, 1.0 / 3.0);
}

TEST(Metrics, HistoryItemsAreExcludedFromTheRanking) {
    // Items 0 and 1 score above target 2 but are in the history: rank 1, not 3.
    FixedScores model(descending(10));
    Split s = make_split(10, {{0, 1}}, {2}, {3});
    RankingMetrics valid = evaluate(model, s, Stage::kValid);
    EXPECT_DOUBLE_EQ(valid.mrr, 1.0);
    EXPECT_DOUBLE_EQ(valid.ndcg_at_10, 1.0);

    // At the test stage the validation item 2 joins the history, so target 3 ranks first too.
    RankingMetrics test = evaluate(model, s, Stage::kTest);
    EXPECT_DOUBLE_EQ(test.mrr, 1.0);

    // Without the history exclusion, target 3 would rank 4th: check a user whose history is
    // elsewhere.
    Split far = make_split(10, {{9}}, {3}, {3});
    EXPECT_DOUBLE_EQ(evaluate(model, far, Stage::kValid).mrr, 0.25);
}

TEST(Metrics, TargetInHistoryIsAMiss) {
    // User 0: target 2 already in the history (a miss even though it scores well). User 1: rank 1.
    FixedScores model(descending(10));
    Split s = make_split(10, {{5, 2}, {9}}, {2, 0}, {0, 0});
    RankingMetrics m = evaluate(model, s, Stage::kValid);
    EXPECT_EQ(m.n_users, 2u);
    EXPECT_EQ(m.n_targets_in_history, 1u);
    EXPECT_DOUBLE_EQ(m.hr_at_10, 0.5);
    EXPECT_DOUBLE_EQ(m.ndcg_at_10, 0.5);
    EXPECT_DOUBLE_EQ(m.mrr, 0.5);

    // At the test stage the validation item counts as history: test target 4 == valid item 4.
    Split again = make_split(10, {{9}}, {4}, {4});
    RankingMetrics t = evaluate(model, again, Stage::kTest);
    EXPECT_EQ(t.n_targets_in_history, 1u);
    EXPECT_EQ(t.mrr, 0.0);
}

TEST(Metrics, NanTargetRanksLast) {
    std::vector<float> scores(6, 1.0f);
    scores[3] = std::numeric_limits<float>::quiet_NaN();
    FixedScores model(scores);
    Split s = make_split(6, {{0}}, {3}, {3});
    // Five items, one in the history: the target ranks behind the other four.
    EXPECT_DOUBLE_EQ(evaluate(model, s, Stage::kValid).mrr, 0.2);
}

// Rank by an independent method: sort the candidates, target placed after its ties.
double reference_mrr(const Recommender& model, const Split& s, Stage stage) {
    double total = 0;
    std::vector<std::uint32_t> history;
    std::vector<float> scores(s.n_items);
    for (std::size_t i = 0; i < s.n_users(); ++i) {
        history_at(s, i, stage, history);
        model.score(history, scores);
        std::uint32_t target = stage == Stage::kValid ? s.valid[i] : s.test[i];
        if (std::find(history.begin(), history.end(), target) != history.end()) {
            continue;
        }
        std::vector<std::pair<float, int>> order;  // (score, 0 for others, 1 for the target)
        for (std::uint32_t j = 0; j < s.n_items; ++j) {
            if (std::find(history.begin(), history.end(), j) == history.end()) {
                order.push_back({scores[j], j == target ? 1 : 0});
            }
        }
        std::sort(order.begin(), order.end(), [](auto a, auto b) {
            return a.first != b.first ? a.first > b.first : a.second < b.second;
        });
        auto it = std::find_if(order.begin(), order.end(), [](auto p) { return p.second == 1; });
        total += 1.0 / static_cast<double>(it - order.begin() + 1);
    }
    return total / static_cast<double>(s.n_users());
}

TEST(Metrics, ResultsDoNotDependOnThreadsOrBatches) {
    std::mt19937 rng(7);
    std::size_t n_items = 40;
    Split s;
    s.n_items = n_items;
    for (std::uint32_t u = 0; u < 600; ++u) {
        std::vector<std::uint32_t> train(1 + rng() % 6);
        for (std::uint32_t& item : train) {
            item = rng() % n_items;
        }
        s.users.push_back(u);
        s.train.push_back(train);
        s.valid.push_back(rng() % n_items);
        s.test.push_back(rng() % n_items);
    }
    HashedScores model;

    RankingMetrics base = evaluate(model, s, Stage::kTest, {1, 1});
    EXPECT_GT(base.n_targets_in_history, 0u);
    EXPECT_NEAR(base.mrr, reference_mrr(model, s, Stage::kTest), 1e-12);
    for (EvaluateOptions options : {EvaluateOptions{7, 2}, EvaluateOptions{256, 2},
                                    EvaluateOptions{33, 4}, EvaluateOptions{}}) {
        RankingMetrics m = evaluate(model, s, Stage::kTest, options);
        EXPECT_EQ(m.hr_at_10, base.hr_at_10);
        EXPECT_EQ(m.ndcg_at_10, base.ndcg_at_10);
        EXPECT_EQ(m.mrr, base.mrr);
        EXPECT_EQ(m.n_targets_in_history, base.n_targets_in_history);
    }
}

TEST(Metrics, EmptySplitGivesZeros) {
    FixedScores model({});
    RankingMetrics m = evaluate(model, Split{}, Stage::kTest);
    EXPECT_EQ(m.n_users, 0u);
    EXPECT_EQ(m.mrr, 0.0);
}

TEST(Metrics, InconsistentSplitIsAnError) {
    FixedScores model(descending(5));
    Split s = make_split(5, {{0}, {1}}, {2}, {3, 4});
    EXPECT_THROW(evaluate(model, s, Stage::kValid), Error);
    Split out_of_range = make_split(5, {{0}}, {7}, {3});
    EXPECT_THROW(evaluate(model, out_of_range, Stage::kValid), Error);
}

TEST(Metrics, DefaultScoreBatchFillsEveryRow) {
    FixedScores model(descending(3));
    std::vector<std::uint32_t> h = {1};
    std::vector<std::span<const std::uint32_t>> histories = {h, h};
    std::vector<float> scores(6, -1.0f);
    model.score_batch(histories, scores);
    EXPECT_EQ(scores, (std::vector<float>{3, 2, 1, 3, 2, 1}));

    std::vector<float> bad(5);
    EXPECT_THROW(model.score_batch(histories, bad), Error);
}

TEST(Metrics, ProtocolDescriptionNamesTheProtocol) {
    std::string text = protocol_description();
    for (const char* word : {"Leave-last-out", "validation", "fewer than 3", "full ranking",
                             "all N items", "history", "ties"}) {
        EXPECT_NE(text.find(word), std::string::npos) << word;
    }
}

}  // namespace
}  // namespace sextant
