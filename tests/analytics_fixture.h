// The tiny hand-checked log shared by the analytics tests.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "sextant/core/time.h"
#include "sextant/data/event_table.h"

namespace sextant::testing {

inline Day day(int y, unsigned m, unsigned d) {
    return static_cast<Day>(days_from_civil(y, m, d));
}

inline Event make(const std::string& user, Seconds t) {
    Event e;
    e.user = user;
    e.name = "view";
    e.time = t;
    return e;
}

// The tiny log of the analytics tests (events at noon UTC); last day of the data is Mar 4.
//   A: Jan 29 (x2), Jan 30, Feb 5, Feb 28, Mar 4     B: Jan 29, Feb 12
//   C: Jan 31 (x7), Feb 1, Feb 7, Mar 1              D: Feb 6, Feb 7, Feb 13
//   E: Feb 27, Mar 4                                 F: Mar 4
// ISO weeks (Mondays): W0 Jan 29, W1 Feb 5, W2 Feb 12, W3 Feb 19, W4 Feb 26, W5 Mar 4.
inline EventTable tiny_log() {
    std::vector<std::pair<std::string, std::vector<Day>>> spec = {
        {"F", {day(2024, 3, 4)}},
        {"A",
         {day(2024, 1, 29), day(2024, 1, 29), day(2024, 1, 30), day(2024, 2, 5), day(2024, 2, 28),
          day(2024, 3, 4)}},
        {"B", {day(2024, 1, 29), day(2024, 2, 12)}},
        {"C",
         {day(2024, 1, 31), day(2024, 1, 31), day(2024, 1, 31), day(2024, 1, 31), day(2024, 1, 31),
          day(2024, 1, 31), day(2024, 1, 31), day(2024, 2, 1), day(2024, 2, 7), day(2024, 3, 1)}},
        {"D", {day(2024, 2, 6), day(2024, 2, 7), day(2024, 2, 13)}},
        {"E", {day(2024, 2, 27), day(2024, 3, 4)}},
    };
    std::vector<Event> ev;
    for (const auto& [user, days] : spec) {
        for (std::size_t i = 0; i < days.size(); ++i) {
            ev.push_back(
                make(user, Seconds{days[i]} * kSecondsPerDay + 43200 + static_cast<Seconds>(i)));
        }
    }
    return EventTable::from_events(ev);
}

// 1M events: 20,000 users with 50 events each at times drawn uniformly (a fixed LCG from `seed`)
// over `span_days` days from `first_day`, built column by column.
inline EventTable million_events(Day first_day, int span_days, std::uint64_t seed) {
    EventTable t;
    std::vector<std::string> users;
    for (int u = 0; u < 20000; ++u) {
        users.push_back(std::string("u").append(std::to_string(u)));
    }
    t.users.assign(users);
    t.names.assign({"view"});
    Seconds start = Seconds{first_day} * kSecondsPerDay;
    std::uint64_t state = seed;
    for (std::uint32_t u = 0; u < 20000; ++u) {
        for (int i = 0; i < 50; ++i) {
            state = state * 6364136223846793005ULL + 1442695040888963407ULL;
            t.user.push_back(u);
            t.item.push_back(kNoItem);
            t.name.push_back(0);
            t.time.push_back(start +
                             static_cast<Seconds>((state >> 20) % (span_days * kSecondsPerDay)));
            t.value.push_back(0);
        }
    }
    t.sort_and_index();
    return t;
}

}  // namespace sextant::testing
