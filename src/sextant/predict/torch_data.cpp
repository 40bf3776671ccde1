#include "sextant/predict/torch_data.h"

#include <cmath>

#include "sextant/core/error.h"
#include "sextant/learn/model_dir.h"

namespace sextant {

TorchRows to_torch_rows(const Dataset& data, const std::vector<float>& mean,
                        const std::vector<float>& scale) {
    auto n = static_cast<std::int64_t>(data.n_rows);
    auto d = static_cast<std::int64_t>(data.n_cols);
    TorchRows out;
    out.x = torch::empty({n, d}, torch::kFloat);
    out.y = torch::zeros({n}, torch::kFloat);
    out.w = torch::ones({n}, torch::kFloat);
    float* x = out.x.data_ptr<float>();
    for (std::size_t r = 0; r < data.n_rows; ++r) {
        for (std::size_t c = 0; c < data.n_cols; ++c) {
            x[r * data.n_cols + c] = (data.at(r, c) - mean[c]) / scale[c];
        }
        if (!data.labels.empty()) {
            out.y.data_ptr<float>()[r] = static_cast<float>(data.labels[r]);
        }
        out.w.data_ptr<float>()[r] = data.weight(r);
    }
    return out;
}

torch::Tensor index_tensor(std::span<const std::size_t> examples) {
    std::vector<std::int64_t> index(examples.begin(), examples.end());
    return torch::tensor(index, torch::kLong);
}

torch::Tensor weighted_bce(const torch::Tensor& logits, const torch::Tensor& y,
                           const torch::Tensor& w) {
    torch::Tensor loss = torch::binary_cross_entropy_with_logits(
        logits, y, /*weight=*/{}, /*pos_weight=*/{}, at::Reduction::None);
    return (loss * w).sum() / w.sum().clamp_min(1e-12);
}

double sigmoid(double z) {
    if (z >= 0) {
        return 1.0 / (1.0 + std::exp(-z));
    }
    double e = std::exp(z);
    return e / (1.0 + e);
}

}  // namespace sextant
