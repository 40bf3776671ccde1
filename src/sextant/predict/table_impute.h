// Imputation of one numeric column, as defined in predict/table.h. A value is missing when it is
// NaN; every other value is finite. Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace sextant {

// Statistics of the present values. Each requires at least one present value (returns 0
// otherwise). mode: the most frequent value, ties to the smallest; median: the mean of the two
// middle values for an even count.
double present_mean(std::span<const double> values);
double present_median(std::span<const double> values);
double present_mode(std::span<const double> values);
// Population standard deviation of the present values around `mean`.
double present_std(std::span<const double> values, double mean);

// Replaces every missing value with `value`.
void fill_constant(std::vector<double>& values, double value);

// ffill: each missing value takes the last present value before it; those before the first
// present value take the first present value; with no present value at all, every value
// becomes `fallback`. bfill is the mirror image.
void fill_forward(std::vector<double>& values, double fallback);
void fill_backward(std::vector<double>& values, double fallback);

// A standardised space for knn: `width` columns with their means and standard deviations
// (a std of 0 leaves the column out of every distance).
struct KnnSpace {
    std::size_t width = 0;
    std::span<const double> means;
    std::span<const double> stds;
};

// knn imputation of column `target` of `rows` (row-major, space.width values a row, NaN for
// missing): each row missing it takes the mean of `target` over its k nearest donors among
// `reference` (same layout), the reference rows where `target` is present and that share at
// least one other present, non-constant column with the row. Distance: sqrt of the mean of
// squared standardised differences over the shared columns; ties go to the earlier reference
// row. Writes one value per row into `out` (present values copied) and returns how many rows
// had no usable donor and took `fallback`. Requires k >= 1.
std::uint64_t fill_knn(std::span<const double> rows, std::span<const double> reference,
                       const KnnSpace& space, std::size_t target, std::size_t k, double fallback,
                       std::vector<double>& out);

}  // namespace sextant
