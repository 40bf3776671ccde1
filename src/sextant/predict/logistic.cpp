#include "sextant/predict/logistic.h"

#include <cmath>

#include <torch/torch.h>

#include "sextant/core/error.h"
#include "sextant/learn/torch_trainer.h"
#include "sextant/learn/torch_weights.h"
#include "sextant/learn/trainer.h"
#include "sextant/predict/classifier_util.h"
#include "sextant/predict/torch_data.h"

namespace sextant {

struct LogisticRegression::Net {
    torch::nn::Linear linear{nullptr};
};

LogisticRegression::LogisticRegression(LogisticOptions options) : options_(std::move(options)) {}

LogisticRegression::~LogisticRegression() = default;

void LogisticRegression::fit(const Dataset& train, const Dataset& valid) {
    detail::check_fit_inputs(name(), train, valid);
    detail::standardization(train, mean_, scale_);

    TorchRows rows = to_torch_rows(train, mean_, scale_);
    TorchRows check = to_torch_rows(valid.n_rows > 0 ? valid : train, mean_, scale_);

    seed_torch(options_.train.seed);
    auto net = std::make_unique<Net>();
    net->linear = torch::nn::Linear(static_cast<std::int64_t>(train.n_cols), 1);
    torch::nn::Linear linear = net->linear;

    ModuleTask task;
    task.what = "logistic";
    task.log_style = {.metric = "valid log loss", .metric_sign = -1, .epochs_at_info = false};
    task.n_examples = train.n_rows;
    task.n_samples_per_epoch = train.n_rows;
    task.batch_loss = [&](std::span<const std::size_t> examples) {
        torch::Tensor index = index_tensor(examples);
        torch::Tensor z = linear->forward(rows.x.index_select(0, index)).squeeze(1);
        return BatchLoss{
            weighted_bce(z, rows.y.index_select(0, index), rows.w.index_select(0, index)),
            examples.size()};
    };
    task.validate = [&] {
        torch::Tensor z = linear->forward(check.x).squeeze(1);
        return -weighted_bce(z, check.y, check.w).item<double>();
    };
    curve_ = train_module(*linear, task, options_.train);
    net_ = std::move(net);
}

std::vector<double> LogisticRegression::logits(const Dataset& x) const {
    detail::check_predict_input(name(), x, n_features());
    torch::NoGradGuard no_grad;
    TorchRows rows = to_torch_rows(x, mean_, scale_);
    torch::Tensor z = net_->linear->forward(rows.x).squeeze(1).contiguous();
    return std::vector<double>(z.data_ptr<float>(), z.data_ptr<float>() + z.numel());
}

std::vector<double> LogisticRegression::predict_proba(const Dataset& x) const {
    std::vector<double> p = logits(x);
    for (double& v : p) {
        v = sigmoid(v);
    }
    return p;
}

std::vector<Attribution> LogisticRegression::explain(const Dataset& x) const {
    std::vector<double> z = logits(x);
    torch::Tensor weight = net_->linear->weight.detach().contiguous();
    const float* w = weight.data_ptr<float>();
    double bias = net_->linear->bias.detach().item<double>();

    std::vector<Attribution> out(x.n_rows);
    for (std::size_t r = 0; r < x.n_rows; ++r) {
        Attribution& a = out[r];
        a.base = bias;
        a.output = z[r];
        a.values.resize(x.n_cols);
        for (std::size_t c = 0; c < x.n_cols; ++c) {
            a.values[c] = static_cast<double>(w[c]) * ((x.at(r, c) - mean_[c]) / scale_[c]);
        }
    }
    return out;
}

std::vector<double> LogisticRegression::coefficients() const {
    if (!net_) {
        throw Error(ErrorKind::kInternal, "logistic: coefficients() before fit()");
    }
    torch::Tensor weight = net_->linear->weight.detach().contiguous();
    std::vector<double> out(n_features());
    for (std::size_t c = 0; c < out.size(); ++c) {
        out[c] = static_cast<double>(weight.data_ptr<float>()[c]) / scale_[c];
    }
    return out;
}

double LogisticRegression::intercept() const {
    std::vector<double> coef = coefficients();
    double b = net_->linear->bias.detach().item<double>();
    for (std::size_t c = 0; c < coef.size(); ++c) {
        b -= coef[c] * mean_[c];
    }
    return b;
}

nlohmann::json LogisticRegression::config() const {
    return {{"train", train_options_json(options_.train)}};
}

void LogisticRegression::save(Weights& out) const {
    if (!net_) {
        throw Error(ErrorKind::kInternal, "logistic: save() before fit()");
    }
    out.add("logistic.mean", std::span<const float>(mean_));
    out.add("logistic.scale", std::span<const float>(scale_));
    module_to_weights(*net_->linear, "logistic.linear.", out);
}

void LogisticRegression::load(const Weights& in) {
    std::vector<float> mean = in.f32("logistic.mean");
    std::vector<float> scale = in.f32("logistic.scale", {static_cast<std::int64_t>(mean.size())});
    if (mean.empty()) {
        throw_invalid(in.source() + ": array logistic.mean is empty");
    }
    auto net = std::make_unique<Net>();
    net->linear = torch::nn::Linear(static_cast<std::int64_t>(mean.size()), 1);
    weights_to_module(in, "logistic.linear.", *net->linear);
    net->linear->eval();
    mean_ = std::move(mean);
    scale_ = std::move(scale);
    net_ = std::move(net);
}

std::unique_ptr<LogisticRegression> LogisticRegression::from_config(const nlohmann::json& config,
                                                                    const std::string& source) {
    LogisticOptions o;
    if (config.contains("train")) {
        read_train_options(config["train"], source, o.train);
    }
    return std::make_unique<LogisticRegression>(o);
}

}  // namespace sextant
