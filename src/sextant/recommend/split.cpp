#include "sextant/recommend/split.h"

#include <string>

#include "sextant/core/error.h"

namespace sextant {

Split leave_last_out(const EventTable& table) {
    Split split;
    split.n_items = table.n_items();

    std::vector<std::uint32_t> sequence;
    for (std::uint32_t u = 0; u < table.n_users(); ++u) {
        sequence.clear();
        for (std::uint32_t item : table.items_of(u)) {
            if (item != kNoItem) {
                sequence.push_back(item);
            }
        }
        if (sequence.empty()) {
            ++split.n_users_without_items;
            continue;
        }
        if (sequence.size() < 3) {
            ++split.n_users_too_short;
            continue;
        }

        std::size_t n = sequence.size();
        split.users.push_back(u);
        split.train.emplace_back(sequence.begin(), sequence.end() - 2);
        split.valid.push_back(sequence[n - 2]);
        split.test.push_back(sequence[n - 1]);
    }
    return split;
}

void history_at(const Split& split, std::size_t i, Stage stage, std::vector<std::uint32_t>& out) {
    if (i >= split.n_users() || i >= split.train.size() || i >= split.valid.size()) {
        throw Error(ErrorKind::kInternal, "history_at: user index " + std::to_string(i) +
                                              " is outside the split's " +
                                              std::to_string(split.n_users()) + " users");
    }
    out.assign(split.train[i].begin(), split.train[i].end());
    if (stage == Stage::kTest) {
        out.push_back(split.valid[i]);
    }
}

}  // namespace sextant
