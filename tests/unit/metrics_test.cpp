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

// Users with 1 to 6 random training items and random targets (some inside the history).
Split random_split(std::uint32_t seed, std::uint32_t n_users, std::size_t n_items) {
    std::mt19937 rng(seed);
    Split s;
    s.n_items = n_items;
    for (std::uint32_t u = 0; u < n_users; ++u) {
        std::vector<std::uint32_t> train(1 + rng() % 6);
        for (std::uint32_t& item : train) {
            item = rng() % n_items;
        }
        s.users.push_back(u);
        s.train.push_back(train);
        s.valid.push_back(rng() % n_items);
        s.test.push_back(rng() % n_items);
    }
    return s;
}

TEST(Metrics, ResultsDoNotDependOnThreadsOrBatches) {
    Split s = random_split(7, 600, 40);
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
        EXPECT_EQ(m.hr_at_1, base.hr_at_1);
        EXPECT_EQ(m.hr_at_5, base.hr_at_5);
        EXPECT_EQ(m.ndcg_at_5, base.ndcg_at_5);
        EXPECT_EQ(m.coverage_at_10, base.coverage_at_10);
        EXPECT_EQ(m.mean_popularity_at_10, base.mean_popularity_at_10);
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

TEST(Metrics, NdcgAtKOfRank) {
    EXPECT_DOUBLE_EQ(ndcg_at_k_of_rank(1, 5), 1.0);
    EXPECT_DOUBLE_EQ(ndcg_at_k_of_rank(3, 5), 0.5);
    EXPECT_DOUBLE_EQ(ndcg_at_k_of_rank(5, 5), 1.0 / std::log2(6.0));
    EXPECT_EQ(ndcg_at_k_of_rank(6, 5), 0.0);
    EXPECT_EQ(ndcg_at_k_of_rank(0, 5), 0.0);
    EXPECT_EQ(ndcg_at_k_of_rank(2, 1), 0.0);
}

TEST(Metrics, CutOffsAtOneFiveAndTen) {
    // History {19} (the lowest item) moves nothing: targets 0, 2, 4, 5, 10 rank 1, 3, 5, 6, 11.
    FixedScores model(descending(20));
    Split s = make_split(20, {{19}, {19}, {19}, {19}, {19}}, {0, 2, 4, 5, 10}, {0, 0, 0, 0, 0});
    RankingMetrics m = evaluate(model, s, Stage::kValid);
    EXPECT_DOUBLE_EQ(m.hr_at_1, 1.0 / 5.0);
    EXPECT_DOUBLE_EQ(m.hr_at_5, 3.0 / 5.0);
    EXPECT_DOUBLE_EQ(m.hr_at_10, 4.0 / 5.0);
    EXPECT_DOUBLE_EQ(m.ndcg_at_5, (1.0 + 0.5 + 1.0 / std::log2(6.0)) / 5.0);
    EXPECT_DOUBLE_EQ(m.ndcg_at_10, (1.0 + 0.5 + 1.0 / std::log2(6.0) + 1.0 / std::log2(7.0)) / 5.0);
    EXPECT_DOUBLE_EQ(m.mrr, (1.0 + 1.0 / 3.0 + 1.0 / 5.0 + 1.0 / 6.0 + 1.0 / 11.0) / 5.0);
}

TEST(Metrics, CoverageAndPopularityOfThreeUsers) {
    // Item j scores 12 - j. Training counts: item 0 four times, items 1 and 5 once each.
    //   user 0, history {0, 1}:    top 10 = 2..11           (holds 5)
    //   user 1, history {0}:       top 10 = 1..10           (holds 1 and 5)
    //   user 2, history {5, 0, 0}: top 10 = 1..4, 6..11     (holds 1)
    // Union 1..11: coverage 11/12. Popularity sum (1 + 2 + 1) / 3 users over 30 listed items.
    FixedScores model(descending(12));
    Split s = make_split(12, {{0, 1}, {0}, {5, 0, 0}}, {11, 11, 11}, {3, 3, 3});
    RankingMetrics valid = evaluate(model, s, Stage::kValid);
    EXPECT_DOUBLE_EQ(valid.coverage_at_10, 11.0 / 12.0);
    EXPECT_DOUBLE_EQ(valid.mean_popularity_at_10, (4.0 / 3.0) / 30.0);

    // At the test stage item 11 joins every history, but not the counts: lists 2..10 (9 items),
    // 1..10 and 1..4, 6..10 (9 items); union 1..10; the same popular items appear.
    RankingMetrics test = evaluate(model, s, Stage::kTest);
    EXPECT_DOUBLE_EQ(test.coverage_at_10, 10.0 / 12.0);
    EXPECT_DOUBLE_EQ(test.mean_popularity_at_10, (4.0 / 3.0) / 28.0);
}

TEST(Metrics, TopListBreaksTiesByLowerIdAndPutsNanLast) {
    // Every score ties except a NaN at item 1: the list is the 10 lowest ids outside history
    // {0, 3}, with item 1 pushed behind them: 2, 4..12.
    std::vector<float> scores(15, 1.0f);
    scores[1] = std::numeric_limits<float>::quiet_NaN();
    FixedScores model(scores);
    Split s = make_split(15, {{0, 3}, {0, 3}}, {12, 1}, {0, 0});
    RankingMetrics m = evaluate(model, s, Stage::kValid);
    EXPECT_DOUBLE_EQ(m.coverage_at_10, 10.0 / 15.0);
    // Counts: items 0 and 3 twice each, neither listed.
    EXPECT_EQ(m.mean_popularity_at_10, 0.0);

    // The third user (history {3}) lists 0, 2, 4..11: item 0 (count 2, over 3 users) once among
    // 30 listed items; item 3 (count 3) in no list.
    Split with_zero = make_split(15, {{0, 3}, {0, 3}, {3}}, {12, 1, 2}, {0, 0, 0});
    RankingMetrics z = evaluate(model, with_zero, Stage::kValid);
    EXPECT_DOUBLE_EQ(z.coverage_at_10, 11.0 / 15.0);
    EXPECT_DOUBLE_EQ(z.mean_popularity_at_10, (2.0 / 3.0) / 30.0);
}

// Coverage and popularity by an independent method: sort every candidate of every user.
std::pair<double, double> reference_coverage(const Recommender& model, const Split& s,
                                             Stage stage) {
    std::vector<std::uint64_t> counts(s.n_items, 0);
    for (const auto& train : s.train) {
        for (std::uint32_t item : train) {
            ++counts[item];
        }
    }
    std::vector<std::uint32_t> history;
    std::vector<float> scores(s.n_items);
    std::vector<bool> listed(s.n_items, false);
    double popularity = 0;
    double n_listed = 0;
    for (std::size_t i = 0; i < s.n_users(); ++i) {
        history_at(s, i, stage, history);
        model.score(history, scores);
        std::vector<std::uint32_t> order;
        for (std::uint32_t j = 0; j < s.n_items; ++j) {
            if (std::find(history.begin(), history.end(), j) == history.end()) {
                order.push_back(j);
            }
        }
        std::stable_sort(order.begin(), order.end(),
                         [&](std::uint32_t a, std::uint32_t b) { return scores[a] > scores[b]; });
        for (std::size_t k = 0; k < std::min<std::size_t>(10, order.size()); ++k) {
            listed[order[k]] = true;
            popularity += static_cast<double>(counts[order[k]]) / double(s.n_users());
            n_listed += 1;
        }
    }
    double covered = static_cast<double>(std::count(listed.begin(), listed.end(), true));
    return {covered / double(s.n_items), popularity / n_listed};
}

TEST(Metrics, CoverageMatchesAFullSort) {
    Split s = random_split(11, 300, 60);
    HashedScores model;
    RankingMetrics m = evaluate(model, s, Stage::kTest, {16, 3});
    auto [coverage, popularity] = reference_coverage(model, s, Stage::kTest);
    EXPECT_DOUBLE_EQ(m.coverage_at_10, coverage);
    EXPECT_NEAR(m.mean_popularity_at_10, popularity, 1e-12);
}

EvaluateOptions sampled(std::size_t n_threads = 2, std::size_t batch_size = 256,
                        std::uint64_t seed = 42) {
    EvaluateOptions o;
    o.protocol = Protocol::kSampled100;
    o.n_threads = n_threads;
    o.batch_size = batch_size;
    o.seed = seed;
    return o;
}

TEST(Metrics, SampledTargetScoredHighestRanksFirst) {
    // Item 0 scores highest and is every user's target.
    FixedScores model(descending(400));
    Split s = make_split(400, {{5, 6}, {399}, {100, 200, 300}}, {0, 0, 0}, {0, 0, 0});
    RankingMetrics m = evaluate(model, s, Stage::kValid, sampled());
    EXPECT_DOUBLE_EQ(m.hr_at_1, 1.0);
    EXPECT_DOUBLE_EQ(m.hr_at_5, 1.0);
    EXPECT_DOUBLE_EQ(m.ndcg_at_10, 1.0);
    EXPECT_DOUBLE_EQ(m.mrr, 1.0);
    EXPECT_TRUE(std::isnan(m.coverage_at_10));
    EXPECT_TRUE(std::isnan(m.mean_popularity_at_10));
}

TEST(Metrics, SampledNegativesExcludeHistoryAndTarget) {
    std::vector<std::uint32_t> history = {3, 7, 7, 250, 0};
    std::vector<std::uint32_t> negatives = sample_negatives(300, history, 42, 100, 9, 5);
    ASSERT_EQ(negatives.size(), 100u);
    std::vector<std::uint32_t> sorted = negatives;
    std::sort(sorted.begin(), sorted.end());
    EXPECT_EQ(std::adjacent_find(sorted.begin(), sorted.end()), sorted.end()) << "repeats";
    for (std::uint32_t item : negatives) {
        EXPECT_LT(item, 300u);
        EXPECT_NE(item, 42u);
        EXPECT_EQ(std::find(history.begin(), history.end(), item), history.end()) << item;
    }

    // The same arguments give the same draw; another user or seed gives another.
    EXPECT_EQ(sample_negatives(300, history, 42, 100, 9, 5), negatives);
    EXPECT_NE(sample_negatives(300, history, 42, 100, 9, 6), negatives);
    EXPECT_NE(sample_negatives(300, history, 42, 100, 10, 5), negatives);

    EXPECT_THROW(sample_negatives(300, history, 300, 100, 9, 5), Error);
}

TEST(Metrics, SampledNegativesAreUniform) {
    // 199 candidates, 100 drawn per user: each is drawn with chance 100/199. Over 4000 users an
    // item's count has mean ~2010 and standard deviation ~32; allow 6 of them.
    std::vector<int> seen(200, 0);
    for (std::size_t user = 0; user < 4000; ++user) {
        for (std::uint32_t item : sample_negatives(200, {}, 0, 100, 1, user)) {
            ++seen[item];
        }
    }
    EXPECT_EQ(seen[0], 0);
    double expected = 4000.0 * 100.0 / 199.0;
    for (std::size_t j = 1; j < 200; ++j) {
        EXPECT_NEAR(seen[j], expected, 6 * 32.0) << j;
    }
}

TEST(Metrics, SampledRankOfFixedScoresIsCountedFromTheDraw) {
    // Item j scores 500 - j: the target's rank is 1 + the number of drawn negatives below its id.
    FixedScores model(descending(500));
    Split s = make_split(500, {{10, 20, 499}, {1}, {2, 3}, {499}}, {150, 30, 260, 7}, {0, 0, 0, 0});
    double mrr = 0;
    double hr_10 = 0;
    std::vector<std::uint32_t> history;
    for (std::size_t i = 0; i < s.n_users(); ++i) {
        history_at(s, i, Stage::kValid, history);
        std::uint64_t rank = 1;
        for (std::uint32_t item : sample_negatives(500, history, s.valid[i], 100, 42, i)) {
            rank += item < s.valid[i] ? 1 : 0;
        }
        mrr += 1.0 / static_cast<double>(rank) / 4.0;
        hr_10 += rank <= 10 ? 0.25 : 0.0;
    }
    RankingMetrics m = evaluate(model, s, Stage::kValid, sampled());
    EXPECT_DOUBLE_EQ(m.mrr, mrr);
    EXPECT_DOUBLE_EQ(m.hr_at_10, hr_10);
    // User 3's target 7 has only 7 items above it, so it ranks in the top 10 whatever is drawn.
    EXPECT_GE(m.hr_at_10, 0.25);
}

TEST(Metrics, SampledUsesEveryCandidateOfASmallCatalogue) {
    // 50 items, history {0, 1, 2}, target 10: the 46 other items are all negatives, 7 of them
    // (3..9) above the target, so the rank is 8.
    EXPECT_EQ(sample_negatives(50, std::vector<std::uint32_t>{0, 1, 2}, 10, 100, 42, 0).size(),
              46u);
    FixedScores model(descending(50));
    Split s = make_split(50, {{0, 1, 2}}, {10}, {0});
    RankingMetrics m = evaluate(model, s, Stage::kValid, sampled());
    EXPECT_DOUBLE_EQ(m.mrr, 1.0 / 8.0);
    EXPECT_EQ(m.hr_at_5, 0.0);
    EXPECT_EQ(m.hr_at_10, 1.0);
    EXPECT_DOUBLE_EQ(m.ndcg_at_10, 1.0 / std::log2(9.0));
}

// Sampled metrics by an independent loop: score each user alone and rank among its draw.
RankingMetrics reference_sampled(const Recommender& model, const Split& s, Stage stage,
                                 std::uint64_t seed) {
    RankingMetrics m;
    std::vector<std::uint32_t> history;
    std::vector<float> scores(s.n_items);
    double n = static_cast<double>(s.n_users());
    for (std::size_t i = 0; i < s.n_users(); ++i) {
        history_at(s, i, stage, history);
        std::uint32_t target = stage == Stage::kValid ? s.valid[i] : s.test[i];
        if (std::find(history.begin(), history.end(), target) != history.end()) {
            continue;
        }
        model.score(history, scores);
        std::uint64_t rank = 1;
        for (std::uint32_t item : sample_negatives(s.n_items, history, target, 100, seed, i)) {
            rank += scores[item] >= scores[target] ? 1 : 0;
        }
        m.hr_at_1 += rank <= 1 ? 1 / n : 0;
        m.hr_at_5 += rank <= 5 ? 1 / n : 0;
        m.hr_at_10 += rank <= 10 ? 1 / n : 0;
        m.ndcg_at_5 += rank <= 5 ? 1 / std::log2(rank + 1.0) / n : 0;
        m.ndcg_at_10 += rank <= 10 ? 1 / std::log2(rank + 1.0) / n : 0;
        m.mrr += 1.0 / static_cast<double>(rank) / n;
    }
    return m;
}

TEST(Metrics, SampledMatchesAReferenceAndIgnoresThreads) {
    Split s = random_split(3, 500, 150);
    HashedScores model;
    RankingMetrics ref = reference_sampled(model, s, Stage::kTest, 77);
    RankingMetrics base = evaluate(model, s, Stage::kTest, sampled(1, 1, 77));
    EXPECT_NEAR(base.hr_at_1, ref.hr_at_1, 1e-12);
    EXPECT_NEAR(base.hr_at_5, ref.hr_at_5, 1e-12);
    EXPECT_NEAR(base.hr_at_10, ref.hr_at_10, 1e-12);
    EXPECT_NEAR(base.ndcg_at_5, ref.ndcg_at_5, 1e-12);
    EXPECT_NEAR(base.ndcg_at_10, ref.ndcg_at_10, 1e-12);
    EXPECT_NEAR(base.mrr, ref.mrr, 1e-12);
    EXPECT_GT(base.hr_at_10, base.hr_at_5);

    for (EvaluateOptions options : {sampled(4, 7, 77), sampled(2, 64, 77), sampled(3, 500, 77)}) {
        RankingMetrics m = evaluate(model, s, Stage::kTest, options);
        EXPECT_EQ(m.hr_at_1, base.hr_at_1);
        EXPECT_EQ(m.hr_at_10, base.hr_at_10);
        EXPECT_EQ(m.ndcg_at_5, base.ndcg_at_5);
        EXPECT_EQ(m.mrr, base.mrr);
        EXPECT_EQ(m.n_targets_in_history, base.n_targets_in_history);
    }
    EXPECT_NE(evaluate(model, s, Stage::kTest, sampled(2, 256, 78)).mrr, base.mrr);
}

TEST(Metrics, SampledProtocolDescription) {
    std::string text = protocol_description(Protocol::kSampled100);
    for (const char* word : {"Leave-last-out", "100 negatives", "uniformly without replacement",
                             "history", "ties", "fewer than 100"}) {
        EXPECT_NE(text.find(word), std::string::npos) << word;
    }
    EXPECT_EQ(protocol_description(Protocol::kFullRanking), protocol_description());
    EXPECT_NE(protocol_description(Protocol::kSampled100, 50).find("50 negatives"),
              std::string::npos);
}

}  // namespace
}  // namespace sextant
