// The scores file every prediction writes (`sextant run`'s OUT/predict/<task>_scores.csv and
// `sextant predict score`): one row per user or customer, most likely first, with the
// probability, a risk band and up to three reasons in plain words.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sextant/predict/classifier.h"

namespace sextant {

// Reasons given per row in the scores file.
constexpr std::size_t kScoreReasons = 3;

// "high" at or above the decision threshold, "medium" at or above half of it, else "low".
std::string risk_band(double probability, double threshold);

// The rule risk_band() follows, in words (for summary.json and the report).
const char* risk_band_rule();

// The indices of the k largest |values| (k = min(k, size)), largest first, ties by index, zero
// values left out.
std::vector<std::size_t> top_by_magnitude(const std::vector<double>& values, std::size_t k);

// Writes `file` (its folder is created): the header `<id_header>,probability,risk_band,
// reason_1,reason_2,reason_3`, then one row per id sorted by descending probability (ties in
// input order), fields quoted as RFC 4180 needs. With `top_eligible`, the rows it marks false
// come last, in band "lapsed" (already gone: see predict_job.h). Returns {"scores_file", "rows",
// "risk_bands" {high, medium, low[, lapsed]}, "top": [{id_key: id, probability, risk_band,
// reasons[]}] (the first `top_n` rows not lapsed)}. Throws Error(kIo)
// naming the file when it cannot be written. REQUIRES: ids, probabilities, reasons (and
// top_eligible when not empty) of one length (kInternal otherwise).
nlohmann::json write_scores(const std::filesystem::path& file, const std::string& id_header,
                            const std::vector<std::string>& ids,
                            const std::vector<double>& probabilities,
                            const std::vector<std::vector<std::string>>& reasons, double threshold,
                            std::size_t top_n, const std::string& id_key = "id",
                            const std::vector<bool>& top_eligible = {});

}  // namespace sextant
