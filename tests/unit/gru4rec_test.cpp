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

#include "cycle_fixture.h"
#include "sextant/core/error.h"
#include "sextant/data/event_table.h"
#include "sextant/recommend/evaluate.h"
#include "sextant/recommend/popular.h"
#include "sextant/recommend/split.h"
#include "test_util.h"

namespace sextant {
namespace {

using testing::cycle_split;
using testing::kCycle;

Gru4RecOptions small_options() {
    Gru4RecOptions options;
    options.embedding_dim = 16;
    options.hidden_size = 32;
    options.dropout = 0;
    options.train.batch_size = 16;
    options.train.learning_rate = 1e-2;
    options.train.max_epochs = 40;
    options.train.patience = 5;
    return options;
}

std::size_t argmax(std::span<const float> row) {
    return static_cast<std::size_t>(std::max_element(row.begin(), row.end()) - row.begin());
}

TEST(Gru4Rec, LearnsAFixedCycle) {
    Split split = cycle_split(200);
    Gru4Rec model(small_options());
    model.fit(split);
    EXPECT_EQ(model.name(), "gru4rec");

    // Top-1 straight from the scores: the next item of the cycle.
    std::size_t hits = 0;
    std::vector<float> scores(split.n_items);
    std::vector<std::uint32_t> history;
    for (std::size_t i = 0; i < split.n_users(); ++i) {
        history_at(split, i, Stage::kTest, history);
        model.score(history, scores);
        hits += argmax(scores) == split.test[i] ? 1 : 0;
    }
    double hr_at_1 = static_cast<double>(hits) / split.n_users();
    RankingMetrics test = evaluate(model, split, Stage::kTest);
    std::printf("cycle: HR@1 %.3f, HR@10 %.3f, MRR %.3f after %zu epochs (%s)\n", hr_at_1,
                test.hr_at_10, test.mrr, model.curve().epochs.size(),
                model.curve().stop_message.c_str());
    EXPECT_GE(hr_at_1, 0.95);
    EXPECT_GE(test.hr_at_10, 0.99);
    EXPECT_GE(test.mrr, 0.95);
    EXPECT_GT(model.curve().best_metric, 0.9);
}

// Fits one epoch: the weights need not be good for the checks that use it.
Gru4Rec fitted_briefly(std::uint64_t seed) {
    Gru4RecOptions options = small_options();
    options.train.max_epochs = 1;
    options.train.seed = seed;
    return Gru4Rec(options);
}

TEST(Gru4Rec, PaddingContributesNoLoss) {
    Split split = cycle_split(40);
    Gru4Rec model = fitted_briefly(1);
    model.fit(split);

    std::vector<std::uint32_t> a = {3, 4, 5, 6, 7, 8, 9, 10, 11};  // 8 targets
    std::vector<std::uint32_t> b = {20, 21, 22};                   // 2 targets
    double loss_a = model.mean_loss({a});
    double loss_b = model.mean_loss({b});
    EXPECT_NEAR(model.mean_loss({a}, a.size() + 17), loss_a, 1e-6);
    EXPECT_NEAR(model.mean_loss({b}, 30), loss_b, 1e-6);
    // In one batch b is padded to a's length; the padding adds nothing to the mean.
    EXPECT_NEAR(model.mean_loss({a, b}), (8 * loss_a + 2 * loss_b) / 10, 1e-6);

    // Independently, through score(): the loss at each position is -log softmax of the target.
    double sum = 0;
    std::vector<float> scores(split.n_items);
    for (std::size_t t = 1; t < a.size(); ++t) {
        model.score(std::span<const std::uint32_t>(a.data(), t), scores);
        double max = *std::max_element(scores.begin(), scores.end());
        double z = 0;
        for (float s : scores) {
            z += std::exp(s - max);
        }
        sum += -(scores[a[t]] - max - std::log(z));
    }
    EXPECT_NEAR(loss_a, sum / 8, 1e-5);
}

TEST(Gru4Rec, ScoreBatchMatchesScoreAndEmptyHistoryGetsTheBias) {
    Split split = cycle_split(40);
    Gru4Rec model = fitted_briefly(1);
    model.fit(split);
    std::vector<std::uint32_t> longer = {1, 2, 3, 4, 5, 6};
    std::vector<std::uint32_t> shorter = {30};
    std::vector<std::span<const std::uint32_t>> rows = {longer, {}, shorter};
    std::vector<float> batch(3 * split.n_items);
    model.score_batch(rows, batch);
    for (std::size_t r = 0; r < rows.size(); ++r) {
        std::vector<float> one(split.n_items);
        model.score(rows[r], one);
        for (std::size_t j = 0; j < one.size(); ++j) {
            EXPECT_NEAR(batch[r * split.n_items + j], one[j], 1e-5);
        }
    }
}

TEST(Gru4Rec, SameSeedSameScores) {
    Split split = cycle_split(40);
    std::vector<std::uint32_t> history = {5, 6, 7};
    auto scores_of = [&](std::uint64_t seed) {
        Gru4Rec model = fitted_briefly(seed);
        model.fit(split);
        std::vector<float> scores(split.n_items);
        model.score(history, scores);
        return scores;
    };
    EXPECT_EQ(scores_of(11), scores_of(11));
    EXPECT_NE(scores_of(11), scores_of(12));
}

TEST(Gru4Rec, EpochCoversEveryTargetOnceOrOnlyTheLastWindow) {
    Split split = cycle_split(40);
    std::uint64_t all_targets = 0;
    std::uint64_t last_window_targets = 0;
    for (const auto& s : split.train) {
        all_targets += s.size() - 1;
        last_window_targets += std::min<std::size_t>(s.size() - 1, 4);
    }
    Gru4RecOptions options = small_options();
    options.max_len = 4;
    options.train.max_epochs = 1;
    Gru4Rec all(options);
    all.fit(split);
    EXPECT_EQ(all.curve().epochs.at(0).n_samples, all_targets);

    options.all_windows = false;
    Gru4Rec last(options);
    last.fit(split);
    EXPECT_EQ(last.curve().epochs.at(0).n_samples, last_window_targets);
}

TEST(Gru4Rec, BadInputIsAnError) {
    Gru4Rec unfitted;
    std::vector<float> scores(60);
    std::vector<std::uint32_t> history = {1};
    EXPECT_THROW(unfitted.score(history, scores), Error);

    Split split = cycle_split(10);
    split.train[3].push_back(60);  // outside the 60-item catalogue
    try {
        unfitted.fit(split);
        ADD_FAILURE() << "fit accepted an item outside the catalogue";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::kInvalidInput);
    }

    Gru4Rec model = fitted_briefly(1);
    model.fit(cycle_split(10));
    std::vector<std::uint32_t> bad = {2, 99};
    EXPECT_THROW(model.score(bad, scores), Error);
    std::vector<float> short_buffer(10);
    EXPECT_THROW(model.score(history, short_buffer), Error);

    Gru4RecOptions options;
    options.max_len = 0;
    EXPECT_THROW(Gru4Rec{options}, Error);
}

}  // namespace
}  // namespace sextant
