// Distributions for the simulator, written out so that their output is fixed everywhere.
//
// <random>'s distributions may differ between standard libraries; std::mt19937_64 itself may
// not (the standard fixes its output). Everything here is built on its raw 64-bit words with
// plain arithmetic and <cmath>'s log/exp/cos/sqrt, so a seed gives the same draws wherever those
// agree to the last bit (they do across glibc builds on x86-64, which is what CI runs).
// Not thread-safe: one Random belongs to one generator run.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

namespace sextant::sim {

class Random {
public:
    explicit Random(std::uint64_t seed) : engine_(seed) {}

    // Uniform in [0, 1) with 53 random bits.
    double uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }

    // Uniform integer in [0, n); n > 0. The modulo bias is below 2^-40 for any n we use.
    std::uint64_t below(std::uint64_t n) { return engine_() % n; }

    bool chance(double p) { return uniform() < p; }

    // Standard normal by the Box-Muller transform (one of the pair; simpler than caching).
    double normal() {
        double u1 = 1.0 - uniform();  // in (0, 1], so the log is finite
        double u2 = uniform();
        return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
    }

    // Poisson with the given mean: Knuth's product method below 30, a rounded normal above
    // (where the two differ by less than the model's own roughness).
    std::uint32_t poisson(double mean) {
        if (mean <= 0) {
            return 0;
        }
        if (mean >= 30) {
            double x = std::round(mean + std::sqrt(mean) * normal());
            return x < 0 ? 0 : static_cast<std::uint32_t>(x);
        }
        double limit = std::exp(-mean);
        double product = uniform();
        std::uint32_t k = 0;
        while (product > limit) {
            ++k;
            product *= uniform();
        }
        return k;
    }

    // Failures before the first success of a trial with success chance p (0 < p <= 1).
    std::uint32_t geometric(double p) {
        if (p >= 1) {
            return 0;
        }
        double u = 1.0 - uniform();
        double k = std::floor(std::log(u) / std::log1p(-p));
        return k > 1e6 ? 1000000u : static_cast<std::uint32_t>(k);
    }

private:
    std::mt19937_64 engine_;
};

// Picks an index with chance proportional to fixed weights, by binary search on the running sums.
class Discrete {
public:
    Discrete() = default;
    explicit Discrete(const std::vector<double>& weights) {
        cumulative_.reserve(weights.size());
        double sum = 0;
        for (double w : weights) {
            sum += w;
            cumulative_.push_back(sum);
        }
        total_ = sum;
    }

    bool empty() const { return cumulative_.empty(); }

    std::uint32_t pick(Random& random) const {
        double x = random.uniform() * total_;
        auto it = std::upper_bound(cumulative_.begin(), cumulative_.end(), x);
        if (it == cumulative_.end()) {
            --it;
        }
        return static_cast<std::uint32_t>(it - cumulative_.begin());
    }

private:
    std::vector<double> cumulative_;
    double total_ = 0;
};

}  // namespace sextant::sim
