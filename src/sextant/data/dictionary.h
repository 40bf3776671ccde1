// Interns strings into dense 32-bit ids (0, 1, 2, ...) and maps them back.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace sextant {

class Dictionary {
public:
    // Returns the id of `text`, adding it when new.
    std::uint32_t intern(std::string_view text);

    // Returns the id of `text`, or nullopt when it was never interned.
    std::optional<std::uint32_t> find(std::string_view text) const;

    // The text of an id. REQUIRES: id < size().
    const std::string& text(std::uint32_t id) const { return texts_[id]; }

    std::size_t size() const { return texts_.size(); }
    const std::vector<std::string>& texts() const { return texts_; }

    // Replaces the content by `texts`, whose positions become the ids.
    void assign(std::vector<std::string> texts);

private:
    struct Hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const {
            return std::hash<std::string_view>{}(s);
        }
    };
    std::vector<std::string> texts_;
    std::unordered_map<std::string, std::uint32_t, Hash, std::equal_to<>> ids_;
};

}  // namespace sextant
