#include "sextant/predict/calibration.h"

#include <algorithm>
#include <cmath>

#include "sextant/core/error.h"

namespace sextant {
namespace {

constexpr double kClamp = 1e-7;
constexpr int kMaxIterations = 100;

double logit(double p) {
    p = std::clamp(p, kClamp, 1 - kClamp);
    return std::log(p / (1 - p));
}

double sigmoid(double z) {
    return z >= 0 ? 1 / (1 + std::exp(-z)) : std::exp(z) / (1 + std::exp(z));
}

// -log(sigmoid(s)) without overflow.
double softplus_neg(double s) {
    return s > 0 ? std::log1p(std::exp(-s)) : -s + std::log1p(std::exp(s));
}

// The weighted cross-entropy of targets t against sigmoid(a z + b).
double objective(const std::vector<double>& z, const std::vector<double>& t,
                 const std::vector<double>& w, double a, double b) {
    double sum = 0;
    for (std::size_t i = 0; i < z.size(); ++i) {
        double s = a * z[i] + b;
        sum += w[i] * (t[i] * softplus_neg(s) + (1 - t[i]) * softplus_neg(-s));
    }
    return sum;
}

}  // namespace

std::optional<PlattScaling> fit_platt(std::span<const std::uint8_t> labels,
                                      std::span<const double> probabilities,
                                      std::span<const double> weights) {
    std::size_t n = labels.size();
    if (n < 2 || probabilities.size() != n || (!weights.empty() && weights.size() != n)) {
        return std::nullopt;
    }
    double n_pos = 0, n_neg = 0;
    std::vector<double> z(n), w(n), t(n);
    for (std::size_t i = 0; i < n; ++i) {
        w[i] = weights.empty() ? 1.0 : weights[i];
        (labels[i] ? n_pos : n_neg) += w[i];
        z[i] = logit(probabilities[i]);
    }
    if (n_pos <= 0 || n_neg <= 0) {
        return std::nullopt;
    }
    double t_pos = (n_pos + 1) / (n_pos + 2);
    double t_neg = 1 / (n_neg + 2);
    for (std::size_t i = 0; i < n; ++i) {
        t[i] = labels[i] ? t_pos : t_neg;
    }

    double a = 1, b = 0;
    double current = objective(z, t, w, a, b);
    for (int iteration = 0; iteration < kMaxIterations; ++iteration) {
        double ga = 0, gb = 0, haa = 0, hab = 0, hbb = 0;
        for (std::size_t i = 0; i < n; ++i) {
            double p = sigmoid(a * z[i] + b);
            double d = w[i] * (p - t[i]);
            double h = w[i] * p * (1 - p);
            ga += d * z[i];
            gb += d;
            haa += h * z[i] * z[i];
            hab += h * z[i];
            hbb += h;
        }
        // A small ridge keeps the 2x2 system solvable when every z is the same.
        double ridge = 1e-12 * (haa + hbb) + 1e-300;
        haa += ridge;
        hbb += ridge;
        double det = haa * hbb - hab * hab;
        if (!(det > 0)) {
            break;
        }
        double da = -(hbb * ga - hab * gb) / det;
        double db = -(haa * gb - hab * ga) / det;
        double step = 1;
        double next = objective(z, t, w, a + da, b + db);
        while (next > current && step > 1e-10) {
            step /= 2;
            next = objective(z, t, w, a + step * da, b + step * db);
        }
        if (next > current) {
            break;
        }
        a += step * da;
        b += step * db;
        bool converged = current - next <= 1e-12 * std::max(1.0, current);
        current = next;
        if (converged) {
            break;
        }
    }
    if (!(a > 0) || !std::isfinite(a) || !std::isfinite(b)) {
        return std::nullopt;
    }
    return PlattScaling{a, b};
}

std::optional<double> cross_fitted_log_loss(std::span<const std::uint8_t> labels,
                                            std::span<const double> probabilities,
                                            std::span<const double> weights) {
    std::size_t n = labels.size();
    if (probabilities.size() != n || (!weights.empty() && weights.size() != n)) {
        return std::nullopt;
    }
    std::vector<std::uint8_t> half_labels[2];
    std::vector<double> half_p[2], half_w[2];
    for (std::size_t i = 0; i < n; ++i) {
        half_labels[i % 2].push_back(labels[i]);
        half_p[i % 2].push_back(probabilities[i]);
        half_w[i % 2].push_back(weights.empty() ? 1.0 : weights[i]);
    }
    double loss = 0, total = 0;
    for (int fit = 0; fit < 2; ++fit) {
        std::optional<PlattScaling> platt = fit_platt(half_labels[fit], half_p[fit], half_w[fit]);
        if (!platt) {
            return std::nullopt;
        }
        int other = 1 - fit;
        for (std::size_t i = 0; i < half_labels[other].size(); ++i) {
            double q = std::clamp(apply_platt(*platt, half_p[other][i]), kClamp, 1 - kClamp);
            double w = half_w[other][i];
            loss -= w * std::log(half_labels[other][i] ? q : 1 - q);
            total += w;
        }
    }
    if (!(total > 0)) {
        return std::nullopt;
    }
    return loss / total;
}

double apply_platt(const PlattScaling& platt, double probability) {
    return sigmoid(platt.a * logit(probability) + platt.b);
}

CalibratedClassifier::CalibratedClassifier(std::shared_ptr<Classifier> inner, PlattScaling platt)
    : inner_(std::move(inner)), platt_(platt) {
    if (!inner_ || inner_->n_features() == 0 || !(platt_.a > 0)) {
        throw Error(ErrorKind::kInternal,
                    "calibration: needs a fitted model and a positive Platt slope");
    }
}

void CalibratedClassifier::fit(const Dataset&, const Dataset&) {
    throw Error(
        ErrorKind::kInternal,
        "calibration: fit the inner model, then wrap it; a calibrated model is not refitted");
}

std::vector<double> CalibratedClassifier::predict_proba(const Dataset& x) const {
    std::vector<double> p = inner_->predict_proba(x);
    for (double& v : p) {
        v = apply_platt(platt_, v);
    }
    return p;
}

std::vector<Attribution> CalibratedClassifier::explain(const Dataset& x) const {
    std::vector<Attribution> out = inner_->explain(x);
    for (Attribution& a : out) {
        for (double& v : a.values) {
            v *= platt_.a;
        }
        a.base = platt_.a * a.base + platt_.b;
        a.output = platt_.a * a.output + platt_.b;
    }
    return out;
}

}  // namespace sextant
