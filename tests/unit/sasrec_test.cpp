#include "sextant/recommend/sasrec.h"

#include <gtest/gtest.h>

#include "cycle_fixture.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <memory>
#include <vector>

#include "sextant/core/error.h"
#include "sextant/learn/torch_trainer.h"
#include "sextant/recommend/evaluate.h"
#include "sextant/recommend/sasrec_net.h"
#include "sextant/recommend/split.h"

namespace sextant {
namespace {

using testing::cycle_split;
using testing::kCycle;

SasRecOptions small_options() {
    SasRecOptions options;
    options.max_len = 20;
    options.hidden = 32;
    options.n_heads = 2;
    options.dropout = 0;
    options.train.batch_size = 16;
    options.train.learning_rate = 1e-2;
    options.train.max_epochs = 60;
    options.train.patience = 8;
    return options;
}

// A freshly initialised network in eval mode (no training needed for structural checks).
sasrec::Net fresh_net(std::size_t n_items, const SasRecOptions& options) {
    seed_torch(3);
    sasrec::Net net(n_items, options);
    net->eval();
    return net;
}

torch::Tensor row(std::vector<std::int64_t> ids) {
    return torch::tensor(ids, torch::kLong).unsqueeze(0);
}

double max_abs_diff(const torch::Tensor& a, const torch::Tensor& b) {
    return (a - b).abs().max().item<double>();
}

TEST(SasRecNet, LaterItemsNeverChangeEarlierPositions) {
    SasRecOptions options = small_options();
    options.max_len = 10;
    sasrec::Net net = fresh_net(30, options);
    torch::NoGradGuard no_grad;
    std::vector<std::int64_t> ids = {0, 0, 3, 4, 5, 6, 7, 8};
    torch::Tensor base = net->forward(row(ids))[0];  // [T, hidden]

    // Editing position 5 leaves positions 0..4 bit for bit and changes 5..7.
    std::vector<std::int64_t> late = ids;
    late[5] = 20;
    torch::Tensor edited = net->forward(row(late))[0];
    EXPECT_LE(max_abs_diff(edited.slice(0, 0, 5), base.slice(0, 0, 5)), 1e-6);
    for (std::int64_t t = 5; t < 8; ++t) {
        EXPECT_GT(max_abs_diff(edited[t], base[t]), 1e-4) << "position " << t;
    }

    // Editing position 2 changes every later position.
    std::vector<std::int64_t> early = ids;
    early[2] = 21;
    torch::Tensor changed = net->forward(row(early))[0];
    for (std::int64_t t = 2; t < 8; ++t) {
        EXPECT_GT(max_abs_diff(changed[t], base[t]), 1e-4) << "position " << t;
    }

    // Padding positions are zero.
    EXPECT_EQ(base.slice(0, 0, 2).abs().max().item<double>(), 0.0);
}

TEST(SasRecNet, MoreLeftPaddingChangesNothing) {
    SasRecOptions options = small_options();
    options.max_len = 12;
    sasrec::Net net = fresh_net(30, options);
    torch::NoGradGuard no_grad;
    torch::Tensor bare = net->forward(row({7, 1, 9, 4}))[0];
    torch::Tensor padded = net->forward(row({0, 0, 0, 0, 0, 7, 1, 9, 4}))[0];
    EXPECT_LE(max_abs_diff(padded.slice(0, 5), bare), 1e-6);
    EXPECT_LE(max_abs_diff(net->last_scores(row({0, 0, 0, 7, 1, 9, 4})),
                           net->last_scores(row({7, 1, 9, 4}))),
              1e-5);
}

TEST(SasRecNet, AttentionBiasIsCausalAndSkipsPaddingKeys) {
    torch::Tensor bias = sasrec::attention_bias(row({0, 5, 6}))[0][0];  // [3, 3]
    float inf = std::numeric_limits<float>::infinity();
    std::vector<std::vector<float>> want = {{0, -inf, -inf}, {-inf, 0, -inf}, {-inf, 0, 0}};
    for (int i = 0; i < 3; ++i) {
        for (int j = 0; j < 3; ++j) {
            EXPECT_EQ(bias[i][j].item<float>(), want[i][j]) << i << "," << j;
        }
    }
}

TEST(SasRecLoss, BceAndGbceOnHandComputedLogits) {
    double log2 = std::log(2.0);
    torch::Tensor zeros_pos = torch::zeros({2, 3});
    torch::Tensor zeros_neg = torch::zeros({2, 3, 1});
    torch::Tensor all = torch::ones({2, 3}, torch::kBool);
    // s+ = s- = 0: -log(1/2) - log(1/2) per position.
    EXPECT_NEAR(sasrec::sasrec_loss(zeros_pos, zeros_neg, all, 1.0).item<double>(), 2 * log2, 1e-6);
    // gBCE: beta * log 2 + log 2.
    EXPECT_NEAR(sasrec::sasrec_loss(zeros_pos, zeros_neg, all, 0.25).item<double>(), 1.25 * log2,
                1e-6);

    // Masked positions count for nothing, whatever their logits.
    torch::Tensor pos = torch::tensor({1.0f, 50.0f}).view({1, 2});
    torch::Tensor neg = torch::tensor({-1.0f, 2.0f, 80.0f, 80.0f}).view({1, 2, 2});
    torch::Tensor first = torch::tensor({true, false}).view({1, 2});
    double beta = 0.5;
    double want = -beta * std::log(1 / (1 + std::exp(-1.0))) -
                  std::log(1 - 1 / (1 + std::exp(1.0))) - std::log(1 - 1 / (1 + std::exp(-2.0)));
    EXPECT_NEAR(sasrec::sasrec_loss(pos, neg, first, beta).item<double>(), want, 1e-6);

    // Large logits stay finite (softplus, not log of a rounded sigmoid).
    torch::Tensor far = torch::tensor({-100.0f}).view({1, 1});
    torch::Tensor far_neg = torch::tensor({100.0f}).view({1, 1, 1});
    EXPECT_NEAR(
        sasrec::sasrec_loss(far, far_neg, torch::ones({1, 1}, torch::kBool), 1.0).item<double>(),
        200.0, 1e-3);
}

TEST(SasRecLoss, GbceBeta) {
    // k = 1 of 3,616 items: alpha = 1 / 3615, beta = 1 - 0.75 * (1 - alpha).
    double alpha = 1.0 / 3615;
    EXPECT_NEAR(gbce_beta(1, 3616, 0.75), alpha * (0.75 * (1 - 3615) + 3615), 1e-12);
    EXPECT_NEAR(gbce_beta(1, 3616, 0.75), 0.25 + 0.75 / 3615, 1e-12);
    // 256 negatives of 1,001 items: alpha = 0.256, beta = 1 - 0.75 * 0.744 = 0.442.
    EXPECT_NEAR(gbce_beta(256, 1001, 0.75), 0.442, 1e-12);
    EXPECT_DOUBLE_EQ(gbce_beta(9, 10, 0.75), 1.0);  // every other item sampled: plain BCE
    EXPECT_DOUBLE_EQ(gbce_beta(3, 100, 0.0), 1.0);  // t = 0: plain BCE
    EXPECT_NEAR(gbce_beta(3, 100, 1.0), 3.0 / 99, 1e-12);
    EXPECT_THROW(gbce_beta(0, 100, 0.5), Error);
    EXPECT_THROW(gbce_beta(100, 100, 0.5), Error);
    EXPECT_THROW(gbce_beta(3, 100, 1.5), Error);
}

void expect_learns_cycle(const SasRecOptions& options) {
    Split split = cycle_split(200);
    SasRec model(options);
    model.fit(split);
    EXPECT_EQ(model.name(), "sasrec");

    // History items are never sampled as negatives, so the raw scores may rank them high; the
    // protocol masks them, as it does for every model.
    RankingMetrics test = evaluate(model, split, Stage::kTest);
    std::printf("cycle: HR@10 %.3f, MRR %.3f after %zu epochs (%s)\n", test.hr_at_10, test.mrr,
                model.curve().epochs.size(), model.curve().stop_message.c_str());
    EXPECT_GE(test.hr_at_10, 0.97);
    EXPECT_GE(test.mrr, 0.95);
}

TEST(SasRec, LearnsAFixedCycle) {
    expect_learns_cycle(small_options());
}

TEST(SasRec, LearnsAFixedCycleWithGbce) {
    SasRecOptions options = small_options();
    options.loss = SasRecLoss::kGbce;
    options.n_negatives = 4;
    expect_learns_cycle(options);
}

// Fits one epoch: the weights need not be good for the checks that use it.
std::unique_ptr<SasRec> fitted_briefly(std::uint64_t seed, const Split& split) {
    SasRecOptions options = small_options();
    options.train.max_epochs = 1;
    options.train.seed = seed;
    options.dropout = 0.2;
    auto model = std::make_unique<SasRec>(options);
    model->fit(split);
    return model;
}

TEST(SasRec, ScoreBatchMatchesScoreWhateverThePadding) {
    Split split = cycle_split(40);
    auto model_ptr = fitted_briefly(1, split);
    SasRec& model = *model_ptr;
    std::vector<std::uint32_t> longer = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
    std::vector<std::uint32_t> shorter = {30, 31};
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
    // The empty history scores every item 0.
    for (std::size_t j = 0; j < split.n_items; ++j) {
        EXPECT_EQ(batch[split.n_items + j], 0.0f);
    }

    // Only the last max_len (20) items count.
    std::vector<std::uint32_t> long_history(35);
    for (std::size_t t = 0; t < long_history.size(); ++t) {
        long_history[t] = static_cast<std::uint32_t>(t % kCycle);
    }
    std::vector<float> all(split.n_items);
    std::vector<float> cut(split.n_items);
    model.score(long_history, all);
    model.score(std::span(long_history).subspan(15), cut);
    EXPECT_EQ(all, cut);
}

TEST(SasRec, SameSeedSameScores) {
    Split split = cycle_split(40);
    std::vector<std::uint32_t> history = {5, 6, 7};
    auto scores_of = [&](std::uint64_t seed) {
        auto model = fitted_briefly(seed, split);
        std::vector<float> scores(split.n_items);
        model->score(history, scores);
        return scores;
    };
    EXPECT_EQ(scores_of(11), scores_of(11));
    EXPECT_NE(scores_of(11), scores_of(12));
}

TEST(SasRec, EpochTrainsOnTheLastMaxLenTargetsOfEachUser) {
    Split split = cycle_split(40);
    std::uint64_t want = 0;
    for (const auto& s : split.train) {
        want += std::min<std::size_t>(s.size() - 1, 5);
    }
    SasRecOptions options = small_options();
    options.max_len = 5;
    options.train.max_epochs = 1;
    SasRec model(options);
    model.fit(split);
    EXPECT_EQ(model.curve().epochs.at(0).n_samples, want);
}

TEST(SasRec, BadInputIsAnError) {
    SasRec unfitted;
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

    auto model = fitted_briefly(1, cycle_split(10));
    std::vector<std::uint32_t> bad = {2, 99};
    EXPECT_THROW(model->score(bad, scores), Error);
    std::vector<float> short_buffer(10);
    EXPECT_THROW(model->score(history, short_buffer), Error);

    SasRecOptions options;
    options.hidden = 63;
    options.n_heads = 2;
    EXPECT_THROW(SasRec{options}, Error);
    options = SasRecOptions{};
    options.max_len = 0;
    EXPECT_THROW(SasRec{options}, Error);
    options = SasRecOptions{};
    options.gbce_t = 2;
    EXPECT_THROW(SasRec{options}, Error);
}

}  // namespace
}  // namespace sextant
