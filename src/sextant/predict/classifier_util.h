// Checks and statistics the classifier kinds share (internal to predict/).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "sextant/predict/dataset.h"

namespace sextant::detail {

// The checks of Classifier::fit(): both sets valid with labels, the same columns, train
// non-empty, holding both classes, with a positive total weight. Messages start with `kind`.
void check_fit_inputs(const std::string& kind, const Dataset& train, const Dataset& valid);

// The checks of predict_proba() / explain(): fitted (n_features > 0, else kInternal) and x
// valid with n_features columns (kInvalidInput).
void check_predict_input(const std::string& kind, const Dataset& x, std::size_t n_features);

// The weighted mean and standard deviation (population) per column of data; a standard deviation
// below 1e-6 of max(1, |mean|) becomes 1, so a constant column standardises to 0, never NaN.
void standardization(const Dataset& data, std::vector<float>& mean, std::vector<float>& scale);

// Weighted mean binary cross-entropy of logits (weights empty = all 1), computed stably.
double log_loss_of_logits(const std::vector<std::uint8_t>& labels,
                          const std::vector<double>& logits, const std::vector<float>& weights);

}  // namespace sextant::detail
