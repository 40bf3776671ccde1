// The columnar event table every analysis and model reads.
//
// Rows are sorted by user, then time; ties keep input order. One user's events are the
// contiguous slice [user_begin(u), user_end(u)). Users, items and names are dense 32-bit ids with
// dictionaries back to the original text. An event without an item has item kNoItem; one without
// a value has a NaN value. Built once from the store (and cached on disk); read-only afterwards,
// so it may be shared between threads.
#pragma once

#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include "sextant/core/time.h"
#include "sextant/data/dictionary.h"
#include "sextant/data/event.h"

namespace sextant {

constexpr std::uint32_t kNoItem = std::numeric_limits<std::uint32_t>::max();

struct EventTable {
    std::vector<std::uint32_t> user;
    std::vector<std::uint32_t> item;
    std::vector<std::uint32_t> name;
    std::vector<Seconds> time;
    std::vector<float> value;
    std::vector<std::uint64_t> user_offsets;  // n_users() + 1 entries

    Dictionary users;
    Dictionary items;
    Dictionary names;

    std::size_t n_events() const { return time.size(); }
    std::size_t n_users() const { return users.size(); }
    std::size_t n_items() const { return items.size(); }
    std::size_t n_names() const { return names.size(); }

    std::uint64_t user_begin(std::uint32_t u) const { return user_offsets[u]; }
    std::uint64_t user_end(std::uint32_t u) const { return user_offsets[u + 1]; }

    // Items of user u's events in time order (kNoItem entries included).
    std::span<const std::uint32_t> items_of(std::uint32_t u) const {
        return {item.data() + user_offsets[u], item.data() + user_offsets[u + 1]};
    }
    std::span<const Seconds> times_of(std::uint32_t u) const {
        return {time.data() + user_offsets[u], time.data() + user_offsets[u + 1]};
    }

    // Builds a table from events in input order (for tests and small inputs); interns ids in
    // order of first appearance.
    static EventTable from_events(const std::vector<Event>& events);

    // Sorts rows by (user, time), stably, and fills user_offsets. Columns user, item, name,
    // time and value must be filled, in input order, and the dictionaries set.
    void sort_and_index();
};

}  // namespace sextant
