// Reading the time of an event from text.
//
// Accepted forms (surrounding spaces are ignored):
//   epoch seconds or milliseconds   "978300760", "978300760.5", "1711848600000", "-86400"
//                                   (an absolute value of 1e11 or more is milliseconds)
//   ISO-8601 and its relatives      "2024-03-31", "2024-03-31T01:30:00Z", "2024-03-31 01:30",
//                                   "2024-03-31T01:30:00.250+01:00", "...+0100", "...-05"
//   slashes, year first             "2024/03/31 01:30:00"
//   US order, as in UCI's files     "12/1/2010 8:26", "12/1/2010 8:26:00", "12/1/2010"
// Fields are range-checked (month 1-12, a day that exists in that month, hour 0-23, minute and
// second 0-59, offsets up to 23:59). Fractions of a second are dropped (rounded down). A time
// written without an offset is a wall-clock time in the given zone.
#pragma once

#include <cstdint>
#include <string_view>

#include "sextant/core/time.h"

namespace sextant {

enum class EpochUnit : std::uint8_t { kNone, kSeconds, kMilliseconds };

struct ParsedTime {
    bool ok = false;
    Seconds utc = 0;                     // meaningful when ok
    EpochUnit epoch = EpochUnit::kNone;  // kNone when the text was a calendar date and time
};

// Converts wall-clock times of one zone to UTC, remembering the last answer: log files repeat
// the same timestamp on consecutive rows, and a zone lookup costs far more than a compare.
// Not thread-safe; one per reader.
class LocalTimeConverter {
public:
    explicit LocalTimeConverter(const TimeZone& tz) : tz_(tz) {}
    Seconds to_utc(std::int64_t local_seconds);
    const TimeZone& zone() const { return tz_; }

private:
    TimeZone tz_;
    bool has_last_ = false;
    std::int64_t last_local_ = 0;
    Seconds last_utc_ = 0;
};

// Parses `text` as one of the forms above. Never throws; ok is false when the text is empty,
// has another form, or names a date or time that does not exist.
ParsedTime parse_timestamp(std::string_view text, const TimeZone& tz);

// The same, converting through `converter` (whose zone applies to times without an offset).
ParsedTime parse_timestamp(std::string_view text, LocalTimeConverter& converter);

}  // namespace sextant
