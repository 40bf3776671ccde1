// Turns the fields of one record into an Event, or into a row error saying what is wrong.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "sextant/data/event.h"
#include "sextant/data/ingest.h"
#include "sextant/data/layout.h"
#include "sextant/data/timestamp.h"

namespace sextant {

// Parses a number as std::from_chars does (a leading '+' is allowed); false for anything else,
// including an empty text, "inf" and "nan".
bool parse_number(std::string_view text, double& out);

// Text without surrounding spaces and tabs.
std::string_view trim_blanks(std::string_view text);

// Not thread-safe: one per reader.
class RowMapper {
public:
    RowMapper(ColumnMap columns, const std::vector<std::string>& names,
              const IngestOptions& options);

    // Fills `event` from `fields` (one per name, as written). IDs are kept as written, less
    // surrounding spaces. Returns false and fills error's column, message and reason for a row
    // without a user ("missing user"), with an empty or unreadable time ("bad time"), or with a
    // value that is not a number ("bad value"). An empty value is no value (NaN); an empty name
    // is the layout's fixed name.
    bool map(const std::vector<std::string_view>& fields, Event& event, RowError& error);

    const ColumnMap& columns() const { return columns_; }

    // "seconds", "milliseconds", "seconds and milliseconds", or "" when no time was an epoch.
    std::string epoch_unit() const;

private:
    bool read_value(std::string_view text, int column, double& out, RowError& error) const;

    ColumnMap columns_;
    std::vector<std::string> names_;
    LocalTimeConverter converter_;
    bool saw_seconds_ = false;
    bool saw_milliseconds_ = false;
};

}  // namespace sextant
