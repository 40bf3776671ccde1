#include "sextant/data/dictionary.h"

namespace sextant {

std::uint32_t Dictionary::intern(std::string_view text) {
    auto it = ids_.find(text);
    if (it != ids_.end()) {
        return it->second;
    }
    auto id = static_cast<std::uint32_t>(texts_.size());
    texts_.emplace_back(text);
    ids_.emplace(texts_.back(), id);
    return id;
}

std::optional<std::uint32_t> Dictionary::find(std::string_view text) const {
    auto it = ids_.find(text);
    if (it == ids_.end()) {
        return std::nullopt;
    }
    return it->second;
}

void Dictionary::assign(std::vector<std::string> texts) {
    texts_ = std::move(texts);
    ids_.clear();
    ids_.reserve(texts_.size());
    for (std::size_t i = 0; i < texts_.size(); ++i) {
        ids_.emplace(texts_[i], static_cast<std::uint32_t>(i));
    }
}

}  // namespace sextant
