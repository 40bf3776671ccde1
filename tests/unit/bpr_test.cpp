#include "sextant/recommend/bpr.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <random>
#include <vector>

#include "sextant/core/error.h"
#include "sextant/recommend/evaluate.h"
#include "sextant/recommend/split.h"

namespace sextant {
namespace {

TEST(BprLoss, MatchesHandComputedValues) {
    // -log sigmoid(2) = log(1 + e^-2) = 0.1269280; -log sigmoid(0) = log 2 = 0.6931472; their
    // mean is 0.4100376, plus 0.1 x mean(1, 3) = 0.2.
    std::vector<float> positive = {2.0f, 0.5f};
    std::vector<float> negative = {0.0f, 0.5f};
    std::vector<float> squared = {1.0f, 3.0f};
    EXPECT_NEAR(bpr_loss(positive, negative, squared, 0.1), 0.6100376, 1e-6);
    EXPECT_NEAR(bpr_loss(positive, negative, squared, 0.0), 0.4100376, 1e-6);

    // Large differences stay finite: ~0 when the positive wins by far, ~d when it loses.
    std::vector<float> zero = {0.0f};
    std::vector<float> big = {100.0f};
    EXPECT_NEAR(bpr_loss(big, zero, zero, 0), 0.0, 1e-12);
    EXPECT_NEAR(bpr_loss(zero, big, zero, 0), 100.0, 1e-4);

    EXPECT_THROW(bpr_loss(positive, zero, squared, 0), Error);
    EXPECT_THROW(bpr_loss({}, {}, {}, 0), Error);
}

TEST(BprNegatives, NeverATrainingPositiveAndCoverTheRest) {
    std::mt19937_64 rng(7);
    std::vector<std::uint32_t> positives = {1, 3, 5, 7};
    std::vector<std::uint32_t> drawn;
    sample_negatives(positives, 10, 6000, rng, drawn);
    ASSERT_EQ(drawn.size(), 6000u);
    std::vector<int> counts(10, 0);
    for (std::uint32_t j : drawn) {
        ASSERT_LT(j, 10u);
        ++counts[j];
    }
    for (std::uint32_t p : positives) {
        EXPECT_EQ(counts[p], 0) << p;
    }
    // Uniform over the 6 others: 1000 each expected, sd ~ 29.
    for (std::uint32_t j : {0u, 2u, 4u, 6u, 8u, 9u}) {
        EXPECT_GT(counts[j], 850) << j;
        EXPECT_LT(counts[j], 1150) << j;
    }

    // Most of the catalogue taken: the complement branch.
    std::vector<std::uint32_t> most = {0, 1, 2, 3, 4, 5, 6, 8};
    drawn.clear();
    sample_negatives(most, 10, 500, rng, drawn);
    for (std::uint32_t j : drawn) {
        EXPECT_TRUE(j == 7 || j == 9) << j;
    }
    EXPECT_GT(std::count(drawn.begin(), drawn.end(), 7u), 150);
    EXPECT_GT(std::count(drawn.begin(), drawn.end(), 9u), 150);

    std::vector<std::uint32_t> all = {0, 1, 2};
    EXPECT_THROW(sample_negatives(all, 3, 1, rng, drawn), Error);
    std::vector<std::uint32_t> outside = {0, 5};
    EXPECT_THROW(sample_negatives(outside, 3, 1, rng, drawn), Error);
}

// Two disjoint groups: users 0..n/2-1 have only items 0..9, the others only items 10..19. Each
// user takes 8 items of their group in a random order: 6 to train on, then validation and test.
Split two_group_split(std::size_t n_users, std::uint64_t seed) {
    Split split;
    split.n_items = 20;
    std::mt19937_64 rng(seed);
    for (std::size_t u = 0; u < n_users; ++u) {
        std::uint32_t base = u < n_users / 2 ? 0 : 10;
        std::vector<std::uint32_t> items(10);
        std::iota(items.begin(), items.end(), base);
        std::shuffle(items.begin(), items.end(), rng);
        split.users.push_back(static_cast<std::uint32_t>(u));
        split.valid.push_back(items[6]);
        split.test.push_back(items[7]);
        items.resize(6);
        split.train.push_back(items);
    }
    return split;
}

BprOptions small_options() {
    BprOptions options;
    options.embedding_dim = 8;
    options.train.max_epochs = 30;
    options.train.batch_size = 8;
    options.train.learning_rate = 2e-2;
    options.train.patience = 30;
    return options;
}

TEST(Bpr, LearnsTwoDisjointGroups) {
    Split split = two_group_split(80, 3);
    Bpr model(small_options());
    model.fit(split);
    EXPECT_EQ(model.name(), "bpr");
    ASSERT_EQ(model.n_items(), 20u);

    // For every user's test history, the share of (own-group item, other-group item) pairs
    // ordered the right way.
    std::size_t right = 0;
    std::size_t total = 0;
    std::vector<float> scores(20);
    std::vector<std::uint32_t> history;
    for (std::size_t i = 0; i < split.n_users(); ++i) {
        history_at(split, i, Stage::kTest, history);
        model.score(history, scores);
        std::uint32_t own = i < split.n_users() / 2 ? 0 : 10;
        std::uint32_t other = 10 - own;
        for (std::uint32_t a = own; a < own + 10; ++a) {
            for (std::uint32_t b = other; b < other + 10; ++b) {
                right += scores[a] > scores[b] ? 1 : 0;
                ++total;
            }
        }
    }
    double share = static_cast<double>(right) / static_cast<double>(total);
    RankingMetrics test = evaluate(model, split, Stage::kTest);
    std::printf("two groups: %.4f of pairs ordered right; test HR@10 %.3f; %s\n", share,
                test.hr_at_10, model.curve().stop_message.c_str());
    EXPECT_GT(share, 0.97);
    // 14 candidates remain per user (6 are history), 4 of them in the own group: the target
    // ranks in the top 4 whenever its group outranks the other, so HR@10 follows the share.
    EXPECT_GT(test.hr_at_10, 0.9);
}

TEST(Bpr, SameSeedGivesTheSameScores) {
    Split split = two_group_split(40, 5);
    BprOptions options = small_options();
    options.train.max_epochs = 4;
    Bpr first(options);
    Bpr second(options);
    first.fit(split);
    second.fit(split);

    std::vector<std::span<const std::uint32_t>> histories;
    for (const auto& train : split.train) {
        histories.emplace_back(train);
    }
    std::vector<float> a(histories.size() * 20);
    std::vector<float> b(histories.size() * 20);
    first.score_batch(histories, a);
    second.score_batch(histories, b);
    EXPECT_EQ(a, b);

    // score() and score_batch() agree row by row; a different seed gives other weights.
    std::vector<float> row(20);
    first.score(histories[3], row);
    for (std::size_t j = 0; j < 20; ++j) {
        EXPECT_FLOAT_EQ(row[j], a[3 * 20 + j]);
    }
    options.train.seed = 43;
    Bpr third(options);
    third.fit(split);
    std::vector<float> c(histories.size() * 20);
    third.score_batch(histories, c);
    EXPECT_NE(a, c);
}

TEST(Bpr, ScoresAnyHistoryAsTheMeanOfItsContexts) {
    Split split = two_group_split(40, 9);
    BprOptions options = small_options();
    options.train.max_epochs = 2;
    Bpr model(options);
    model.fit(split);

    // Repeats count once: {1, 1, 2} scores as {2, 1}. The empty history gets the bias alone,
    // which is what any history adds on top of <c, p_j>.
    std::vector<float> repeated(20);
    std::vector<float> distinct(20);
    model.score(std::vector<std::uint32_t>{1, 1, 2}, repeated);
    model.score(std::vector<std::uint32_t>{2, 1}, distinct);
    for (std::size_t j = 0; j < 20; ++j) {
        EXPECT_FLOAT_EQ(repeated[j], distinct[j]);
    }
    std::vector<float> empty(20);
    model.score({}, empty);
    for (float s : empty) {
        EXPECT_TRUE(std::isfinite(s));
    }
}

TEST(Bpr, BadInputBecomesErrors) {
    EXPECT_THROW(Bpr(BprOptions{.embedding_dim = 0}), Error);
    EXPECT_THROW(Bpr(BprOptions{.l2 = -1}), Error);

    Bpr model(small_options());
    std::vector<float> scores(20);
    try {
        model.score(std::vector<std::uint32_t>{0}, scores);
        FAIL() << "expected kInternal before fit";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::kInternal);
    }

    Split bad = two_group_split(4, 1);
    bad.train[0].push_back(20);
    EXPECT_THROW(model.fit(bad), Error);

    // Nobody with 2 distinct training items.
    Split thin = two_group_split(4, 1);
    for (auto& train : thin.train) {
        train.assign(3, train[0]);
    }
    EXPECT_THROW(model.fit(thin), Error);

    BprOptions options = small_options();
    options.train.max_epochs = 1;
    Bpr fitted(options);
    fitted.fit(two_group_split(8, 2));
    try {
        fitted.score(std::vector<std::uint32_t>{3, 21}, scores);
        FAIL() << "expected kInvalidInput";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::kInvalidInput);
    }
    std::vector<float> wrong(19);
    EXPECT_THROW(fitted.score(std::vector<std::uint32_t>{3}, wrong), Error);
}

}  // namespace
}  // namespace sextant
