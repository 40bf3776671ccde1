// Daily, weekly and monthly active users, and stickiness.
//
// A user is active on a civil day (in the analysis time zone) when they have at least one event
// that day. Weeks are ISO weeks starting on Monday; months are calendar months.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sextant/core/time.h"
#include "sextant/data/event_table.h"

namespace sextant {

// Distinct active users in the period that begins on `start` (a day, a Monday or a month's
// first day).
struct PeriodUsers {
    Day start = 0;
    std::uint64_t users = 0;
};

struct ActiveUsers {
    std::vector<PeriodUsers> daily;    // every day from the first to the last active day
    std::vector<PeriodUsers> weekly;   // every ISO week touching that range, by its Monday
    std::vector<PeriodUsers> monthly;  // every calendar month touching it, by its first day

    std::optional<double> dau_mean;       // mean of `daily`, zero days included
    std::string dau_mean_reason;          // why dau_mean is null
    std::optional<double> stickiness;     // see stickiness_rule
    std::string stickiness_reason;        // why stickiness is null
    std::string stickiness_rule;          // the rule in one sentence, naming the months used
    std::size_t n_stickiness_months = 0;  // months the stickiness averages over
};

// Computes active users of `table` with days in `zone`. Stickiness is the mean over calendar
// months of (mean DAU over the month's days / the month's MAU), over the months that lie wholly
// inside the data's range; when none does, over every month the range touches (using only its
// days inside the range), and the rule says so. Months with no active user are left out.
// Cost: one pass over each user's slice; memory linear in events and in days of the range.
ActiveUsers compute_active_users(const EventTable& table, const TimeZone& zone);

// The value of summary.json's `active_users`: `daily[]` (`day`, `users`), `weekly[]` (`week`,
// `users`), `monthly[]` (`month` as YYYY-MM, `users`), `dau_mean`, `stickiness`,
// `stickiness_rule`; a null figure comes with a sibling `*_reason`.
nlohmann::json to_json(const ActiveUsers& active);

}  // namespace sextant
