#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <fstream>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include "sextant/core/error.h"
#include "sextant/data/event_table.h"
#include "sextant/recommend/evaluate.h"
#include "sextant/recommend/item_knn.h"
#include "sextant/recommend/popular.h"
#include "test_util.h"

namespace sextant {
namespace {

constexpr std::uint32_t kA = 0, kB = 1, kC = 2, kD = 3, kE = 4;

// Four users; item E was never trained on. User 1 has A twice (counts once).
//   U_A = {0, 1}, U_B = {0, 1, 2}, U_C = {1, 2, 3}, U_D = {2, 3}
Split toy_split() {
    Split s;
    s.n_items = 5;
    s.users = {0, 1, 2, 3};
    s.train = {{kA, kB}, {kA, kB, kC, kA}, {kB, kC, kD}, {kC, kD}};
    s.valid = {kE, kE, kE, kE};
    s.test = {kE, kE, kE, kE};
    return s;
}

const float kTwoOverRootSix = static_cast<float>(2.0 / std::sqrt(6.0));
const float kOneOverRootSix = static_cast<float>(1.0 / std::sqrt(6.0));
const float kTwoThirds = 2.0f / 3.0f;

void expect_row(const ItemKnn& model, std::uint32_t item, std::vector<Neighbour> expected) {
    std::span<const Neighbour> row = model.neighbours_of(item);
    ASSERT_EQ(row.size(), expected.size()) << "item " << item;
    for (std::size_t k = 0; k < row.size(); ++k) {
        EXPECT_EQ(row[k].item, expected[k].item) << "item " << item << " entry " << k;
        EXPECT_NEAR(row[k].similarity, expected[k].similarity, 1e-6) << "item " << item;
    }
}

TEST(ItemKnn, CosineByHand) {
    ItemKnn model;
    EXPECT_EQ(model.name(), "item_knn");
    model.fit(toy_split());
    // sim(A,B) = 2/sqrt(2*3), sim(A,C) = 1/sqrt(2*3), sim(B,C) = 2/sqrt(3*3),
    // sim(B,D) = 1/sqrt(3*2), sim(C,D) = 2/sqrt(3*2), sim(A,D) = 0.
    expect_row(model, kA, {{kB, kTwoOverRootSix}, {kC, kOneOverRootSix}});
    expect_row(model, kB, {{kA, kTwoOverRootSix}, {kC, kTwoThirds}, {kD, kOneOverRootSix}});
    expect_row(model, kC, {{kD, kTwoOverRootSix}, {kB, kTwoThirds}, {kA, kOneOverRootSix}});
    expect_row(model, kD, {{kC, kTwoOverRootSix}, {kB, kOneOverRootSix}});
    expect_row(model, kE, {});
}

TEST(ItemKnn, ScoresSumDistinctHistoryRows) {
    ItemKnn model;
    model.fit(toy_split());
    std::vector<float> scores(5, -1.0f);

    std::vector<std::uint32_t> history = {kA, kD, kA};
    model.score(history, scores);
    EXPECT_NEAR(scores[kA], 0.0f, 1e-6);
    EXPECT_NEAR(scores[kB], kTwoOverRootSix + kOneOverRootSix, 1e-6);
    EXPECT_NEAR(scores[kC], kOneOverRootSix + kTwoOverRootSix, 1e-6);
    EXPECT_NEAR(scores[kD], 0.0f, 1e-6);
    EXPECT_EQ(scores[kE], 0.0f);
}

TEST(ItemKnn, KeepsOnlyTopNeighbours) {
    ItemKnn model(ItemKnnOptions{.neighbours = 1});
    model.fit(toy_split());
    expect_row(model, kB, {{kA, kTwoOverRootSix}});
    expect_row(model, kD, {{kC, kTwoOverRootSix}});
}

TEST(ItemKnn, MostSimilarAndContribution) {
    ItemKnn model;
    model.fit(toy_split());
    std::vector<Neighbour> top = model.most_similar(kB, 2);
    ASSERT_EQ(top.size(), 2u);
    EXPECT_EQ(top[0].item, kA);
    EXPECT_EQ(top[1].item, kC);
    EXPECT_EQ(model.most_similar(kA, 10).size(), 2u);

    // B is in the rows of A (2/sqrt6) and D (1/sqrt6): A contributed most.
    std::vector<std::uint32_t> history = {kD, kA};
    std::optional<Contribution> c = model.contribution(history, kB);
    ASSERT_TRUE(c.has_value());
    EXPECT_EQ(c->history_item, kA);
    EXPECT_NEAR(c->similarity, kTwoOverRootSix, 1e-6);

    // A never co-occurs with D: no reason to show.
    std::vector<std::uint32_t> only_d = {kD};
    EXPECT_FALSE(model.contribution(only_d, kA).has_value());

    EXPECT_THROW(model.most_similar(9, 1), Error);
    EXPECT_THROW(model.contribution(history, 9), Error);
}

TEST(ItemKnn, BadUseIsAnError) {
    EXPECT_THROW(ItemKnn(ItemKnnOptions{.neighbours = 0}), Error);
    ItemKnn model;
    std::vector<float> scores(5);
    EXPECT_THROW(model.score({}, scores), Error);  // not fitted
    model.fit(toy_split());
    std::vector<std::uint32_t> bad = {7};
    EXPECT_THROW(model.score(bad, scores), Error);
}

// Dense brute force: binary user x item matrix, cosine of columns, top-k by (sim desc, item asc).
std::vector<std::vector<Neighbour>> brute_force_rows(const Split& s, std::size_t k) {
    std::size_t n = s.n_items;
    std::vector<std::vector<int>> m(s.train.size(), std::vector<int>(n, 0));
    for (std::size_t u = 0; u < s.train.size(); ++u) {
        for (std::uint32_t item : s.train[u]) {
            m[u][item] = 1;
        }
    }
    std::vector<std::vector<Neighbour>> rows(n);
    for (std::uint32_t i = 0; i < n; ++i) {
        for (std::uint32_t j = 0; j < n; ++j) {
            int dot = 0, n_i = 0, n_j = 0;
            for (const std::vector<int>& row : m) {
                dot += row[i] * row[j];
                n_i += row[i];
                n_j += row[j];
            }
            if (i != j && dot > 0) {
                double sim = dot / std::sqrt(static_cast<double>(n_i) * n_j);
                rows[i].push_back({j, static_cast<float>(sim)});
            }
        }
        std::sort(rows[i].begin(), rows[i].end(), [](const Neighbour& a, const Neighbour& b) {
            return a.similarity != b.similarity ? a.similarity > b.similarity : a.item < b.item;
        });
        if (rows[i].size() > k) {
            rows[i].resize(k);
        }
    }
    return rows;
}

TEST(ItemKnn, MatchesDenseBruteForceOnRandomMatrix) {
    std::mt19937 rng(11);
    Split s;
    s.n_items = 30;
    for (std::uint32_t u = 0; u < 40; ++u) {
        std::vector<std::uint32_t> train(rng() % 12);
        for (std::uint32_t& item : train) {
            item = rng() % 25;  // items 25..29 stay unseen
        }
        s.users.push_back(u);
        s.train.push_back(train);
        s.valid.push_back(0);
        s.test.push_back(0);
    }

    for (std::size_t k : {std::size_t{3}, std::size_t{100}}) {
        std::vector<std::vector<Neighbour>> rows = brute_force_rows(s, k);
        ItemKnn one(ItemKnnOptions{.neighbours = k, .n_threads = 1});
        ItemKnn two(ItemKnnOptions{.neighbours = k, .n_threads = 2});
        one.fit(s);
        two.fit(s);
        for (std::uint32_t i = 0; i < s.n_items; ++i) {
            expect_row(one, i, rows[i]);
            std::span<const Neighbour> a = one.neighbours_of(i), b = two.neighbours_of(i);
            ASSERT_EQ(a.size(), b.size());
            for (std::size_t e = 0; e < a.size(); ++e) {
                EXPECT_EQ(a[e].item, b[e].item);
                EXPECT_EQ(a[e].similarity, b[e].similarity);
            }
        }

        // Scores: the dense sum over distinct history items of their kept rows.
        for (int trial = 0; trial < 20; ++trial) {
            std::vector<std::uint32_t> history(1 + rng() % 8);
            for (std::uint32_t& item : history) {
                item = rng() % s.n_items;
            }
            std::vector<std::uint32_t> distinct = history;
            std::sort(distinct.begin(), distinct.end());
            distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
            std::vector<double> expected(s.n_items, 0.0);
            for (std::uint32_t h : distinct) {
                for (const Neighbour& nb : rows[h]) {
                    expected[nb.item] += nb.similarity;
                }
            }
            std::vector<float> scores(s.n_items);
            one.score(history, scores);
            for (std::size_t j = 0; j < s.n_items; ++j) {
                EXPECT_NEAR(scores[j], expected[j], 1e-5) << "k " << k << " item " << j;
            }
        }
    }
}

TEST(ItemKnnMovieLens, BeatsPopularAtTestStage) {
    SEXTANT_REQUIRE_DATA(path, "movielens-1m/ratings_users1-2999.dat");
    using Clock = std::chrono::steady_clock;
    auto seconds_since = [](Clock::time_point t) {
        return std::chrono::duration<double>(Clock::now() - t).count();
    };

    Clock::time_point start = Clock::now();
    EventTable table = testing::load_movielens_table(path);
    Split split = leave_last_out(table);
    double load_s = seconds_since(start);
    ASSERT_EQ(split.n_users(), 2999u);
    EXPECT_EQ(split.n_users_too_short, 0u);
    EXPECT_EQ(split.n_items, table.n_items());

    MostPopular popular;
    start = Clock::now();
    popular.fit(split);
    double popular_fit_s = seconds_since(start);
    start = Clock::now();
    RankingMetrics p = evaluate(popular, split, Stage::kTest);
    double popular_eval_s = seconds_since(start);

    ItemKnn knn;
    start = Clock::now();
    knn.fit(split);
    double knn_fit_s = seconds_since(start);
    start = Clock::now();
    RankingMetrics k = evaluate(knn, split, Stage::kTest);
    double knn_eval_s = seconds_since(start);

    std::cout << "movielens users 1-2999: " << table.n_events() << " events, " << split.n_items
              << " items, load+split " << load_s << " s\n"
              << "  popular:  HR@10 " << p.hr_at_10 << "  NDCG@10 " << p.ndcg_at_10 << "  MRR "
              << p.mrr << "  fit " << popular_fit_s << " s, evaluate " << popular_eval_s << " s\n"
              << "  item_knn: HR@10 " << k.hr_at_10 << "  NDCG@10 " << k.ndcg_at_10 << "  MRR "
              << k.mrr << "  fit " << knn_fit_s << " s, evaluate " << knn_eval_s << " s\n";

    EXPECT_EQ(p.n_users, 2999u);
    EXPECT_EQ(k.n_users, 2999u);
    EXPECT_EQ(k.n_targets_in_history, 0u);  // no (user, movie) pair repeats
    EXPECT_GT(k.hr_at_10, p.hr_at_10);
    EXPECT_GT(k.ndcg_at_10, p.ndcg_at_10);
}

}  // namespace
}  // namespace sextant
