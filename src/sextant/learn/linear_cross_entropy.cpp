#include "sextant/learn/linear_cross_entropy.h"

#include <algorithm>
#include <string>

#include "sextant/core/error.h"

namespace sextant {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// The gradients of the mean loss, filled by blockwise_loss() when asked for.
struct Gradients {
    torch::Tensor x;       // [N, H]
    torch::Tensor weight;  // [C, H]
    torch::Tensor bias;    // [C]
};

// The summed loss over all rows; with `grads`, also d(mean loss) / d(x, weight, bias).
double blockwise_loss(const torch::Tensor& x, const torch::Tensor& weight,
                      const torch::Tensor& bias, const torch::Tensor& targets,
                      std::int64_t block_rows, Gradients* grads) {
    const std::int64_t n = x.size(0);
    const double inv_n = 1.0 / static_cast<double>(n);
    torch::Tensor buffer = torch::empty({std::min(block_rows, n), weight.size(0)}, x.options());
    torch::Tensor weight_t = weight.t();
    double total = 0;
    for (std::int64_t first = 0; first < n; first += block_rows) {
        const std::int64_t rows = std::min(block_rows, n - first);
        torch::Tensor xb = x.narrow(0, first, rows);
        torch::Tensor tb = targets.narrow(0, first, rows).unsqueeze(1);
        torch::Tensor logits = buffer.narrow(0, 0, rows);
        torch::addmm_out(logits, bias, xb, weight_t);

        // log-sum-exp per row, shifted by the row's maximum; the buffer becomes exp(z - max).
        torch::Tensor picked = logits.gather(1, tb);
        torch::Tensor max = logits.amax(1, /*keepdim=*/true);
        logits.sub_(max).exp_();
        torch::Tensor sum = logits.sum(1, /*keepdim=*/true);
        total += (sum.log() + max - picked).sum().item<double>();
        if (grads == nullptr) {
            continue;
        }

        // d(mean loss)/d(logits) = (softmax - one_hot(target)) / N, in place.
        logits.mul_(sum.reciprocal().mul_(inv_n));
        logits.scatter_add_(1, tb, torch::full({rows, 1}, -inv_n, logits.options()));
        torch::Tensor grad_xb = grads->x.narrow(0, first, rows);
        torch::mm_out(grad_xb, logits, weight);
        grads->weight.addmm_(logits.t(), xb);
        grads->bias.add_(logits.sum(0));
    }
    return total;
}

class LinearCrossEntropyFn : public torch::autograd::Function<LinearCrossEntropyFn> {
public:
    static torch::Tensor forward(AutogradContext* ctx, torch::Tensor x, torch::Tensor weight,
                                 torch::Tensor bias, torch::Tensor targets,
                                 std::int64_t block_rows) {
        Gradients grads{torch::empty_like(x), torch::zeros_like(weight), torch::zeros_like(bias)};
        double total = blockwise_loss(x, weight, bias, targets, block_rows, &grads);
        ctx->save_for_backward({grads.x, grads.weight, grads.bias});
        return torch::tensor(total / static_cast<double>(x.size(0)), x.options());
    }

    static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
        variable_list saved = ctx->get_saved_variables();
        const torch::Tensor& g = grad_outputs[0];
        return {saved[0] * g, saved[1] * g, saved[2] * g, torch::Tensor(), torch::Tensor()};
    }
};

void check_arguments(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias,
                     const torch::Tensor& targets, std::int64_t block_rows) {
    auto fail = [](const std::string& what) {
        throw Error(ErrorKind::kInternal, "linear_cross_entropy: " + what);
    };
    if (x.dim() != 2 || weight.dim() != 2 || bias.dim() != 1 || targets.dim() != 1) {
        fail("x and weight must be 2-d, bias and targets 1-d");
    }
    if (x.scalar_type() != torch::kFloat || weight.scalar_type() != torch::kFloat ||
        bias.scalar_type() != torch::kFloat || targets.scalar_type() != torch::kLong) {
        fail("x, weight and bias must be float, targets int64");
    }
    if (weight.size(1) != x.size(1) || bias.size(0) != weight.size(0) ||
        targets.size(0) != x.size(0)) {
        fail("shapes do not match: x [N, H], weight [C, H], bias [C], targets [N]");
    }
    if (x.size(0) == 0 || block_rows < 1) {
        fail("no rows, or block_rows < 1");
    }
    if (targets.min().item<std::int64_t>() < 0 ||
        targets.max().item<std::int64_t>() >= weight.size(0)) {
        fail("a target outside [0, " + std::to_string(weight.size(0)) + ")");
    }
}

}  // namespace

torch::Tensor linear_cross_entropy(const torch::Tensor& x, const torch::Tensor& weight,
                                   const torch::Tensor& bias, const torch::Tensor& targets,
                                   std::int64_t block_rows) {
    check_arguments(x, weight, bias, targets, block_rows);
    torch::Tensor xc = x.contiguous();
    torch::Tensor tc = targets.contiguous();
    const bool needs_grad = torch::GradMode::is_enabled() &&
                            (x.requires_grad() || weight.requires_grad() || bias.requires_grad());
    if (needs_grad) {
        return LinearCrossEntropyFn::apply(xc, weight, bias, tc, block_rows);
    }
    double total = blockwise_loss(xc, weight, bias, tc, block_rows, nullptr);
    return torch::tensor(total / static_cast<double>(x.size(0)), x.options());
}

}  // namespace sextant
