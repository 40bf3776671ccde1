#include "sextant/predict/table_impute.h"

#include <algorithm>
#include <cmath>
#include <utility>

namespace sextant {
namespace {

std::vector<double> sorted_present(std::span<const double> values) {
    std::vector<double> present;
    present.reserve(values.size());
    for (double v : values) {
        if (!std::isnan(v)) {
            present.push_back(v);
        }
    }
    std::sort(present.begin(), present.end());
    return present;
}

}  // namespace

double present_mean(std::span<const double> values) {
    // Kahan summation keeps the rounding error of a long column near one ulp.
    double sum = 0;
    double carry = 0;
    std::size_t n = 0;
    for (double v : values) {
        if (std::isnan(v)) {
            continue;
        }
        const double y = v - carry;
        const double t = sum + y;
        carry = (t - sum) - y;
        sum = t;
        ++n;
    }
    return n == 0 ? 0 : sum / static_cast<double>(n);
}

double present_median(std::span<const double> values) {
    const std::vector<double> present = sorted_present(values);
    const std::size_t n = present.size();
    if (n == 0) {
        return 0;
    }
    return n % 2 == 1 ? present[n / 2] : (present[n / 2 - 1] + present[n / 2]) / 2;
}

double present_mode(std::span<const double> values) {
    const std::vector<double> present = sorted_present(values);
    double best = 0;
    std::size_t best_count = 0;
    // Runs of equal values in ascending order: a later run must be strictly longer to win, so
    // ties go to the smallest value.
    for (std::size_t i = 0; i < present.size();) {
        std::size_t j = i;
        while (j < present.size() && present[j] == present[i]) {
            ++j;
        }
        if (j - i > best_count) {
            best_count = j - i;
            best = present[i];
        }
        i = j;
    }
    return best;
}

double present_std(std::span<const double> values, double mean) {
    double sum = 0;
    std::size_t n = 0;
    for (double v : values) {
        if (!std::isnan(v)) {
            sum += (v - mean) * (v - mean);
            ++n;
        }
    }
    return n == 0 ? 0 : std::sqrt(sum / static_cast<double>(n));
}

void fill_constant(std::vector<double>& values, double value) {
    for (double& v : values) {
        v = std::isnan(v) ? value : v;
    }
}

void fill_forward(std::vector<double>& values, double fallback) {
    auto first =
        std::find_if(values.begin(), values.end(), [](double v) { return !std::isnan(v); });
    if (first == values.end()) {
        fill_constant(values, fallback);
        return;
    }
    double last = *first;
    for (double& v : values) {
        if (std::isnan(v)) {
            v = last;
        } else {
            last = v;
        }
    }
}

void fill_backward(std::vector<double>& values, double fallback) {
    std::reverse(values.begin(), values.end());
    fill_forward(values, fallback);
    std::reverse(values.begin(), values.end());
}

std::uint64_t fill_knn(std::span<const double> rows, std::span<const double> reference,
                       const KnnSpace& space, std::size_t target, std::size_t k, double fallback,
                       std::vector<double>& out) {
    const std::size_t d = space.width;
    const std::size_t n_rows = d == 0 ? 0 : rows.size() / d;
    const std::size_t n_reference = d == 0 ? 0 : reference.size() / d;
    out.assign(n_rows, 0);
    std::uint64_t n_fallbacks = 0;

    std::vector<std::pair<double, std::size_t>> candidates;  // (distance, reference row)
    for (std::size_t r = 0; r < n_rows; ++r) {
        const double* row = rows.data() + r * d;
        if (!std::isnan(row[target])) {
            out[r] = row[target];
            continue;
        }

        candidates.clear();
        for (std::size_t m = 0; m < n_reference; ++m) {
            const double* donor = reference.data() + m * d;
            if (std::isnan(donor[target])) {
                continue;
            }
            double sum = 0;
            std::size_t shared = 0;
            for (std::size_t c = 0; c < d; ++c) {
                if (c == target || space.stds[c] == 0 || std::isnan(row[c]) ||
                    std::isnan(donor[c])) {
                    continue;
                }
                const double diff = (row[c] - donor[c]) / space.stds[c];
                sum += diff * diff;
                ++shared;
            }
            if (shared > 0) {
                candidates.emplace_back(std::sqrt(sum / static_cast<double>(shared)), m);
            }
        }
        if (candidates.empty()) {
            out[r] = fallback;
            ++n_fallbacks;
            continue;
        }

        // Pairs compare by distance, then by reference row: ties go to the earlier row.
        const std::size_t n_take = std::min(k, candidates.size());
        std::partial_sort(candidates.begin(), candidates.begin() + n_take, candidates.end());
        double sum = 0;
        for (std::size_t i = 0; i < n_take; ++i) {
            sum += reference[candidates[i].second * d + target];
        }
        out[r] = sum / static_cast<double>(n_take);
    }
    return n_fallbacks;
}

}  // namespace sextant
