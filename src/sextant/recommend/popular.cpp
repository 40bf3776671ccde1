#include "sextant/recommend/popular.h"

#include <string>

#include "sextant/core/error.h"
#include "sextant/recommend/model_io.h"

namespace sextant {

void MostPopular::fit(const Split& split) {
    std::vector<std::uint64_t> counts(split.n_items, 0);
    for (const std::vector<std::uint32_t>& items : split.train) {
        for (std::uint32_t item : items) {
            if (item >= counts.size()) {
                throw_invalid("popular: training item id " + std::to_string(item) +
                              " is outside the catalogue of " + std::to_string(counts.size()) +
                              " items");
            }
            ++counts[item];
        }
    }
    counts_.swap(counts);
}

void MostPopular::score(std::span<const std::uint32_t>, std::span<float> scores) const {
    if (scores.size() != counts_.size()) {
        throw Error(ErrorKind::kInternal, "popular: asked for " + std::to_string(scores.size()) +
                                              " scores but fitted on " +
                                              std::to_string(counts_.size()) + " items");
    }
    for (std::size_t j = 0; j < counts_.size(); ++j) {
        scores[j] = static_cast<float>(counts_[j]);
    }
}

}  // namespace sextant

namespace sextant {

nlohmann::json MostPopular::config() const {
    return nlohmann::json::object();
}

void MostPopular::save(Weights& out) const {
    out.add("counts", std::span<const std::uint64_t>(counts_));
}

void MostPopular::load(std::size_t n_items, const Weights& in) {
    counts_ = in.u64("counts", {static_cast<std::int64_t>(n_items)});
}

std::unique_ptr<MostPopular> MostPopular::from_config(const nlohmann::json&, const std::string&) {
    return std::make_unique<MostPopular>();
}

}  // namespace sextant
