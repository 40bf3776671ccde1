#include "sextant/recommend/ease.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "sextant/core/error.h"

namespace sextant {
namespace {

// A split whose training parts are `train`; fit() reads nothing else.
Split training_split(std::size_t n_items, std::vector<std::vector<std::uint32_t>> train) {
    Split split;
    split.n_items = n_items;
    for (std::size_t u = 0; u < train.size(); ++u) {
        split.users.push_back(static_cast<std::uint32_t>(u));
        split.valid.push_back(0);
        split.test.push_back(0);
    }
    split.train = std::move(train);
    return split;
}

using Matrix = std::vector<std::vector<double>>;

// Inverse by Gauss-Jordan elimination with partial pivoting, in double precision: an independent
// check of the model's Cholesky route.
Matrix gauss_jordan_inverse(Matrix a) {
    const std::size_t n = a.size();
    Matrix inv(n, std::vector<double>(n, 0.0));
    for (std::size_t i = 0; i < n; ++i) {
        inv[i][i] = 1.0;
    }
    for (std::size_t c = 0; c < n; ++c) {
        std::size_t pivot = c;
        for (std::size_t r = c + 1; r < n; ++r) {
            if (std::abs(a[r][c]) > std::abs(a[pivot][c])) {
                pivot = r;
            }
        }
        std::swap(a[c], a[pivot]);
        std::swap(inv[c], inv[pivot]);
        double d = a[c][c];
        for (std::size_t k = 0; k < n; ++k) {
            a[c][k] /= d;
            inv[c][k] /= d;
        }
        for (std::size_t r = 0; r < n; ++r) {
            if (r != c) {
                double f = a[r][c];
                for (std::size_t k = 0; k < n; ++k) {
                    a[r][k] -= f * a[c][k];
                    inv[r][k] -= f * inv[c][k];
                }
            }
        }
    }
    return inv;
}

// B from the definition: X is built densely from the distinct items of each user.
Matrix closed_form_weights(std::size_t n, const std::vector<std::vector<std::uint32_t>>& train,
                           double lambda) {
    Matrix g(n, std::vector<double>(n, 0.0));
    for (const auto& items : train) {
        std::vector<int> x(n, 0);
        for (std::uint32_t i : items) {
            x[i] = 1;
        }
        for (std::size_t i = 0; i < n; ++i) {
            for (std::size_t j = 0; j < n; ++j) {
                g[i][j] += x[i] * x[j];
            }
        }
    }
    for (std::size_t i = 0; i < n; ++i) {
        g[i][i] += lambda;
    }
    Matrix p = gauss_jordan_inverse(g);
    Matrix b(n, std::vector<double>(n, 0.0));
    for (std::size_t i = 0; i < n; ++i) {
        for (std::size_t j = 0; j < n; ++j) {
            b[i][j] = i == j ? 0.0 : -p[i][j] / p[j][j];
        }
    }
    return b;
}

TEST(Ease, TwoItemsByHand) {
    // X^T X = [[2, 1], [1, 1]]; with lambda 1, G = [[3, 1], [1, 2]], det 5,
    // P = [[2, -1], [-1, 3]] / 5, so B[0][1] = (1/5) / (3/5) = 1/3 and B[1][0] = (1/5) / (2/5)
    // = 1/2.
    Ease model(EaseOptions{.lambda = 1});
    model.fit(training_split(2, {{0, 1}, {0}}));
    EXPECT_EQ(model.name(), "ease");
    ASSERT_EQ(model.n_items(), 2u);
    EXPECT_FLOAT_EQ(model.row(0)[0], 0.0f);
    EXPECT_NEAR(model.row(0)[1], 1.0 / 3.0, 1e-6);
    EXPECT_NEAR(model.row(1)[0], 0.5, 1e-6);
    EXPECT_FLOAT_EQ(model.row(1)[1], 0.0f);
}

TEST(Ease, MatchesGaussJordanClosedForm) {
    // Repeats inside a user count once (X is binary).
    std::vector<std::vector<std::uint32_t>> train = {{0, 1, 0}, {0, 1, 2}, {1, 2, 3},   {2, 3},
                                                     {0, 3},    {1},       {3, 3, 2, 0}};
    const double lambda = 0.7;
    Ease model(EaseOptions{.lambda = lambda});
    model.fit(training_split(4, train));
    Matrix expected = closed_form_weights(4, train, lambda);
    for (std::uint32_t i = 0; i < 4; ++i) {
        for (std::uint32_t j = 0; j < 4; ++j) {
            EXPECT_NEAR(model.row(i)[j], expected[i][j], 1e-5) << "B[" << i << "][" << j << "]";
        }
        EXPECT_EQ(model.row(i)[i], 0.0f);
    }
}

TEST(Ease, ScoresAreSumsOfRowsOverDistinctHistoryItems) {
    Ease model(EaseOptions{.lambda = 2});
    model.fit(training_split(4, {{0, 1}, {1, 2}, {2, 3, 0}, {0, 2}}));

    std::vector<float> scores(4);
    std::vector<std::uint32_t> history = {2, 0, 2};
    model.score(history, scores);
    for (std::uint32_t j = 0; j < 4; ++j) {
        EXPECT_NEAR(scores[j], model.row(0)[j] + model.row(2)[j], 1e-6) << j;
    }

    model.score({}, scores);
    for (float s : scores) {
        EXPECT_EQ(s, 0.0f);
    }
}

TEST(Ease, DefaultLimitComesFromTheMemoryCap) {
    // 8 GiB / (4 bytes x 3 copies) = 715,827,882.7 floats^2; sqrt = 26,754.97.
    EXPECT_EQ(ease_item_limit(EaseOptions{}), 26754u);
    EXPECT_EQ(ease_item_limit(EaseOptions{.memory_cap_bytes = 1200}), 10u);
    EXPECT_EQ(ease_item_limit(EaseOptions{.memory_cap_bytes = 1200, .max_items = 4}), 4u);
}

TEST(Ease, RefusesACatalogueAboveTheLimitAndNamesBoth) {
    Ease model(EaseOptions{.memory_cap_bytes = 1200});  // limit 10 items
    try {
        model.fit(training_split(11, {{0, 1, 10}}));
        FAIL() << "expected a refusal";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::kInvalidInput);
        std::string message = e.what();
        EXPECT_NE(message.find("11 items"), std::string::npos) << message;
        EXPECT_NE(message.find("limit of 10 items"), std::string::npos) << message;
    }

    Ease capped(EaseOptions{.max_items = 3});
    try {
        capped.fit(training_split(4, {{0, 1}}));
        FAIL() << "expected a refusal";
    } catch (const Error& e) {
        std::string message = e.what();
        EXPECT_NE(message.find("4 items"), std::string::npos) << message;
        EXPECT_NE(message.find("limit of 3 items"), std::string::npos) << message;
    }
    // At the limit it fits.
    capped.fit(training_split(3, {{0, 1}, {1, 2}}));
    EXPECT_EQ(capped.n_items(), 3u);
}

TEST(Ease, BadInputBecomesErrors) {
    EXPECT_THROW(Ease(EaseOptions{.lambda = 0}), Error);
    EXPECT_THROW(Ease(EaseOptions{.lambda = std::nan("")}), Error);

    Ease model;
    std::vector<float> scores(3);
    try {
        model.score(std::vector<std::uint32_t>{0}, scores);
        FAIL() << "expected kInternal before fit";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::kInternal);
    }
    EXPECT_THROW(model.fit(training_split(0, {})), Error);
    try {
        model.fit(training_split(3, {{0, 3}}));
        FAIL() << "expected kInvalidInput";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::kInvalidInput);
    }

    model.fit(training_split(3, {{0, 1}, {1, 2}}));
    try {
        model.score(std::vector<std::uint32_t>{1, 7}, scores);
        FAIL() << "expected kInvalidInput";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::kInvalidInput);
    }
    std::vector<float> wrong(2);
    EXPECT_THROW(model.score(std::vector<std::uint32_t>{1}, wrong), Error);
}

}  // namespace
}  // namespace sextant
