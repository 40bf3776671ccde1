#include "sextant/recommend/ease.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "sextant/core/error.h"
#include "sextant/core/log.h"
#include "sextant/recommend/model_io.h"

namespace sextant {
namespace {

constexpr std::uint64_t kFloatBytes = 4;

// Per user, the sorted distinct training items; throws on an item outside the catalogue.
std::vector<std::vector<std::uint32_t>> distinct_items(const Split& split) {
    std::vector<std::vector<std::uint32_t>> users;
    users.reserve(split.train.size());
    for (const std::vector<std::uint32_t>& train : split.train) {
        std::vector<std::uint32_t> items(train.begin(), train.end());
        std::sort(items.begin(), items.end());
        items.erase(std::unique(items.begin(), items.end()), items.end());
        if (!items.empty() && items.back() >= split.n_items) {
            throw_invalid("ease: training item id " + std::to_string(items.back()) +
                          " is outside the catalogue of " + std::to_string(split.n_items) +
                          " items");
        }
        users.push_back(std::move(items));
    }
    return users;
}

// G = X^T X + lambda I, accumulated from the users' item lists rather than from a dense X, so
// that the cost is the sum of (distinct items)^2 and X never takes memory. Counts stay exact in
// float up to 2^24 users.
torch::Tensor gram_matrix(const std::vector<std::vector<std::uint32_t>>& users, std::size_t n,
                          double lambda) {
    torch::Tensor gram =
        torch::zeros({static_cast<std::int64_t>(n), static_cast<std::int64_t>(n)}, torch::kFloat);
    float* g = gram.data_ptr<float>();
    for (const std::vector<std::uint32_t>& items : users) {
        for (std::uint32_t a : items) {
            float* row = g + std::size_t{a} * n;
            for (std::uint32_t b : items) {
                row[b] += 1.0f;
            }
        }
    }
    for (std::size_t i = 0; i < n; ++i) {
        g[i * n + i] += static_cast<float>(lambda);
    }
    return gram;
}

}  // namespace

std::size_t ease_item_limit(const EaseOptions& options) {
    auto limit = static_cast<std::size_t>(
        std::floor(std::sqrt(static_cast<double>(options.memory_cap_bytes) /
                             static_cast<double>(kFloatBytes * kEaseDenseCopies))));
    // sqrt in double can land one above the exact floor for large caps.
    while (limit > 0 && static_cast<std::uint64_t>(limit) * limit * kFloatBytes * kEaseDenseCopies >
                            options.memory_cap_bytes) {
        --limit;
    }
    if (options.max_items > 0) {
        limit = std::min(limit, options.max_items);
    }
    return limit;
}

Ease::Ease(EaseOptions options) : options_(options) {
    if (!(options_.lambda > 0) || !std::isfinite(options_.lambda)) {
        throw_invalid("ease: lambda must be a finite number > 0, not " +
                      std::to_string(options_.lambda));
    }
}

void Ease::fit(const Split& split) {
    const std::size_t n = split.n_items;
    if (n == 0) {
        throw_invalid("ease: the catalogue is empty");
    }
    const std::size_t limit = ease_item_limit(options_);
    if (n > limit) {
        double gib = static_cast<double>(n) * static_cast<double>(n) * kFloatBytes *
                     kEaseDenseCopies / static_cast<double>(std::uint64_t{1} << 30);
        throw_invalid("ease: the catalogue has " + std::to_string(n) +
                      " items, above the limit of " + std::to_string(limit) +
                      " items (EASE holds dense item x item matrices: " + std::to_string(gib) +
                      " GiB needed; raise the memory cap or use item_knn)");
    }
    std::vector<std::vector<std::uint32_t>> users = distinct_items(split);

    // P = G^-1 through the Cholesky factor: G is symmetric positive definite since lambda > 0.
    // Each matrix is released as soon as the next one exists, so at most two are alive here.
    torch::Tensor inverse;
    try {
        torch::Tensor factor = torch::linalg::cholesky(gram_matrix(users, n, options_.lambda));
        inverse = torch::cholesky_inverse(factor).contiguous();
    } catch (const c10::Error& e) {
        throw Error(ErrorKind::kInternal, std::string("ease: inverting the Gram matrix failed: ") +
                                              e.what_without_backtrace());
    }

    // B[i][j] = -P[i][j] / P[j][j], written over P in place, then the zero diagonal.
    float* p = inverse.data_ptr<float>();
    std::vector<float> diagonal(n);
    for (std::size_t j = 0; j < n; ++j) {
        diagonal[j] = p[j * n + j];
    }
    for (std::size_t i = 0; i < n; ++i) {
        float* row = p + i * n;
        for (std::size_t j = 0; j < n; ++j) {
            row[j] = -row[j] / diagonal[j];
        }
        row[i] = 0.0f;
    }
    weights_.assign(p, p + n * n);
    n_items_ = n;
    log::debug("ease: fitted " + std::to_string(n) + " items on " + std::to_string(users.size()) +
               " users");
}

void Ease::score(std::span<const std::uint32_t> history, std::span<float> scores) const {
    if (scores.size() != n_items_ || n_items_ == 0) {
        throw Error(ErrorKind::kInternal, "ease: asked for " + std::to_string(scores.size()) +
                                              " scores but fitted on " + std::to_string(n_items_) +
                                              " items");
    }
    std::vector<std::uint32_t> items(history.begin(), history.end());
    std::sort(items.begin(), items.end());
    items.erase(std::unique(items.begin(), items.end()), items.end());
    if (!items.empty() && items.back() >= n_items_) {
        throw_invalid("ease: history item id " + std::to_string(items.back()) +
                      " is outside the catalogue of " + std::to_string(n_items_) + " items");
    }

    std::fill(scores.begin(), scores.end(), 0.0f);
    for (std::uint32_t h : items) {
        const float* row = weights_.data() + std::size_t{h} * n_items_;
        for (std::size_t j = 0; j < n_items_; ++j) {
            scores[j] += row[j];
        }
    }
}

}  // namespace sextant

namespace sextant {

nlohmann::json Ease::config() const {
    return {{"lambda", options_.lambda},
            {"memory_cap_bytes", options_.memory_cap_bytes},
            {"max_items", options_.max_items}};
}

void Ease::save(Weights& out) const {
    auto n = static_cast<std::int64_t>(n_items_);
    out.add("weights", std::span<const float>(weights_), {n, n});
}

void Ease::load(std::size_t n_items, const Weights& in) {
    auto n = static_cast<std::int64_t>(n_items);
    weights_ = in.f32("weights", {n, n});
    n_items_ = n_items;
}

std::unique_ptr<Ease> Ease::from_config(const nlohmann::json& config, const std::string& source) {
    EaseOptions o;
    o.lambda = meta_field<double>(config, "lambda", source);
    o.memory_cap_bytes = meta_field<std::uint64_t>(config, "memory_cap_bytes", source);
    o.max_items = meta_field<std::uint64_t>(config, "max_items", source);
    if (!(o.lambda > 0)) {
        throw_invalid(source + ": field \"lambda\" must be > 0");
    }
    return std::make_unique<Ease>(o);
}

}  // namespace sextant
