// The leave-last-out split every recommender is fitted and evaluated on.
//
// Per user, the item sequence (events with an item, in time order) is cut into: training (all but
// the last two), validation target (the one before last) and test target (the last). Users with
// fewer than 3 item events are left out and counted. Models are fitted on the training parts
// only; validation ranks the validation target given the training history; test ranks the test
// target given training history plus the validation item.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "sextant/data/event_table.h"

namespace sextant {

struct Split {
    std::size_t n_items = 0;                        // the full catalogue: ranking is over all items
    std::vector<std::uint32_t> users;               // table user id of each evaluated user
    std::vector<std::vector<std::uint32_t>> train;  // per evaluated user, training items in order
    std::vector<std::uint32_t> valid;               // per evaluated user
    std::vector<std::uint32_t> test;                // per evaluated user
    std::size_t n_users_too_short = 0;              // users with 1 or 2 item events, left out
    std::size_t n_users_without_items = 0;          // users with no item event at all

    std::size_t n_users() const { return users.size(); }
};

enum class Stage { kValid, kTest };

Split leave_last_out(const EventTable& table);

// The history the model sees for user index i at a stage: training items, plus the validation
// item at the test stage. Written into `out` (cleared first).
void history_at(const Split& split, std::size_t i, Stage stage, std::vector<std::uint32_t>& out);

}  // namespace sextant
