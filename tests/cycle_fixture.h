// The fixed-cycle task the sequence-model tests learn.
#pragma once

#include <cstdint>
#include <vector>

#include "sextant/recommend/split.h"

namespace sextant::testing {

// Users walk a fixed cycle 0 -> 1 -> ... -> 49 -> 0 of a 60-item catalogue (items 50..59 never
// occur), each from its own start and for 8 to 20 steps. The cycle is longer than any walk, so
// the next item is never in the history and the evaluation protocol can count it.
inline constexpr std::uint32_t kCycle = 50;

inline Split cycle_split(std::size_t n_users) {
    Split split;
    split.n_items = 60;
    for (std::size_t u = 0; u < n_users; ++u) {
        std::size_t length = 8 + u % 13;
        std::vector<std::uint32_t> walk(length);
        for (std::size_t t = 0; t < length; ++t) {
            walk[t] = static_cast<std::uint32_t>((u * 7 + t) % kCycle);
        }
        split.users.push_back(static_cast<std::uint32_t>(u));
        split.test.push_back(walk.back());
        split.valid.push_back(walk[length - 2]);
        walk.resize(length - 2);
        split.train.push_back(std::move(walk));
    }
    return split;
}

}  // namespace sextant::testing
