#include "sextant/learn/linear_cross_entropy.h"

#include <gtest/gtest.h>

#include <cmath>

#include "sextant/core/error.h"

namespace sextant {
namespace {

double max_abs_diff(const torch::Tensor& a, const torch::Tensor& b) {
    return (a - b).abs().max().item<double>();
}

// Two rows, three classes, worked by hand: logits [1, 0, 0] with target 0 and [0, 1, 0] with
// target 2, so each row's softmax denominator is e + 2.
TEST(LinearCrossEntropy, HandComputedLossAndGradients) {
    torch::Tensor x = torch::tensor({{1.0f, 0.0f}, {0.0f, 1.0f}}).requires_grad_();
    torch::Tensor w = torch::tensor({{1.0f, 0.0f}, {0.0f, 1.0f}, {0.0f, 0.0f}}).requires_grad_();
    torch::Tensor b = torch::zeros({3}).requires_grad_();
    torch::Tensor t = torch::tensor({0, 2}, torch::kLong);

    torch::Tensor loss = linear_cross_entropy(x, w, b, t, /*block_rows=*/1);
    const double e = std::exp(1.0);
    // Row 0: log(e + 2) - 1; row 1: log(e + 2) - 0; the mean of the two.
    EXPECT_NEAR(loss.item<double>(), std::log(e + 2) - 0.5, 1e-6);

    loss.backward();
    // d/db_c = mean over rows of softmax_c - [c == target].
    const double d = e + 2;
    EXPECT_NEAR(b.grad()[0].item<double>(), ((e / d - 1) + 1 / d) / 2, 1e-6);
    EXPECT_NEAR(b.grad()[1].item<double>(), (1 / d + e / d) / 2, 1e-6);
    EXPECT_NEAR(b.grad()[2].item<double>(), (1 / d + (1 / d - 1)) / 2, 1e-6);
    // d/dx_0 = (p_0 - onehot_0) W / 2, with W's rows (1, 0), (0, 1), (0, 0).
    EXPECT_NEAR(x.grad()[0][0].item<double>(), (e / d - 1) / 2, 1e-6);
    EXPECT_NEAR(x.grad()[0][1].item<double>(), (1 / d) / 2, 1e-6);
    // d/dW_2 = sum over rows of (p_2 - onehot_2) x_i / 2: row 0 adds (1/d) (1, 0), row 1 adds
    // (1/d - 1) (0, 1).
    EXPECT_NEAR(w.grad()[2][0].item<double>(), (1 / d) / 2, 1e-6);
    EXPECT_NEAR(w.grad()[2][1].item<double>(), (1 / d - 1) / 2, 1e-6);
}

// The independent method: libtorch's own cross_entropy over the whole logits matrix.
TEST(LinearCrossEntropy, EqualsUnfusedCrossEntropyForAnyBlockSize) {
    torch::manual_seed(7);
    const std::int64_t n = 37, h = 5, c = 11;
    torch::Tensor x0 = torch::randn({n, h});
    torch::Tensor w0 = torch::randn({c, h});
    torch::Tensor b0 = torch::randn({c});
    torch::Tensor t = torch::randint(c, {n}, torch::kLong);

    torch::Tensor x = x0.clone().requires_grad_();
    torch::Tensor w = w0.clone().requires_grad_();
    torch::Tensor b = b0.clone().requires_grad_();
    torch::Tensor expected =
        torch::nn::functional::cross_entropy(torch::nn::functional::linear(x, w, b), t);
    expected.backward();

    for (std::int64_t block : {1, 8, 36, 37, 64}) {
        SCOPED_TRACE("block_rows " + std::to_string(block));
        torch::Tensor xf = x0.clone().requires_grad_();
        torch::Tensor wf = w0.clone().requires_grad_();
        torch::Tensor bf = b0.clone().requires_grad_();
        torch::Tensor loss = linear_cross_entropy(xf, wf, bf, t, block);
        EXPECT_NEAR(loss.item<double>(), expected.item<double>(), 1e-5);
        // An upstream factor (here 3) reaches every gradient.
        (loss * 3).backward();
        EXPECT_LT(max_abs_diff(xf.grad(), 3 * x.grad()), 1e-5);
        EXPECT_LT(max_abs_diff(wf.grad(), 3 * w.grad()), 1e-5);
        EXPECT_LT(max_abs_diff(bf.grad(), 3 * b.grad()), 1e-5);
    }
}

TEST(LinearCrossEntropy, WithoutGradModeComputesTheLossAlone) {
    torch::manual_seed(3);
    torch::Tensor x = torch::randn({10, 4}).requires_grad_();
    torch::Tensor w = torch::randn({6, 4}).requires_grad_();
    torch::Tensor b = torch::randn({6}).requires_grad_();
    torch::Tensor t = torch::randint(6, {10}, torch::kLong);
    double with_grad = linear_cross_entropy(x, w, b, t, 3).item<double>();
    torch::NoGradGuard no_grad;
    torch::Tensor loss = linear_cross_entropy(x, w, b, t, 3);
    EXPECT_FALSE(loss.requires_grad());
    EXPECT_DOUBLE_EQ(loss.item<double>(), with_grad);
}

TEST(LinearCrossEntropy, RefusesATargetOutsideTheClasses) {
    torch::Tensor x = torch::zeros({2, 3});
    torch::Tensor w = torch::zeros({4, 3});
    torch::Tensor b = torch::zeros({4});
    EXPECT_THROW(linear_cross_entropy(x, w, b, torch::tensor({0, 4}, torch::kLong)), Error);
    EXPECT_THROW(linear_cross_entropy(x, w, b, torch::tensor({-1, 0}, torch::kLong)), Error);
    EXPECT_THROW(linear_cross_entropy(x, w, torch::zeros({3}), torch::tensor({0, 1}, torch::kLong)),
                 Error);
}

}  // namespace
}  // namespace sextant
