// The design matrix every classifier of Sextant reads: one row per example (a user, a customer),
// one column per feature, a 0/1 label per row, optional sample weights, row ids and row times.
//
// Feature builders (predict/features.h for event logs, predict/table.h for customer tables)
// convert into this type; the models (predict/classifier.h) only ever see it. Values are float
// because every model computes in float (libtorch, XGBoost); the builders' doubles narrow here.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace sextant {

struct Dataset {
    std::vector<std::string> feature_names;  // one per column
    std::size_t n_rows = 0;
    std::size_t n_cols = 0;
    std::vector<float> values;  // n_rows x n_cols, row-major; finite everywhere
    // 0 or 1 per row; empty for a matrix built only to be scored.
    std::vector<std::uint8_t> labels;
    // One finite weight >= 0 per row (weights the loss and the metrics); empty = all 1.
    std::vector<float> weights;
    // One id per row (the user or customer it describes); empty when the caller keeps none.
    std::vector<std::string> ids;
    // One time per row (UTC seconds: the cutoff its features were taken at), used by
    // split_by_time(); empty when rows have no time order.
    std::vector<std::int64_t> times;

    float at(std::size_t row, std::size_t col) const { return values[row * n_cols + col]; }
    std::span<const float> row(std::size_t r) const {
        return std::span<const float>(values).subspan(r * n_cols, n_cols);
    }
    bool has_labels() const { return !labels.empty(); }
    // The weight of a row: weights[row], or 1 when there are none.
    float weight(std::size_t row) const { return weights.empty() ? 1.0f : weights[row]; }
};

// Throws sextant::Error (kInvalidInput) with one line naming `what` ("training part") and the
// first fault when the dataset is inconsistent: values.size() != n_rows * n_cols, feature_names
// not n_cols long, a value that is not finite ("row 12, feature \"age\": value nan"), labels,
// weights, ids or times neither empty nor n_rows long, a label other than 0/1, a weight that is
// negative or not finite; and, with require_labels, when labels are missing.
void validate_dataset(const Dataset& data, const std::string& what, bool require_labels);

// A dataset of the given rows of `data`, in that order (a row may repeat), with every per-row
// field carried along. REQUIRES: each index < data.n_rows (kInternal otherwise).
Dataset select_rows(const Dataset& data, std::span<const std::size_t> rows);

// The weights as doubles, as the metrics functions (predict/metrics.h) take them; empty when the
// dataset has none.
std::vector<double> weights_as_double(const Dataset& data);

}  // namespace sextant
