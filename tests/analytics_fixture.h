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

}  // namespace sextant::testing
