#include "sextant/predict/dataset.h"

#include <cmath>

#include "sextant/core/error.h"

namespace sextant {
namespace {

void check_length(std::size_t size, std::size_t n_rows, const std::string& what,
                  const char* field) {
    if (size != 0 && size != n_rows) {
        throw_invalid(what + ": " + field + " holds " + std::to_string(size) + " entries for " +
                      std::to_string(n_rows) + " rows");
    }
}

}  // namespace

void validate_dataset(const Dataset& data, const std::string& what, bool require_labels) {
    if (data.values.size() != data.n_rows * data.n_cols) {
        throw_invalid(what + ": " + std::to_string(data.values.size()) + " values for " +
                      std::to_string(data.n_rows) + " rows x " + std::to_string(data.n_cols) +
                      " features");
    }
    if (data.feature_names.size() != data.n_cols) {
        throw_invalid(what + ": " + std::to_string(data.feature_names.size()) +
                      " feature names for " + std::to_string(data.n_cols) + " features");
    }
    check_length(data.labels.size(), data.n_rows, what, "labels");
    check_length(data.weights.size(), data.n_rows, what, "weights");
    check_length(data.ids.size(), data.n_rows, what, "ids");
    check_length(data.times.size(), data.n_rows, what, "times");
    if (require_labels && data.labels.empty() && data.n_rows > 0) {
        throw_invalid(what + ": the rows have no labels");
    }

    for (std::size_t r = 0; r < data.n_rows; ++r) {
        for (std::size_t c = 0; c < data.n_cols; ++c) {
            float v = data.at(r, c);
            if (!std::isfinite(v)) {
                throw_invalid(what + ": row " + std::to_string(r) + ", feature \"" +
                              data.feature_names[c] + "\": value " + std::to_string(v) +
                              " is not finite");
            }
        }
        if (!data.labels.empty() && data.labels[r] > 1) {
            throw_invalid(what + ": row " + std::to_string(r) + ": label " +
                          std::to_string(data.labels[r]) + " is neither 0 nor 1");
        }
        if (!data.weights.empty() && !(std::isfinite(data.weights[r]) && data.weights[r] >= 0)) {
            throw_invalid(what + ": row " + std::to_string(r) + ": weight " +
                          std::to_string(data.weights[r]) + " is not a finite number >= 0");
        }
    }
}

Dataset select_rows(const Dataset& data, std::span<const std::size_t> rows) {
    Dataset out;
    out.feature_names = data.feature_names;
    out.n_rows = rows.size();
    out.n_cols = data.n_cols;
    out.values.reserve(rows.size() * data.n_cols);
    for (std::size_t r : rows) {
        if (r >= data.n_rows) {
            throw Error(ErrorKind::kInternal, "select_rows: row " + std::to_string(r) + " of " +
                                                  std::to_string(data.n_rows));
        }
        auto source = data.row(r);
        out.values.insert(out.values.end(), source.begin(), source.end());
        if (!data.labels.empty()) {
            out.labels.push_back(data.labels[r]);
        }
        if (!data.weights.empty()) {
            out.weights.push_back(data.weights[r]);
        }
        if (!data.ids.empty()) {
            out.ids.push_back(data.ids[r]);
        }
        if (!data.times.empty()) {
            out.times.push_back(data.times[r]);
        }
    }
    return out;
}

std::vector<double> weights_as_double(const Dataset& data) {
    return std::vector<double>(data.weights.begin(), data.weights.end());
}

}  // namespace sextant
