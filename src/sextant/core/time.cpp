#include "sextant/core/time.h"

#include <date/tz.h>

#include <cstdio>

#include "sextant/core/error.h"

namespace sextant {
namespace {

const date::time_zone* zone_ptr(const void* p) {
    return static_cast<const date::time_zone*>(p);
}

}  // namespace

TimeZone::TimeZone() = default;

TimeZone TimeZone::named(std::string_view name) {
    TimeZone tz;
    if (name.empty() || name == "UTC" || name == "Etc/UTC" || name == "Z") {
        return tz;
    }
    try {
        tz.zone_ = date::locate_zone(name);
        tz.name_ = std::string(name);
    } catch (const std::exception&) {
        throw_invalid("unknown time zone \"" + std::string(name) +
                      "\" (use an IANA name such as Europe/London or America/New_York)");
    }
    return tz;
}

std::int32_t TimeZone::offset(Seconds t) const {
    if (zone_ == nullptr) {
        return 0;
    }
    auto info = zone_ptr(zone_)->get_info(date::sys_seconds{std::chrono::seconds{t}});
    return static_cast<std::int32_t>(info.offset.count());
}

Day TimeZone::day_of(Seconds t) const {
    std::int64_t local = t + offset(t);
    std::int64_t d =
        local >= 0 ? local / kSecondsPerDay : (local - kSecondsPerDay + 1) / kSecondsPerDay;
    return static_cast<Day>(d);
}

Seconds TimeZone::to_utc(std::int64_t local_seconds) const {
    if (zone_ == nullptr) {
        return local_seconds;
    }
    date::local_seconds local{std::chrono::seconds{local_seconds}};
    auto info = zone_ptr(zone_)->get_info(local);
    switch (info.result) {
        case date::local_info::unique:
            return local_seconds - info.first.offset.count();
        case date::local_info::ambiguous:
            return local_seconds - info.first.offset.count();
        case date::local_info::nonexistent:
            // The gap ends at the start of the second period.
            return info.second.begin.time_since_epoch().count();
    }
    return local_seconds - info.first.offset.count();
}

Seconds TimeZone::start_of(Day d) const {
    return to_utc(static_cast<std::int64_t>(d) * kSecondsPerDay);
}

// Howard Hinnant's civil-date algorithms (public domain), written out for speed in parsers.
std::int64_t days_from_civil(int year, unsigned month, unsigned day) {
    year -= month <= 2 ? 1 : 0;
    const std::int64_t era = (year >= 0 ? year : year - 399) / 400;
    const unsigned yoe = static_cast<unsigned>(year - era * 400);
    const unsigned doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

void civil_from_days(std::int64_t z, int& year, unsigned& month, unsigned& day) {
    z += 719468;
    const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = static_cast<unsigned>(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    day = doy - (153 * mp + 2) / 5 + 1;
    month = mp < 10 ? mp + 3 : mp - 9;
    year = static_cast<int>(yoe + era * 400 + (month <= 2 ? 1 : 0));
}

std::string format_utc(Seconds t) {
    std::int64_t days = t >= 0 ? t / kSecondsPerDay : (t - kSecondsPerDay + 1) / kSecondsPerDay;
    std::int64_t rest = t - days * kSecondsPerDay;
    int y;
    unsigned m, d;
    civil_from_days(days, y, m, d);
    char buf[40];
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02dZ", y, m, d,
                  static_cast<int>(rest / 3600), static_cast<int>(rest / 60 % 60),
                  static_cast<int>(rest % 60));
    return buf;
}

std::string format_day(Day day) {
    int y;
    unsigned m, d;
    civil_from_days(day, y, m, d);
    char buf[24];
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", y, m, d);
    return buf;
}

Day week_start(Day d) {
    // 1970-01-01 was a Thursday: (d + 3) mod 7 is 0 on Mondays.
    int dow = static_cast<int>(((static_cast<std::int64_t>(d) + 3) % 7 + 7) % 7);
    return d - dow;
}

Day month_start(Day d) {
    int y;
    unsigned m, dd;
    civil_from_days(d, y, m, dd);
    return static_cast<Day>(days_from_civil(y, m, 1));
}

}  // namespace sextant
