// The distinct civil days on which each user was active: the shared first step of the analyses
// that count active users and retention. Internal to analytics.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "sextant/core/time.h"
#include "sextant/data/event_table.h"

namespace sextant {

struct UserDays {
    std::vector<Day> days;               // every user's distinct days, ascending, user after user
    std::vector<std::uint64_t> offsets;  // n_users + 1 entries into `days`
    Day first_day = 0;                   // earliest active day over all users
    Day last_day = -1;                   // latest; last_day < first_day when there are no events

    bool empty() const { return last_day < first_day; }

    std::span<const Day> of(std::uint32_t u) const {
        return {days.data() + offsets[u], days.data() + offsets[u + 1]};
    }
};

// One pass over each user's slice of `table`, with days taken in `zone`. Users without events
// get an empty span. Handles zones whose day of an instant can step backwards at a transition
// (clocks going back over midnight): such a user's days are sorted again.
UserDays build_user_days(const EventTable& table, const TimeZone& zone);

}  // namespace sextant
