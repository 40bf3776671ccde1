#include "sextant/app/scores_file.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <numeric>
#include <sstream>

#include "sextant/app/jobs.h"
#include "sextant/core/error.h"

namespace sextant {
namespace {

std::string csv_field(const std::string& s) {
    if (s.find_first_of(",\"\n\r") == std::string::npos) {
        return s;
    }
    std::string out = "\"";
    for (char c : s) {
        out += c == '"' ? std::string("\"\"") : std::string(1, c);
    }
    return out + "\"";
}

}  // namespace

std::string risk_band(double probability, double threshold) {
    if (probability >= threshold) {
        return "high";
    }
    return probability >= threshold / 2 ? "medium" : "low";
}

const char* risk_band_rule() {
    return "high: probability at or above the decision threshold; medium: at or above half of "
           "it; low: below";
}

std::vector<std::size_t> top_by_magnitude(const std::vector<double>& values, std::size_t k) {
    std::vector<std::size_t> order(values.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::size_t n = std::min(k, order.size());
    std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(n), order.end(),
                      [&](std::size_t x, std::size_t y) {
                          double ax = std::abs(values[x]), ay = std::abs(values[y]);
                          return ax != ay ? ax > ay : x < y;
                      });
    order.resize(n);
    std::erase_if(order, [&](std::size_t i) { return values[i] == 0; });
    return order;
}

nlohmann::json write_scores(const std::filesystem::path& file, const std::string& id_header,
                            const std::vector<std::string>& ids,
                            const std::vector<double>& probabilities,
                            const std::vector<std::vector<std::string>>& reasons, double threshold,
                            std::size_t top_n, const std::string& id_key,
                            const std::vector<bool>& top_eligible) {
    if (ids.size() != probabilities.size() || ids.size() != reasons.size() ||
        (!top_eligible.empty() && top_eligible.size() != ids.size())) {
        throw Error(ErrorKind::kInternal, "write_scores: ids, probabilities and reasons differ");
    }
    if (std::filesystem::is_directory(file)) {
        throw_invalid(file.string() + ": is a folder; give the scores file a name, such as " +
                      (file / "scores.csv").string());
    }
    std::error_code ec;
    if (file.has_parent_path()) {
        std::filesystem::create_directories(file.parent_path(), ec);
        if (ec) {
            throw_io(file.parent_path().string() + ": cannot create: " + ec.message());
        }
    }
    // Built in memory and written at once: a failed write leaves no half file.
    std::ostringstream out;
    out << csv_field(id_header) << ",probability,risk_band";
    for (std::size_t k = 1; k <= kScoreReasons; ++k) {
        out << ",reason_" << k;
    }
    out << '\n';
    std::vector<std::size_t> order(ids.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    auto eligible = [&](std::size_t r) { return top_eligible.empty() || top_eligible[r]; };
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        if (eligible(a) != eligible(b)) {
            return eligible(a);
        }
        return probabilities[a] > probabilities[b];
    });
    std::map<std::string, std::uint64_t> bands = {{"high", 0}, {"medium", 0}, {"low", 0}};
    if (!top_eligible.empty()) {
        bands["lapsed"] = 0;
    }
    nlohmann::json top = nlohmann::json::array();
    for (std::size_t r : order) {
        std::string band = eligible(r) ? risk_band(probabilities[r], threshold) : "lapsed";
        ++bands[band];
        out << csv_field(ids[r]) << ',' << probabilities[r] << ',' << band;
        for (std::size_t k = 0; k < kScoreReasons; ++k) {
            out << ',' << (k < reasons[r].size() ? csv_field(reasons[r][k]) : "");
        }
        out << '\n';
        if (top.size() < top_n && eligible(r)) {
            top.push_back({{id_key, ids[r]},
                           {"probability", probabilities[r]},
                           {"risk_band", band},
                           {"reasons", reasons[r]}});
        }
    }
    write_text_atomically(out.str(), file);
    return {{"scores_file", file.string()},
            {"rows", ids.size()},
            {"risk_bands", bands},
            {"top", std::move(top)}};
}

}  // namespace sextant
