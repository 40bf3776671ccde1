#include "sextant/data/event_table.h"

#include <algorithm>
#include <numeric>

namespace sextant {

EventTable EventTable::from_events(const std::vector<Event>& events) {
    EventTable t;
    std::size_t n = events.size();
    t.user.reserve(n);
    t.item.reserve(n);
    t.name.reserve(n);
    t.time.reserve(n);
    t.value.reserve(n);
    for (const Event& e : events) {
        t.user.push_back(t.users.intern(e.user));
        t.item.push_back(e.item.empty() ? kNoItem : t.items.intern(e.item));
        t.name.push_back(t.names.intern(e.name));
        t.time.push_back(e.time);
        t.value.push_back(static_cast<float>(e.value));
    }
    t.sort_and_index();
    return t;
}

namespace {

template <typename T>
void permute(std::vector<T>& column, const std::vector<std::uint64_t>& order) {
    std::vector<T> out(column.size());
    for (std::size_t i = 0; i < order.size(); ++i) {
        out[i] = column[order[i]];
    }
    column.swap(out);
}

}  // namespace

void EventTable::sort_and_index() {
    std::size_t n = time.size();
    std::size_t n_u = users.size();

    // Counting sort by user keeps input order inside a user; then a stable sort by time per slice.
    std::vector<std::uint64_t> counts(n_u + 1, 0);
    for (std::uint32_t u : user) {
        ++counts[u + 1];
    }
    std::partial_sum(counts.begin(), counts.end(), counts.begin());
    user_offsets = counts;
    std::vector<std::uint64_t> order(n);
    std::vector<std::uint64_t> next(counts.begin(), counts.end() - 1);
    for (std::size_t i = 0; i < n; ++i) {
        order[next[user[i]]++] = i;
    }
    for (std::size_t u = 0; u < n_u; ++u) {
        auto first = order.begin() + static_cast<std::ptrdiff_t>(user_offsets[u]);
        auto last = order.begin() + static_cast<std::ptrdiff_t>(user_offsets[u + 1]);
        bool sorted = std::is_sorted(
            first, last, [&](std::uint64_t a, std::uint64_t b) { return time[a] < time[b]; });
        if (!sorted) {
            std::stable_sort(first, last,
                             [&](std::uint64_t a, std::uint64_t b) { return time[a] < time[b]; });
        }
    }

    permute(user, order);
    permute(item, order);
    permute(name, order);
    permute(time, order);
    permute(value, order);
}

}  // namespace sextant
