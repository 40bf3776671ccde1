// Instants, civil days and time zones.
//
// Sextant keeps every instant as UTC seconds since the Unix epoch (`Seconds`). Day boundaries are
// civil days in one IANA time zone (`--tz`, default UTC), so a day that a DST change makes 23 or
// 25 hours long is still one day. The zone database is the operating system's (tzdata).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace sextant {

using Seconds = std::int64_t;  // UTC seconds since 1970-01-01T00:00:00Z
using Day = std::int32_t;      // civil days since 1970-01-01 in some time zone

constexpr Seconds kSecondsPerDay = 86400;

// A time zone from the IANA database. Cheap to copy; thread-safe.
class TimeZone {
public:
    // UTC.
    TimeZone();

    // Looks up an IANA name ("Europe/London", "UTC"). Throws Error(kInvalidInput) naming the
    // zone when it is unknown.
    static TimeZone named(std::string_view name);

    const std::string& name() const { return name_; }
    bool is_utc() const { return zone_ == nullptr; }

    // Offset from UTC, in seconds, at the instant t (+3600 for London in summer).
    std::int32_t offset(Seconds t) const;

    // The civil day in this zone that contains instant t.
    Day day_of(Seconds t) const;

    // The UTC instant of a wall-clock time in this zone, given as seconds since 1970-01-01 00:00
    // local. A wall time that occurs twice (clocks going back) maps to the earlier instant; one
    // that does not occur (clocks going forward) maps to the instant the gap ends.
    Seconds to_utc(std::int64_t local_seconds) const;

    // The UTC instant at which civil day d begins in this zone.
    Seconds start_of(Day d) const;

private:
    std::string name_ = "UTC";
    const void* zone_ = nullptr;  // a date::time_zone owned by the database; null for UTC
};

// Days since 1970-01-01 of a proleptic Gregorian date; month 1-12, day 1-31 (not validated).
std::int64_t days_from_civil(int year, unsigned month, unsigned day);

// The inverse of days_from_civil.
void civil_from_days(std::int64_t days, int& year, unsigned& month, unsigned& day);

// ISO-8601 text of a UTC instant: "2011-12-09T12:50:00Z".
std::string format_utc(Seconds t);

// "2011-12-09" for a civil day.
std::string format_day(Day d);

// The Monday that begins the ISO week containing day d.
Day week_start(Day d);

// Days since 1970-01-01 of the first day of the month containing d.
Day month_start(Day d);

}  // namespace sextant
