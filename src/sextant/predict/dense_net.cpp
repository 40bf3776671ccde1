#include "sextant/predict/dense_net.h"

#include <algorithm>

#include <torch/torch.h>

#include "sextant/core/error.h"
#include "sextant/learn/torch_trainer.h"
#include "sextant/learn/trainer.h"
#include "sextant/predict/classifier_util.h"
#include "sextant/predict/torch_data.h"

namespace sextant {
namespace {

struct TabularNetImpl : torch::nn::Module {
    TabularNetImpl(std::int64_t n_in, std::int64_t h1, std::int64_t h2, double dropout)
        : fc1(register_module("fc1", torch::nn::Linear(n_in, h1))),
          bn1(register_module("bn1", torch::nn::BatchNorm1d(h1))),
          fc2(register_module("fc2", torch::nn::Linear(h1, h2))),
          bn2(register_module("bn2", torch::nn::BatchNorm1d(h2))),
          out(register_module("out", torch::nn::Linear(h2, 1))),
          dropout(dropout) {}

    // The output logit per row, [n].
    torch::Tensor forward(torch::Tensor x) {
        x = torch::dropout(torch::relu(bn1(fc1(x))), dropout, is_training());
        x = torch::dropout(torch::relu(bn2(fc2(x))), dropout, is_training());
        return out(x).squeeze(1);
    }

    torch::nn::Linear fc1;
    torch::nn::BatchNorm1d bn1;
    torch::nn::Linear fc2;
    torch::nn::BatchNorm1d bn2;
    torch::nn::Linear out;
    double dropout;
};
TORCH_MODULE(TabularNet);

// The float parameters and buffers by name. Batch norm's num_batches_tracked (an integer
// counter used only without a momentum) is left out: it changes no prediction, and the
// Weights format holds it in no float array.
std::vector<std::pair<std::string, torch::Tensor>> float_tensors(torch::nn::Module& module) {
    std::vector<std::pair<std::string, torch::Tensor>> out;
    for (auto& p : module.named_parameters()) {
        out.emplace_back(p.key(), p.value());
    }
    for (auto& b : module.named_buffers()) {
        if (b.value().scalar_type() == torch::kFloat) {
            out.emplace_back(b.key(), b.value());
        }
    }
    return out;
}

}  // namespace

struct DenseNet::Net {
    TabularNet module{nullptr};
};

DenseNet::DenseNet(DenseNetOptions options) : options_(std::move(options)) {
    if (options_.hidden1 == 0 || options_.hidden2 == 0 || options_.ig_steps < 1 ||
        !(options_.dropout >= 0 && options_.dropout < 1)) {
        throw_invalid("dense_net: hidden sizes must be >= 1, ig_steps >= 1 and dropout in [0, 1)");
    }
}

DenseNet::~DenseNet() = default;

void DenseNet::build(std::size_t n_features) {
    auto net = std::make_unique<Net>();
    net->module = TabularNet(static_cast<std::int64_t>(n_features),
                             static_cast<std::int64_t>(options_.hidden1),
                             static_cast<std::int64_t>(options_.hidden2), options_.dropout);
    net_ = std::move(net);
}

void DenseNet::fit(const Dataset& train, const Dataset& valid) {
    detail::check_fit_inputs(name(), train, valid);
    detail::standardization(train, mean_, scale_);
    TorchRows rows = to_torch_rows(train, mean_, scale_);
    TorchRows check = to_torch_rows(valid.n_rows > 0 ? valid : train, mean_, scale_);

    seed_torch(options_.train.seed);
    build(train.n_cols);
    TabularNet module = net_->module;

    ModuleTask task;
    task.what = "dense_net";
    task.log_style = {.metric = "valid log loss", .metric_sign = -1, .epochs_at_info = false};
    task.n_examples = train.n_rows;
    task.n_samples_per_epoch = train.n_rows;
    task.batch_loss = [&](std::span<const std::size_t> examples) {
        // Batch norm cannot train on one row (its variance is undefined): a lone last row is
        // doubled, which gives it the same loss and the layer a zero variance it handles.
        std::vector<std::size_t> batch(examples.begin(), examples.end());
        if (examples.size() == 1) {
            batch.assign(2, examples[0]);
        }
        torch::Tensor index = index_tensor(batch);
        torch::Tensor z = module->forward(rows.x.index_select(0, index));
        return BatchLoss{
            weighted_bce(z, rows.y.index_select(0, index), rows.w.index_select(0, index)),
            examples.size()};
    };
    task.validate = [&] {
        return -weighted_bce(module->forward(check.x), check.y, check.w).item<double>();
    };
    curve_ = train_module(*module, task, options_.train);
}

std::vector<double> DenseNet::logits(const Dataset& x) const {
    detail::check_predict_input(name(), x, n_features());
    torch::NoGradGuard no_grad;
    TorchRows rows = to_torch_rows(x, mean_, scale_);
    torch::Tensor z = net_->module->forward(rows.x).contiguous();
    return std::vector<double>(z.data_ptr<float>(), z.data_ptr<float>() + z.numel());
}

std::vector<double> DenseNet::predict_proba(const Dataset& x) const {
    std::vector<double> p = logits(x);
    for (double& v : p) {
        v = sigmoid(v);
    }
    return p;
}

std::vector<Attribution> DenseNet::explain(const Dataset& x) const {
    std::vector<double> output = logits(x);
    TorchRows rows = to_torch_rows(x, mean_, scale_);
    auto d = static_cast<std::int64_t>(x.n_cols);
    auto m = static_cast<std::int64_t>(options_.ig_steps);

    double base = 0;
    {
        torch::NoGradGuard no_grad;
        base = net_->module->forward(torch::zeros({1, d})).item<double>();
    }

    // Trapezoid weights over the m + 1 path points alpha = k / m.
    torch::Tensor alpha = torch::linspace(0, 1, m + 1).view({m + 1, 1, 1});
    torch::Tensor rule = torch::full({m + 1}, 1.0f / static_cast<float>(m));
    rule[0].fill_(0.5f / static_cast<float>(m));
    rule[m].fill_(0.5f / static_cast<float>(m));
    rule = rule.view({m + 1, 1, 1});

    std::vector<Attribution> out(x.n_rows);
    torch::AutoGradMode grad_on(true);
    const std::int64_t chunk = std::max<std::int64_t>(1, 8192 / (m + 1));
    for (std::int64_t start = 0; start < static_cast<std::int64_t>(x.n_rows); start += chunk) {
        std::int64_t n = std::min(chunk, static_cast<std::int64_t>(x.n_rows) - start);
        torch::Tensor z = rows.x.narrow(0, start, n);
        // The baseline is 0 in standardised units, so the path is alpha * z.
        torch::Tensor path =
            (alpha * z.unsqueeze(0)).reshape({(m + 1) * n, d}).requires_grad_(true);
        torch::Tensor f = net_->module->forward(path).sum();
        torch::Tensor grad = torch::autograd::grad({f}, {path})[0].view({m + 1, n, d});
        torch::Tensor attribution = (z * (grad * rule).sum(0)).to(torch::kDouble).contiguous();
        const double* a = attribution.data_ptr<double>();
        for (std::int64_t r = 0; r < n; ++r) {
            Attribution& row = out[static_cast<std::size_t>(start + r)];
            row.values.assign(a + r * d, a + (r + 1) * d);
            row.base = base;
            row.output = output[static_cast<std::size_t>(start + r)];
        }
    }
    return out;
}

nlohmann::json DenseNet::config() const {
    return {{"hidden1", options_.hidden1},
            {"hidden2", options_.hidden2},
            {"dropout", options_.dropout},
            {"ig_steps", options_.ig_steps},
            {"train", train_options_json(options_.train)}};
}

void DenseNet::save(Weights& out) const {
    if (!net_) {
        throw Error(ErrorKind::kInternal, "dense_net: save() before fit()");
    }
    out.add("dense_net.mean", std::span<const float>(mean_));
    out.add("dense_net.scale", std::span<const float>(scale_));
    for (auto& [key, tensor] : float_tensors(*net_->module)) {
        torch::Tensor c = tensor.detach().contiguous();
        std::vector<std::int64_t> shape(c.sizes().begin(), c.sizes().end());
        out.add("dense_net.net." + key,
                std::span<const float>(c.data_ptr<float>(), static_cast<std::size_t>(c.numel())),
                shape);
    }
}

void DenseNet::load(const Weights& in) {
    std::vector<float> mean = in.f32("dense_net.mean");
    std::vector<float> scale = in.f32("dense_net.scale", {static_cast<std::int64_t>(mean.size())});
    if (mean.empty()) {
        throw_invalid(in.source() + ": array dense_net.mean is empty");
    }
    build(mean.size());
    torch::NoGradGuard no_grad;
    for (auto& [key, tensor] : float_tensors(*net_->module)) {
        std::vector<std::int64_t> shape(tensor.sizes().begin(), tensor.sizes().end());
        std::vector<float> values = in.f32("dense_net.net." + key, shape);
        tensor.copy_(torch::from_blob(values.data(), tensor.sizes(), torch::kFloat));
    }
    net_->module->eval();
    mean_ = std::move(mean);
    scale_ = std::move(scale);
}

std::unique_ptr<DenseNet> DenseNet::from_config(const nlohmann::json& config,
                                                const std::string& source) {
    DenseNetOptions o;
    auto read = [&](const char* key, auto& target) {
        read_field_if_present(config, key, source, target);
    };
    std::uint64_t hidden1 = o.hidden1;
    std::uint64_t hidden2 = o.hidden2;
    read("hidden1", hidden1);
    read("hidden2", hidden2);
    o.hidden1 = static_cast<std::size_t>(hidden1);
    o.hidden2 = static_cast<std::size_t>(hidden2);
    read("dropout", o.dropout);
    read("ig_steps", o.ig_steps);
    if (config.contains("train")) {
        read_train_options(config["train"], source, o.train);
    }
    return with_source(source, [&] { return std::make_unique<DenseNet>(o); });
}

}  // namespace sextant
