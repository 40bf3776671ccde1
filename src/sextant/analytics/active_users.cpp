#include "sextant/analytics/active_users.h"

#include <algorithm>
#include <cstdint>

#include "sextant/analytics/user_days.h"

namespace sextant {
namespace {

// The first day of the month after the one that begins on `start`.
Day next_month(Day start) {
    int y;
    unsigned m, d;
    civil_from_days(start, y, m, d);
    return static_cast<Day>(m == 12 ? days_from_civil(y + 1, 1, 1) : days_from_civil(y, m + 1, 1));
}

std::string month_text(Day start) {
    return format_day(start).substr(0, 7);
}

// Fills `stickiness`, its reason and its rule from the daily and monthly figures.
void compute_stickiness(const UserDays& ud, ActiveUsers& out) {
    // A month is full when all of its days lie inside the data's range.
    bool any_full = false;
    for (const PeriodUsers& m : out.monthly) {
        any_full = any_full || (m.start >= ud.first_day && next_month(m.start) - 1 <= ud.last_day);
    }

    double sum = 0;
    std::size_t n = 0;
    for (const PeriodUsers& m : out.monthly) {
        Day begin = std::max(m.start, ud.first_day);
        Day end = std::min(next_month(m.start) - 1, ud.last_day);
        bool full = begin == m.start && end == next_month(m.start) - 1;
        if ((any_full && !full) || m.users == 0) {
            continue;
        }
        double dau = 0;
        for (Day d = begin; d <= end; ++d) {
            dau += static_cast<double>(out.daily[static_cast<std::size_t>(d - ud.first_day)].users);
        }
        dau /= static_cast<double>(end - begin + 1);
        sum += dau / static_cast<double>(m.users);
        ++n;
    }

    out.n_stickiness_months = n;
    std::string count = std::to_string(n) + (n == 1 ? " calendar month" : " calendar months");
    if (any_full) {
        out.stickiness_rule = "Mean, over the " + count +
                              " lying wholly inside the data's range, of the month's mean daily "
                              "active users divided by its monthly active users.";
    } else {
        out.stickiness_rule =
            "No calendar month lies wholly inside the data's range, so this is "
            "the mean, over all " +
            count +
            " it touches, of the mean daily active users over the month's days "
            "inside the range divided by the month's monthly active users.";
    }
    if (n == 0) {
        out.stickiness_reason = "no month with active users";
        return;
    }
    out.stickiness = sum / static_cast<double>(n);
}

}  // namespace

ActiveUsers compute_active_users(const EventTable& table, const TimeZone& zone) {
    ActiveUsers out;
    UserDays ud = build_user_days(table, zone);
    if (ud.empty()) {
        out.dau_mean_reason = "no events";
        out.stickiness_reason = "no events";
        out.stickiness_rule =
            "Mean over calendar months of mean daily active users divided by "
            "monthly active users; not computed because there are no events.";
        return out;
    }

    // Periods of the range, and for each day of it the index of its month.
    std::size_t n_days = static_cast<std::size_t>(ud.last_day - ud.first_day + 1);
    Day first_week = week_start(ud.first_day);
    for (Day d = ud.first_day; d <= ud.last_day; ++d) {
        out.daily.push_back({d, 0});
    }
    for (Day w = first_week; w <= ud.last_day; w += 7) {
        out.weekly.push_back({w, 0});
    }
    std::vector<std::uint32_t> month_of_day(n_days);
    for (Day m = month_start(ud.first_day); m <= ud.last_day; m = next_month(m)) {
        Day begin = std::max(m, ud.first_day);
        Day end = std::min(next_month(m) - 1, ud.last_day);
        for (Day d = begin; d <= end; ++d) {
            month_of_day[static_cast<std::size_t>(d - ud.first_day)] =
                static_cast<std::uint32_t>(out.monthly.size());
        }
        out.monthly.push_back({m, 0});
    }

    // A user's days ascend, so their weeks and months do too: count each once per change.
    for (std::uint32_t u = 0; u < table.n_users(); ++u) {
        std::size_t last_week = SIZE_MAX;
        std::size_t last_month = SIZE_MAX;
        for (Day d : ud.of(u)) {
            auto i = static_cast<std::size_t>(d - ud.first_day);
            ++out.daily[i].users;
            auto w = static_cast<std::size_t>((week_start(d) - first_week) / 7);
            if (w != last_week) {
                ++out.weekly[w].users;
                last_week = w;
            }
            std::size_t m = month_of_day[i];
            if (m != last_month) {
                ++out.monthly[m].users;
                last_month = m;
            }
        }
    }

    double total = 0;
    for (const PeriodUsers& d : out.daily) {
        total += static_cast<double>(d.users);
    }
    out.dau_mean = total / static_cast<double>(n_days);
    compute_stickiness(ud, out);
    return out;
}

nlohmann::json to_json(const ActiveUsers& active) {
    nlohmann::json j;
    j["daily"] = nlohmann::json::array();
    for (const PeriodUsers& p : active.daily) {
        j["daily"].push_back({{"day", format_day(p.start)}, {"users", p.users}});
    }
    j["weekly"] = nlohmann::json::array();
    for (const PeriodUsers& p : active.weekly) {
        j["weekly"].push_back({{"week", format_day(p.start)}, {"users", p.users}});
    }
    j["monthly"] = nlohmann::json::array();
    for (const PeriodUsers& p : active.monthly) {
        j["monthly"].push_back({{"month", month_text(p.start)}, {"users", p.users}});
    }

    if (active.dau_mean) {
        j["dau_mean"] = *active.dau_mean;
    } else {
        j["dau_mean"] = nullptr;
        j["dau_mean_reason"] = active.dau_mean_reason;
    }
    if (active.stickiness) {
        j["stickiness"] = *active.stickiness;
    } else {
        j["stickiness"] = nullptr;
        j["stickiness_reason"] = active.stickiness_reason;
    }
    j["stickiness_rule"] = active.stickiness_rule;
    return j;
}

}  // namespace sextant
