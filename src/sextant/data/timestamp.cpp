#include "sextant/data/timestamp.h"

#include <charconv>

namespace sextant {
namespace {

constexpr std::int64_t kMillisecondsFrom = 100'000'000'000;  // 1e11

struct Cursor {
    std::string_view s;
    std::size_t i = 0;

    bool done() const { return i == s.size(); }
    bool peek(char c) const { return i < s.size() && s[i] == c; }
    bool eat(char c) {
        if (peek(c)) {
            ++i;
            return true;
        }
        return false;
    }
    bool eat_any(std::string_view chars) {
        if (i < s.size() && chars.find(s[i]) != std::string_view::npos) {
            ++i;
            return true;
        }
        return false;
    }
    // Reads between min and max digits; false when fewer than min are there.
    bool digits(int min, int max, int& out) {
        int n = 0;
        int v = 0;
        while (n < max && i < s.size() && s[i] >= '0' && s[i] <= '9') {
            v = v * 10 + (s[i] - '0');
            ++i;
            ++n;
        }
        out = v;
        return n >= min;
    }
};

bool is_leap(int y) {
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int days_in_month(int y, int m) {
    constexpr int kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : kDays[m - 1];
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
        s.remove_prefix(1);
    }
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
        s.remove_suffix(1);
    }
    return s;
}

// "[+-]digits[.digits]": epoch seconds or milliseconds.
bool parse_epoch(std::string_view s, ParsedTime& out) {
    std::size_t i = 0;
    const bool negative = !s.empty() && s[0] == '-';
    if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
        i = 1;
    }
    const std::size_t int_begin = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
        ++i;
    }
    const std::size_t int_end = i;
    bool fraction_nonzero = false;
    if (i < s.size() && s[i] == '.') {
        ++i;
        const std::size_t frac_begin = i;
        while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
            fraction_nonzero = fraction_nonzero || s[i] != '0';
            ++i;
        }
        if (i == frac_begin) {
            return false;
        }
    }
    if (i != s.size() || int_end == int_begin) {
        return false;
    }
    std::int64_t magnitude = 0;
    auto [p, ec] = std::from_chars(s.data() + int_begin, s.data() + int_end, magnitude);
    if (ec != std::errc() || p != s.data() + int_end) {
        return false;
    }

    // Round down: -0.5 s is the second that starts at -1.
    std::int64_t value = negative ? -magnitude : magnitude;
    if (magnitude >= kMillisecondsFrom) {
        std::int64_t q = value / 1000;
        if (value < 0 && (value % 1000 != 0 || fraction_nonzero)) {
            --q;
        }
        out.utc = q;
        out.epoch = EpochUnit::kMilliseconds;
    } else {
        out.utc = value - (negative && fraction_nonzero ? 1 : 0);
        out.epoch = EpochUnit::kSeconds;
    }
    out.ok = true;
    return true;
}

struct Civil {
    int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
    bool has_offset = false;
    int offset_seconds = 0;
};

// "HH:MM[:SS[.fff]]" then an optional "Z", "+HH:MM", "+HHMM" or "+HH".
bool parse_clock(Cursor& c, Civil& t) {
    if (!c.digits(1, 2, t.hour) || !c.eat(':') || !c.digits(2, 2, t.minute)) {
        return false;
    }
    if (c.eat(':')) {
        if (!c.digits(2, 2, t.second)) {
            return false;
        }
        if (c.eat_any(".,")) {
            int ignored;
            if (!c.digits(1, 9, ignored)) {
                return false;
            }
            while (!c.done() && c.s[c.i] >= '0' && c.s[c.i] <= '9') {
                ++c.i;
            }
        }
    }
    if (c.eat_any("Zz")) {
        t.has_offset = true;
        return true;
    }
    if (c.peek('+') || c.peek('-')) {
        const int sign = c.s[c.i] == '-' ? -1 : 1;
        ++c.i;
        int oh = 0;
        int om = 0;
        if (!c.digits(2, 2, oh)) {
            return false;
        }
        c.eat(':');
        if (!c.done() && !c.digits(2, 2, om)) {
            return false;
        }
        if (oh > 23 || om > 59) {
            return false;
        }
        t.has_offset = true;
        t.offset_seconds = sign * (oh * 3600 + om * 60);
    }
    return true;
}

// An optional clock after a date: "T" or one or more spaces, then parse_clock.
bool parse_optional_clock(Cursor& c, Civil& t) {
    if (c.done()) {
        return true;
    }
    if (!c.eat_any("Tt")) {
        if (!c.eat(' ')) {
            return false;
        }
        while (c.eat(' ')) {
        }
    }
    return parse_clock(c, t);
}

bool parse_calendar(std::string_view s, Civil& t) {
    Cursor c{s};
    int a = 0;
    if (!c.digits(1, 4, a)) {
        return false;
    }
    const std::size_t first_width = c.i;
    if (c.eat('-')) {
        // ISO: YYYY-MM-DD.
        if (first_width != 4 || !c.digits(1, 2, t.month) || !c.eat('-') || !c.digits(1, 2, t.day)) {
            return false;
        }
        t.year = a;
    } else if (c.eat('/')) {
        int b = 0;
        int d = 0;
        if (!c.digits(1, 2, b) || !c.eat('/')) {
            return false;
        }
        const std::size_t third_begin = c.i;
        if (!c.digits(1, 4, d)) {
            return false;
        }
        if (first_width == 4) {
            t.year = a;  // YYYY/MM/DD
            t.month = b;
            t.day = d;
        } else {
            if (c.i - third_begin != 4) {
                return false;  // two-digit years are ambiguous
            }
            t.month = a;  // M/D/YYYY, the US order of UCI's Online Retail
            t.day = b;
            t.year = d;
        }
    } else {
        return false;
    }
    if (!parse_optional_clock(c, t) || !c.done()) {
        return false;
    }
    return t.month >= 1 && t.month <= 12 && t.day >= 1 && t.day <= days_in_month(t.year, t.month) &&
           t.hour <= 23 && t.minute <= 59 && t.second <= 59;
}

template <typename ToUtc>
ParsedTime parse_with(std::string_view text, ToUtc to_utc) {
    ParsedTime out;
    std::string_view s = trim(text);
    if (s.empty() || parse_epoch(s, out)) {
        return out;
    }
    Civil t;
    if (!parse_calendar(s, t)) {
        return out;
    }
    const std::int64_t local =
        days_from_civil(t.year, static_cast<unsigned>(t.month), static_cast<unsigned>(t.day)) *
            kSecondsPerDay +
        t.hour * 3600 + t.minute * 60 + t.second;
    out.utc = t.has_offset ? local - t.offset_seconds : to_utc(local);
    out.ok = true;
    return out;
}

}  // namespace

Seconds LocalTimeConverter::to_utc(std::int64_t local_seconds) {
    if (tz_.is_utc()) {
        return local_seconds;
    }
    if (!has_last_ || local_seconds != last_local_) {
        last_local_ = local_seconds;
        last_utc_ = tz_.to_utc(local_seconds);
        has_last_ = true;
    }
    return last_utc_;
}

ParsedTime parse_timestamp(std::string_view text, const TimeZone& tz) {
    return parse_with(text, [&tz](std::int64_t local) { return tz.to_utc(local); });
}

ParsedTime parse_timestamp(std::string_view text, LocalTimeConverter& converter) {
    return parse_with(text, [&converter](std::int64_t local) { return converter.to_utc(local); });
}

}  // namespace sextant
