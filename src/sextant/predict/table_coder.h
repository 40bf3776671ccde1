// Internal to predict/table*.cpp: the helpers and steps that fitting and applying share.
#pragma once

#include <xxhash.h>

#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sextant/core/error.h"
#include "sextant/predict/table.h"

namespace sextant {
namespace table_detail {

constexpr double kMissing = std::numeric_limits<double>::quiet_NaN();
constexpr std::string_view kUnknown = "__unknown__";

inline std::string_view trim(std::string_view s) {
    const std::size_t b = s.find_first_not_of(" \t");
    if (b == std::string_view::npos) {
        return {};
    }
    const std::size_t e = s.find_last_not_of(" \t");
    return s.substr(b, e - b + 1);
}

inline std::string quote_text(std::string_view s) {
    std::string out;
    out.reserve(s.size() + 2);
    out.push_back('"');
    out.append(s);
    out.push_back('"');
    return out;
}

inline std::string with_commas(std::uint64_t n) {
    const std::string digits = std::to_string(n);
    std::string out;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (digits.size() - i) % 3 == 0) {
            out.push_back(',');
        }
        out.push_back(digits[i]);
    }
    return out;
}

// Four significant digits, for the report ("36.00266666" -> "36", "0.000123456" -> "0.0001235"):
// what a reader needs to check a choice, not the value the encoder keeps.
inline std::string display_number(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.4g", v);
    return buf;
}

inline std::uint64_t text_hash(std::string_view s) {
    return XXH3_64bits(s.data(), s.size());
}

inline std::string column_list(const RawTable& table) {
    std::string out = "(columns: ";
    for (std::size_t c = 0; c < table.columns.size(); ++c) {
        out += (c > 0 ? ", " : "") + table.columns[c];
    }
    return out + ")";
}

// "customers.csv:1: " for problems of a whole column (the header line, when there is one).
inline std::string at_header(const RawTable& table) {
    return table.source + ":" +
           (table.header_line > 0 ? std::to_string(table.header_line) + ": " : " ");
}

inline std::string at_cell(const RawTable& table, std::size_t row, std::string_view column) {
    return table.source + ":" + std::to_string(table.lines[row]) + ": column " +
           quote_text(column) + ": ";
}

inline std::size_t require_column(const RawTable& table, const std::string& name,
                                  std::string_view what) {
    const auto c = table.find(name);
    if (!c) {
        throw_invalid(at_header(table) + "unknown " + std::string(what) + " column " +
                      quote_text(name) + " " + column_list(table));
    }
    return *c;
}

inline ColumnReport column_entry(const std::string& name, std::string_view role, ColumnType type,
                                 const std::string& reason) {
    ColumnReport c;
    c.name = name;
    c.role = role;
    c.type = type;
    c.reason = reason;
    return c;
}

inline std::vector<std::string> features_of(const TableEncoder::Column& column) {
    std::vector<std::string> names;
    if (column.type != ColumnType::kCategorical) {
        names.push_back(column.name);
    } else if (column.encoding == CategoryEncoding::kOneHot) {
        for (const std::string& v : column.categories) {
            names.push_back(column.name + "=" + v);
        }
        names.push_back(column.name + "=" + std::string(kUnknown));
    } else {
        for (std::size_t b = 0; b < column.n_buckets; ++b) {
            names.push_back(column.name + "#" + std::to_string(b));
        }
        names.push_back(column.name + "#" + std::string(kUnknown));
    }
    if (column.missing_indicator) {
        names.push_back(column.name + "_missing");
    }
    return names;
}

// Raw numeric values of a column on the given rows, NaN for missing; a present value that is not
// a number is refused.
inline std::vector<double> numeric_values(const RawTable& table, std::size_t c,
                                          const std::vector<std::size_t>& rows) {
    std::vector<double> out;
    out.reserve(rows.size());
    for (std::size_t r : rows) {
        const std::string& cell = table.values[c][r];
        if (is_missing_cell(cell)) {
            out.push_back(kMissing);
            continue;
        }
        const auto v = parse_number_cell(cell);
        if (!v) {
            throw_invalid(at_cell(table, r, table.columns[c]) + "cannot read " +
                          quote_text(trim(cell)) + " as a number");
        }
        out.push_back(*v);
    }
    return out;
}

inline std::vector<double> boolean_values(const RawTable& table, std::size_t c,
                                          const std::vector<std::size_t>& rows) {
    std::vector<double> out;
    out.reserve(rows.size());
    for (std::size_t r : rows) {
        const std::string& cell = table.values[c][r];
        if (is_missing_cell(cell)) {
            out.push_back(kMissing);
            continue;
        }
        const auto b = parse_bool_cell(cell);
        if (!b) {
            throw_invalid(at_cell(table, r, table.columns[c]) + "cannot read " +
                          quote_text(trim(cell)) +
                          " as a boolean (true/false, yes/no, y/n, t/f or 1/0)");
        }
        out.push_back(*b ? 1 : 0);
    }
    return out;
}

inline std::size_t count_missing(std::span<const double> values) {
    return static_cast<std::size_t>(
        std::count_if(values.begin(), values.end(), [](double v) { return std::isnan(v); }));
}

// The type of a column from its present values, and the sentence that says why.

}  // namespace table_detail

// The steps shared by fitting and applying; a class so that it may touch the encoder's state.
class TableCoder {
public:
    static FittedTable fit(const RawTable& table, const TableOptions& options);
    static EncodedTable apply(const TableEncoder& encoder, const RawTable& table);

private:
    struct Rows {
        std::vector<std::size_t> index;  // rows of the table that are kept, in file order
        std::optional<std::vector<std::uint8_t>> labels;
        std::uint64_t n_dropped = 0;
    };

    static void fit_target(TableEncoder& encoder, const RawTable& table, std::size_t c,
                           const TableOptions& options, TableReport& report);
    static Rows select_rows(const TableEncoder& encoder, const RawTable& table,
                            std::optional<std::size_t> target);
    static std::vector<std::string> check_ids(const RawTable& table, std::size_t c,
                                              const std::vector<std::size_t>& rows);
    static TableEncoder::Column fit_column(const RawTable& table, std::size_t c,
                                           const std::vector<std::size_t>& rows,
                                           const TableOptions& options);
    static void fit_knn(TableEncoder& encoder, const RawTable& table,
                        const std::vector<std::size_t>& rows, const TableOptions& options);
    static std::vector<double> imputed_numeric(const TableEncoder& encoder, std::size_t k,
                                               const RawTable& table,
                                               const std::vector<std::size_t>& columns,
                                               const std::vector<std::size_t>& rows,
                                               ColumnReport& report);
};

}  // namespace sextant
