#include "sextant/recommend/recommender.h"

#include <string>

#include "sextant/core/error.h"

namespace sextant {

void Recommender::score_batch(const std::vector<std::span<const std::uint32_t>>& histories,
                              std::span<float> scores) const {
    if (histories.empty()) {
        return;
    }
    if (scores.size() % histories.size() != 0) {
        throw Error(ErrorKind::kInternal, name() + ": score_batch got " +
                                              std::to_string(scores.size()) + " scores for " +
                                              std::to_string(histories.size()) + " histories");
    }
    std::size_t n_items = scores.size() / histories.size();
    for (std::size_t r = 0; r < histories.size(); ++r) {
        score(histories[r], scores.subspan(r * n_items, n_items));
    }
}

}  // namespace sextant

namespace sextant {

nlohmann::json Recommender::config() const {
    throw Error(ErrorKind::kInternal, name() + ": this model cannot be saved");
}

void Recommender::save(Weights&) const {
    throw Error(ErrorKind::kInternal, name() + ": this model cannot be saved");
}

void Recommender::load(std::size_t, const Weights&) {
    throw Error(ErrorKind::kInternal, name() + ": this model cannot be loaded");
}

}  // namespace sextant
