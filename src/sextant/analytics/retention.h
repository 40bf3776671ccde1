// Retention: weekly cohorts and day-N retention.
//
// Days are civil days in the analysis time zone; weeks are ISO weeks starting on Monday. A user's
// first day is the day of their first event and their cohort is the week of that day.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sextant/core/time.h"
#include "sextant/data/event_table.h"

namespace sextant {

// The users whose first event falls in the week beginning on `week` (a Monday).
struct Cohort {
    Day week = 0;
    std::uint64_t users = 0;
    // Entry k: cohort users with at least one event in week `week + 7k`, for k = 0 up to the
    // last week of the data. active_users[0] == users.
    std::vector<std::uint64_t> active_users;
    std::vector<double> active;  // active_users[k] / users; active[0] == 1
};

// Day-N retention: a user is retained when active on the civil day first_day + N. Only users for
// whom that day is on or before the data's last day are eligible.
struct DayRetention {
    int day = 0;  // N
    std::uint64_t users_eligible = 0;
    std::uint64_t users_retained = 0;
    std::optional<double> rate;  // retained / eligible; nullopt when no user is eligible
    std::string rate_reason;     // why rate is null
};

struct Retention {
    std::vector<Cohort> cohorts;    // by week, ascending; weeks without new users are left out
    std::vector<DayRetention> day;  // one per requested N, in the order asked
    std::string rule;               // the rules above in words
};

// Computes weekly cohorts and day-N retention for each N in `days` with days in `zone`. Throws
// Error(kInvalidInput) unless every N is at least 1 and the Ns are distinct. Cost: one pass over
// each user's slice.
Retention compute_retention(const EventTable& table, const TimeZone& zone,
                            const std::vector<int>& days = {1, 7, 30});

// The value of summary.json's `retention`: `cohorts[]` (`week`, `users`, `active[]`), `day`
// (an object keyed by N as text: `rate`, `users_eligible`, `users_retained`, and `rate_reason`
// when rate is null), `rule`.
nlohmann::json to_json(const Retention& retention);

}  // namespace sextant
