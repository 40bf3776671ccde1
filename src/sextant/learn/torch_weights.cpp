#include "sextant/learn/torch_weights.h"

#include <cstring>

#include "sextant/core/error.h"

namespace sextant {
namespace {

// The shape an array of the tensor has in Weights: its sizes, or {1} for a scalar.
std::vector<std::int64_t> shape_of(const torch::Tensor& t) {
    return t.dim() == 0 ? std::vector<std::int64_t>{1} : t.sizes().vec();
}

void add_tensor(const std::string& name, const torch::Tensor& t, Weights& out) {
    if (t.scalar_type() != torch::kFloat) {
        throw Error(ErrorKind::kInternal, "weights: tensor " + name + " is not float");
    }
    torch::Tensor c = t.detach().contiguous();
    out.add(name, std::span<const float>(c.data_ptr<float>(), static_cast<std::size_t>(c.numel())),
            shape_of(c));
}

void copy_into(const Weights& in, const std::string& name, torch::Tensor& t) {
    std::vector<float> values = in.f32(name, shape_of(t));
    torch::NoGradGuard no_grad;
    t.copy_(torch::from_blob(values.data(), t.sizes(), torch::kFloat));
}

}  // namespace

void module_to_weights(const torch::nn::Module& module, const std::string& prefix, Weights& out) {
    for (const auto& item : module.named_parameters()) {
        add_tensor(prefix + item.key(), item.value(), out);
    }
    for (const auto& item : module.named_buffers()) {
        add_tensor(prefix + item.key(), item.value(), out);
    }
}

void weights_to_module(const Weights& in, const std::string& prefix, torch::nn::Module& module) {
    for (auto& item : module.named_parameters()) {
        copy_into(in, prefix + item.key(), item.value());
    }
    for (auto& item : module.named_buffers()) {
        copy_into(in, prefix + item.key(), item.value());
    }
}

}  // namespace sextant
