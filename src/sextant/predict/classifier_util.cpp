#include "sextant/predict/classifier_util.h"

#include <algorithm>
#include <cmath>

#include "sextant/core/error.h"

namespace sextant::detail {

void check_fit_inputs(const std::string& kind, const Dataset& train, const Dataset& valid) {
    validate_dataset(train, kind + ": training part", true);
    validate_dataset(valid, kind + ": validation part", true);
    if (train.n_rows == 0 || train.n_cols == 0) {
        throw_invalid(kind + ": the training part has " + std::to_string(train.n_rows) +
                      " rows and " + std::to_string(train.n_cols) +
                      " features; a model needs at least one of each");
    }
    if (valid.n_rows > 0 && valid.n_cols != train.n_cols) {
        throw_invalid(kind + ": the validation part has " + std::to_string(valid.n_cols) +
                      " features, the training part " + std::to_string(train.n_cols));
    }

    double positive = 0;
    double negative = 0;
    for (std::size_t r = 0; r < train.n_rows; ++r) {
        (train.labels[r] == 1 ? positive : negative) += train.weight(r);
    }
    std::size_t n_positives = static_cast<std::size_t>(
        std::count(train.labels.begin(), train.labels.end(), std::uint8_t{1}));
    if (n_positives == 0 || n_positives == train.n_rows) {
        throw_invalid(kind + ": the training part holds only " +
                      (n_positives == 0 ? std::string("negatives") : std::string("positives")) +
                      " (" + std::to_string(train.n_rows) +
                      " rows); a classifier needs both classes to train");
    }
    if (!(positive > 0 && negative > 0)) {
        throw_invalid(kind + ": the training part's " +
                      std::string(positive > 0 ? "negatives" : "positives") +
                      " all have weight 0; a classifier needs both classes to train");
    }
}

void check_predict_input(const std::string& kind, const Dataset& x, std::size_t n_features) {
    if (n_features == 0) {
        throw Error(ErrorKind::kInternal, kind + ": predict called before fit or load");
    }
    validate_dataset(x, kind + ": input", false);
    if (x.n_rows > 0 && x.n_cols != n_features) {
        throw_invalid(kind + ": the input has " + std::to_string(x.n_cols) +
                      " features, the model was fitted on " + std::to_string(n_features));
    }
}

void standardization(const Dataset& data, std::vector<float>& mean, std::vector<float>& scale) {
    std::vector<double> sum(data.n_cols, 0.0);
    std::vector<double> sum_sq(data.n_cols, 0.0);
    double total = 0;
    for (std::size_t r = 0; r < data.n_rows; ++r) {
        total += data.weight(r);
    }
    // Two passes (mean, then squared deviations) so large offsets do not cancel the variance.
    for (std::size_t r = 0; r < data.n_rows; ++r) {
        double w = data.weight(r);
        for (std::size_t c = 0; c < data.n_cols; ++c) {
            sum[c] += w * data.at(r, c);
        }
    }
    mean.assign(data.n_cols, 0.0f);
    for (std::size_t c = 0; c < data.n_cols; ++c) {
        mean[c] = total > 0 ? static_cast<float>(sum[c] / total) : 0.0f;
    }
    for (std::size_t r = 0; r < data.n_rows; ++r) {
        double w = data.weight(r);
        for (std::size_t c = 0; c < data.n_cols; ++c) {
            double d = data.at(r, c) - static_cast<double>(mean[c]);
            sum_sq[c] += w * d * d;
        }
    }
    scale.assign(data.n_cols, 1.0f);
    for (std::size_t c = 0; c < data.n_cols; ++c) {
        double sd = total > 0 ? std::sqrt(sum_sq[c] / total) : 0.0;
        double floor = 1e-6 * std::max(1.0, std::abs(static_cast<double>(mean[c])));
        scale[c] = sd > floor ? static_cast<float>(sd) : 1.0f;
    }
}

double log_loss_of_logits(const std::vector<std::uint8_t>& labels,
                          const std::vector<double>& logits, const std::vector<float>& weights) {
    double sum = 0;
    double total = 0;
    for (std::size_t r = 0; r < labels.size(); ++r) {
        double w = weights.empty() ? 1.0 : weights[r];
        double z = logits[r];
        // -log sigmoid(z) for a positive, -log(1 - sigmoid(z)) = -log sigmoid(-z) for a negative.
        double s = labels[r] == 1 ? z : -z;
        double loss = s > 0 ? std::log1p(std::exp(-s)) : -s + std::log1p(std::exp(s));
        sum += w * loss;
        total += w;
    }
    return total > 0 ? sum / total : 0.0;
}

}  // namespace sextant::detail
