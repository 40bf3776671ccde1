#include "sextant/analytics/user_days.h"

#include <algorithm>

namespace sextant {

UserDays build_user_days(const EventTable& table, const TimeZone& zone) {
    UserDays out;
    std::size_t n_users = table.n_users();
    out.offsets.assign(n_users + 1, 0);
    out.days.reserve(table.n_events() / 4 + 16);
    Day first = 0;
    Day last = -1;

    for (std::uint32_t u = 0; u < n_users; ++u) {
        std::size_t begin = out.days.size();
        bool sorted = true;
        for (Seconds t : table.times_of(u)) {
            Day d = zone.day_of(t);
            // Times ascend within a user, so equal days are adjacent unless the day stepped back.
            if (out.days.size() > begin) {
                Day prev = out.days.back();
                if (d == prev) {
                    continue;
                }
                sorted = sorted && d > prev;
            }
            out.days.push_back(d);
        }
        if (!sorted) {
            auto first_it = out.days.begin() + static_cast<std::ptrdiff_t>(begin);
            std::sort(first_it, out.days.end());
            out.days.erase(std::unique(first_it, out.days.end()), out.days.end());
        }
        out.offsets[u + 1] = out.days.size();

        if (out.days.size() > begin) {
            Day lo = out.days[begin];
            Day hi = out.days.back();
            if (last < first) {
                first = lo;
                last = hi;
            } else {
                first = std::min(first, lo);
                last = std::max(last, hi);
            }
        }
    }
    out.first_day = first;
    out.last_day = last;
    return out;
}

}  // namespace sextant
