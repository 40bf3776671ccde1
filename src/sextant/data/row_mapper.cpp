#include "sextant/data/row_mapper.h"

#include <charconv>
#include <cmath>
#include <utility>

namespace sextant {
namespace {

constexpr std::size_t kMaxQuoted = 60;

// The text for a message: quoted, and cut short when long.
std::string shown(std::string_view text) {
    std::string out = "\"";
    out.append(text.substr(0, kMaxQuoted));
    out.append(text.size() > kMaxQuoted ? "...\"" : "\"");
    return out;
}

void fail(RowError& error, const std::string& column, std::string message, const char* reason) {
    error.column = column;
    error.message = std::move(message);
    error.reason = reason;
}

}  // namespace

std::string_view trim_blanks(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) {
        text.remove_prefix(1);
    }
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) {
        text.remove_suffix(1);
    }
    return text;
}

bool parse_number(std::string_view text, double& out) {
    if (!text.empty() && text.front() == '+') {
        text.remove_prefix(1);
    }
    if (text.empty()) {
        return false;
    }
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    return ec == std::errc() && end == text.data() + text.size() && std::isfinite(out);
}

RowMapper::RowMapper(ColumnMap columns, const std::vector<std::string>& names,
                     const IngestOptions& options)
    : columns_(std::move(columns)), names_(names), converter_(options.tz) {}

bool RowMapper::read_value(std::string_view text, int column, double& out, RowError& error) const {
    text = trim_blanks(text);
    if (text.empty()) {
        out = std::nan("");
        return true;
    }
    if (!parse_number(text, out)) {
        fail(error, names_[column], "cannot read " + shown(text) + " as a number", "bad value");
        return false;
    }
    return true;
}

bool RowMapper::map(const std::vector<std::string_view>& fields, Event& event, RowError& error) {
    const ColumnMap& c = columns_;

    std::string_view user = trim_blanks(fields[c.user]);
    if (user.empty()) {
        fail(error, names_[c.user], "missing user", "missing user");
        return false;
    }

    std::string_view time = trim_blanks(fields[c.time]);
    if (time.empty()) {
        fail(error, names_[c.time], "missing time", "bad time");
        return false;
    }
    ParsedTime t = parse_timestamp(time, converter_);
    if (!t.ok) {
        fail(error, names_[c.time], "cannot read " + shown(time) + " as a time", "bad time");
        return false;
    }

    double value = std::nan("");
    if (c.value != kNoColumn) {
        if (!read_value(fields[c.value], c.value, value, error)) {
            return false;
        }
        if (c.value_factor != kNoColumn) {
            double factor = 0;
            if (!read_value(fields[c.value_factor], c.value_factor, factor, error)) {
                return false;
            }
            value *= factor;
        }
    }

    saw_seconds_ = saw_seconds_ || t.epoch == EpochUnit::kSeconds;
    saw_milliseconds_ = saw_milliseconds_ || t.epoch == EpochUnit::kMilliseconds;
    event.user.assign(user);
    event.time = t.utc;
    event.value = value;
    event.item.assign(c.item == kNoColumn ? std::string_view() : trim_blanks(fields[c.item]));
    event.id.assign(c.id == kNoColumn ? std::string_view() : trim_blanks(fields[c.id]));
    std::string_view name = c.name == kNoColumn ? std::string_view() : trim_blanks(fields[c.name]);
    event.name.assign(name.empty() ? std::string_view(c.fixed_name) : name);
    return true;
}

std::string RowMapper::epoch_unit() const {
    if (saw_seconds_ && saw_milliseconds_) {
        return "seconds and milliseconds";
    }
    if (saw_seconds_) {
        return "seconds";
    }
    return saw_milliseconds_ ? "milliseconds" : "";
}

}  // namespace sextant
