#include "sextant/analytics/retention.h"

#include <algorithm>
#include <cstdint>
#include <map>

#include "sextant/analytics/user_days.h"
#include "sextant/core/error.h"

namespace sextant {
namespace {

void check_days(const std::vector<int>& days) {
    for (std::size_t i = 0; i < days.size(); ++i) {
        if (days[i] < 1) {
            throw_invalid("day-N retention: N must be at least 1, got " + std::to_string(days[i]));
        }
        if (std::find(days.begin(), days.begin() + static_cast<std::ptrdiff_t>(i), days[i]) !=
            days.begin() + static_cast<std::ptrdiff_t>(i)) {
            throw_invalid("day-N retention: N = " + std::to_string(days[i]) + " given twice");
        }
    }
}

std::string rule_text(const UserDays& ud) {
    std::string last = ud.empty() ? std::string("none") : format_day(ud.last_day);
    std::string cohorts =
        "A user's cohort is the ISO week (Monday start) of their first event, and active[k] is "
        "the share of the cohort with at least one event k weeks later (k = 0 is the cohort's "
        "own week). ";
    std::string day_n =
        "Day-N retention counts a user as retained when they are active on the civil day exactly "
        "N days after their first day; only users whose day N falls on or before the data's last "
        "day (";
    day_n += last;
    day_n +=
        ") are eligible, so incomplete cohorts are excluded, and the rate is retained over "
        "eligible users, which weights each cohort by its size.";
    return cohorts + day_n;
}

}  // namespace

Retention compute_retention(const EventTable& table, const TimeZone& zone,
                            const std::vector<int>& days) {
    check_days(days);
    UserDays ud = build_user_days(table, zone);
    Retention out;
    out.rule = rule_text(ud);
    for (int n : days) {
        out.day.push_back({n, 0, 0, std::nullopt, ""});
    }

    // Cohorts keyed by their Monday; a map keeps them sorted and skips weeks with no new user.
    Day last_week = ud.empty() ? 0 : week_start(ud.last_day);
    std::map<Day, Cohort> cohorts;
    for (std::uint32_t u = 0; u < table.n_users(); ++u) {
        std::span<const Day> active = ud.of(u);
        if (active.empty()) {
            continue;
        }
        Day first = active.front();
        Day cohort_week = week_start(first);
        Cohort& c = cohorts[cohort_week];
        if (c.users == 0) {
            c.week = cohort_week;
            c.active_users.assign(static_cast<std::size_t>((last_week - cohort_week) / 7 + 1), 0);
        }
        ++c.users;

        // Days ascend, so each week's index is counted once when it changes.
        std::size_t previous = SIZE_MAX;
        for (Day d : active) {
            auto k = static_cast<std::size_t>((week_start(d) - cohort_week) / 7);
            if (k != previous) {
                ++c.active_users[k];
                previous = k;
            }
        }

        for (DayRetention& r : out.day) {
            Day target = first + r.day;
            if (target > ud.last_day) {
                continue;
            }
            ++r.users_eligible;
            r.users_retained += std::binary_search(active.begin(), active.end(), target) ? 1 : 0;
        }
    }

    for (auto& [week, c] : cohorts) {
        for (std::uint64_t a : c.active_users) {
            c.active.push_back(static_cast<double>(a) / static_cast<double>(c.users));
        }
        out.cohorts.push_back(std::move(c));
    }
    for (DayRetention& r : out.day) {
        if (r.users_eligible == 0) {
            r.rate_reason = "no user's day " + std::to_string(r.day) +
                            " falls on or before the data's last day";
        } else {
            r.rate = static_cast<double>(r.users_retained) / static_cast<double>(r.users_eligible);
        }
    }
    return out;
}

nlohmann::json to_json(const Retention& retention) {
    nlohmann::json cohorts = nlohmann::json::array();
    for (const Cohort& c : retention.cohorts) {
        cohorts.push_back({{"week", format_day(c.week)}, {"users", c.users}, {"active", c.active}});
    }

    nlohmann::json day = nlohmann::json::object();
    for (const DayRetention& r : retention.day) {
        nlohmann::json one = {{"users_eligible", r.users_eligible},
                              {"users_retained", r.users_retained}};
        if (r.rate) {
            one["rate"] = *r.rate;
        } else {
            one["rate"] = nullptr;
            one["rate_reason"] = r.rate_reason;
        }
        day[std::to_string(r.day)] = one;
    }
    return {{"cohorts", cohorts}, {"day", day}, {"rule", retention.rule}};
}

}  // namespace sextant
