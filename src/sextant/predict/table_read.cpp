// Reading a customer table into text cells, and the rules for one cell (see predict/table.h).
#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <map>

#include "sextant/core/error.h"
#include "sextant/data/csv_reader.h"
#include "sextant/data/encoding.h"
#include "sextant/data/input_file.h"
#include "sextant/predict/table.h"
#include "sextant/predict/table_coder.h"

namespace sextant {
namespace {

constexpr std::size_t kHeadBytes = 64 * 1024;

using table_detail::trim;

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

std::string at_line(const std::string& source, std::uint64_t line) {
    return source + ":" + std::to_string(line) + ": ";
}

void check_record(const CsvRecord& record, const std::string& source) {
    if (record.unterminated_quote) {
        throw_invalid(at_line(source, record.line) + "a quoted field is never closed");
    }
    const std::size_t bad = find_invalid_utf8(record.raw);
    if (bad != std::string_view::npos) {
        throw_invalid(at_line(source, record.line) + "invalid UTF-8 at byte " +
                      std::to_string(bad + 1) +
                      " of the record (read it as latin1 or cp1252 if the file is not UTF-8)");
    }
}

std::vector<std::string> header_names(const CsvRecord& record, const std::string& source) {
    std::vector<std::string> names;
    std::map<std::string, std::size_t> seen;  // name -> 1-based field
    for (std::size_t i = 0; i < record.fields.size(); ++i) {
        std::string name(trim(record.fields[i]));
        if (name.empty()) {
            name = std::string(1, '#').append(std::to_string(i + 1));
        }
        auto [it, fresh] = seen.emplace(name, i + 1);
        if (!fresh) {
            throw_invalid(at_line(source, record.line) + "column \"" + name +
                          "\" appears twice (fields " + std::to_string(it->second) + " and " +
                          std::to_string(i + 1) + ")");
        }
        names.push_back(std::move(name));
    }
    return names;
}

RawTable read_from(ByteSource& bytes, const std::string& source, const TableReadOptions& options) {
    CsvReader csv(bytes);
    CsvDialect dialect;
    dialect.delimiter =
        options.delimiter != 0 ? options.delimiter : sniff_delimiter(csv.peek(kHeadBytes));
    dialect.double_delimiter = options.double_delimiter;
    csv.set_dialect(dialect);

    RawTable table;
    table.source = source;
    CsvRecord record;
    if (options.column_names.empty()) {
        if (!csv.next(record)) {
            throw_invalid(source + ": the file is empty (a header line was expected)");
        }
        check_record(record, source);
        table.header_line = record.line;
        table.columns = header_names(record, source);
    } else {
        table.columns = options.column_names;
        std::vector<std::string> sorted = table.columns;
        std::sort(sorted.begin(), sorted.end());
        const auto twice = std::adjacent_find(sorted.begin(), sorted.end());
        if (twice != sorted.end()) {
            throw_invalid("column name \"" + *twice + "\" is given twice");
        }
    }
    const std::size_t n_columns = table.columns.size();
    table.values.resize(n_columns);

    while (csv.next(record)) {
        check_record(record, source);
        if (record.fields.size() != n_columns) {
            throw_invalid(at_line(source, record.line) + "row has " +
                          std::to_string(record.fields.size()) + " fields, the " +
                          (table.header_line > 0 ? "header has " : "column names give ") +
                          std::to_string(n_columns));
        }
        for (std::size_t c = 0; c < n_columns; ++c) {
            table.values[c].emplace_back(record.fields[c]);
        }
        table.lines.push_back(record.line);
    }
    if (table.lines.empty()) {
        throw_invalid(source + ": the file has no data rows");
    }
    return table;
}

}  // namespace

std::string_view to_string(ColumnType type) {
    switch (type) {
        case ColumnType::kNumeric:
            return "numeric";
        case ColumnType::kBoolean:
            return "boolean";
        case ColumnType::kCategorical:
            return "categorical";
    }
    return "categorical";
}

std::string_view to_string(Imputation imputation) {
    switch (imputation) {
        case Imputation::kMean:
            return "mean";
        case Imputation::kMedian:
            return "median";
        case Imputation::kMode:
            return "mode";
        case Imputation::kForwardFill:
            return "ffill";
        case Imputation::kBackwardFill:
            return "bfill";
        case Imputation::kKnn:
            return "knn";
    }
    return "median";
}

std::string_view to_string(Scaling scaling) {
    return scaling == Scaling::kMinMax ? "minmax" : "zscore";
}

std::string_view to_string(CategoryEncoding encoding) {
    return encoding == CategoryEncoding::kHashed ? "hashed" : "onehot";
}

ColumnType parse_column_type(std::string_view name) {
    const std::string s = lower(name);
    if (s == "numeric") {
        return ColumnType::kNumeric;
    }
    if (s == "boolean") {
        return ColumnType::kBoolean;
    }
    if (s == "categorical") {
        return ColumnType::kCategorical;
    }
    throw_invalid("unknown column type \"" + std::string(name) +
                  "\" (expected numeric, boolean or categorical)");
}

Imputation parse_imputation(std::string_view name) {
    const std::string s = lower(name);
    for (Imputation i : {Imputation::kMean, Imputation::kMedian, Imputation::kMode,
                         Imputation::kForwardFill, Imputation::kBackwardFill, Imputation::kKnn}) {
        if (s == to_string(i)) {
            return i;
        }
    }
    throw_invalid("unknown imputation \"" + std::string(name) +
                  "\" (expected mean, median, mode, ffill, bfill or knn)");
}

Scaling parse_scaling(std::string_view name) {
    const std::string s = lower(name);
    if (s == "zscore" || s == "z-score") {
        return Scaling::kZScore;
    }
    if (s == "minmax" || s == "min-max") {
        return Scaling::kMinMax;
    }
    throw_invalid("unknown scaling \"" + std::string(name) + "\" (expected zscore or minmax)");
}

bool is_missing_cell(std::string_view cell) {
    const std::string s = lower(trim(cell));
    return s.empty() || s == "na" || s == "n/a" || s == "#n/a" || s == "null" || s == "nan" ||
           s == "none" || s == "?" || s == "-";
}

std::optional<bool> parse_bool_cell(std::string_view cell) {
    const std::string s = lower(trim(cell));
    if (s == "true" || s == "yes" || s == "y" || s == "t" || s == "1") {
        return true;
    }
    if (s == "false" || s == "no" || s == "n" || s == "f" || s == "0") {
        return false;
    }
    return std::nullopt;
}

std::optional<double> parse_number_cell(std::string_view cell) {
    std::string_view s = trim(cell);
    if (!s.empty() && s[0] == '+') {
        s.remove_prefix(1);
    }
    // from_chars takes no leading '+' (a second one is refused here too) and no spaces.
    if (s.empty() || s[0] == '+' || s[0] == ' ') {
        return std::nullopt;
    }
    double value = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
    if (ec != std::errc() || end != s.data() + s.size() || !std::isfinite(value)) {
        return std::nullopt;
    }
    return value;
}

std::optional<std::size_t> RawTable::find(std::string_view name) const {
    auto it = std::find(columns.begin(), columns.end(), name);
    if (it == columns.end()) {
        return std::nullopt;
    }
    return static_cast<std::size_t>(it - columns.begin());
}

RawTable read_table(const std::string& path, const TableReadOptions& options) {
    InputFile file(path, options.encoding);
    return read_from(file, path, options);
}

RawTable parse_table(std::string_view text, const std::string& source,
                     const TableReadOptions& options) {
    StringSource bytes(text);
    return read_from(bytes, source, options);
}

}  // namespace sextant
