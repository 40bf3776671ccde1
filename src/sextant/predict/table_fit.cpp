// Fitting the table encoder (definitions in predict/table.h).
#include <algorithm>
#include <cmath>
#include <map>

#include "sextant/core/log.h"
#include "sextant/predict/table_coder.h"
#include "sextant/predict/table_impute.h"

namespace sextant {
namespace {

using namespace table_detail;

std::pair<ColumnType, std::string> infer_type(const RawTable& table, std::size_t c,
                                              const std::vector<std::size_t>& rows) {
    std::size_t n_present = 0;
    std::size_t n_bool = 0;
    std::size_t n_number = 0;
    std::optional<std::size_t> first_text;  // row of the first value that is not a number
    for (std::size_t r : rows) {
        const std::string& cell = table.values[c][r];
        if (is_missing_cell(cell)) {
            continue;
        }
        ++n_present;
        n_bool += parse_bool_cell(cell) ? 1 : 0;
        if (parse_number_cell(cell)) {
            ++n_number;
        } else if (!first_text) {
            first_text = r;
        }
    }
    const std::size_t n_missing = rows.size() - n_present;
    const std::string missing_note =
        n_missing > 0 ? " (" + with_commas(n_missing) + " missing)" : std::string();
    if (n_bool == n_present) {
        return {ColumnType::kBoolean, "boolean: all " + with_commas(n_present) +
                                          " present values are true/false, " +
                                          "yes/no, y/n, t/f or 1/0 words" + missing_note};
    }
    if (n_number == n_present) {
        return {ColumnType::kNumeric, "numeric: " + with_commas(n_number) + " of " +
                                          with_commas(rows.size()) + " values parse as numbers" +
                                          missing_note};
    }
    // A column of numbers with a stray word or typo ("12,50") is a numeric column with a bad
    // cell, not a column of categories: read as categories, every number would become a level
    // of its own. Say where the cell is instead of guessing. Codes with a share of other forms
    // (MovieLens' zip codes: 1.1% ZIP+4) stay categories.
    if (n_number >= 20 && (n_present - n_number) * 200 <= n_present) {
        throw_invalid(at_cell(table, *first_text, table.columns[c]) +
                      quote_text(trim(table.values[c][*first_text])) + " is not a number, unlike " +
                      with_commas(n_number) + " of the column's " + with_commas(n_present) +
                      " values; correct it, write it as missing (NA), or read the column as "
                      "categories with --type " +
                      table.columns[c] + "=categorical");
    }
    return {ColumnType::kCategorical,
            "categorical: " + with_commas(n_present - n_number) + " of " + with_commas(n_present) +
                " present values are not numbers (first " +
                quote_text(trim(table.values[c][*first_text])) + " on line " +
                std::to_string(table.lines[*first_text]) + ")" + missing_note};
}

}  // namespace

using namespace table_detail;

void TableCoder::fit_target(TableEncoder& encoder, const RawTable& table, std::size_t c,
                            const TableOptions& options, TableReport& report) {
    // Classes by their trimmed text, with counts; booleans also by their truth value.
    std::map<std::string, std::uint64_t> counts;
    bool all_boolean = true;
    std::uint64_t n_true = 0;
    std::uint64_t n_false = 0;
    std::string true_text;
    std::string false_text;
    for (const std::string& cell : table.values[c]) {
        if (is_missing_cell(cell)) {
            continue;
        }
        const std::string text(trim(cell));
        ++counts[text];
        const auto b = parse_bool_cell(text);
        all_boolean = all_boolean && b.has_value();
        if (b) {
            // The first word seen of each truth value names that class in messages.
            std::string& seen_text = *b ? true_text : false_text;
            seen_text = seen_text.empty() ? text : seen_text;
            ++(*b ? n_true : n_false);
        }
    }
    const std::string name = table.columns[c];
    if (counts.empty()) {
        throw_invalid(at_header(table) + "target column " + quote_text(name) +
                      " is missing on every row (" + with_commas(table.n_rows()) + " rows)");
    }

    encoder.target_ = name;
    if (all_boolean) {
        if (n_true == 0 || n_false == 0) {
            throw_invalid(at_header(table) + "target column " + quote_text(name) +
                          " has a single class " + quote_text(n_true > 0 ? true_text : false_text) +
                          " (" + with_commas(n_true + n_false) +
                          " rows); a binary target needs two");
        }
        // The true word is positive unless the caller names a false word.
        const auto given = parse_bool_cell(options.positive_label);
        if (!options.positive_label.empty() && !given) {
            throw_invalid("positive label " + quote_text(options.positive_label) +
                          " is not a class of target column " + quote_text(name) + " (classes: " +
                          quote_text(true_text) + ", " + quote_text(false_text) + ")");
        }
        const bool positive_true = given.value_or(true);
        encoder.boolean_target_ = true;
        encoder.positive_label_ = positive_true ? true_text : false_text;
        encoder.negative_label_ = positive_true ? false_text : true_text;
        report.positive_rule = options.positive_label.empty()
                                   ? "boolean target: the true word is positive"
                                   : "boolean target: positive class given";
        return;
    }

    if (counts.size() != 2) {
        std::string classes;
        std::size_t shown = 0;
        for (const auto& [text, n] : counts) {
            if (shown++ == 5) {
                classes += ", ...";
                break;
            }
            classes += (shown > 1 ? ", " : "") + quote_text(text);
        }
        if (counts.size() == 1) {
            throw_invalid(at_header(table) + "target column " + quote_text(name) +
                          " has a single class " + classes + " (" +
                          with_commas(counts.begin()->second) +
                          " rows); a binary target needs two");
        }
        throw_invalid(at_header(table) + "target column " + quote_text(name) + " has " +
                      with_commas(counts.size()) + " classes (" + classes +
                      "); a binary target needs two");
    }

    const auto& [a, n_a] = *counts.begin();
    const auto& [b, n_b] = *counts.rbegin();
    std::string positive;
    if (!options.positive_label.empty()) {
        positive = std::string(trim(options.positive_label));
        if (positive != a && positive != b) {
            throw_invalid("positive label " + quote_text(positive) +
                          " is not a class of target column " + quote_text(name) +
                          " (classes: " + quote_text(a) + ", " + quote_text(b) + ")");
        }
        report.positive_rule = "positive class given";
    } else if (n_a != n_b) {
        positive = n_a < n_b ? a : b;
        report.positive_rule = "the minority class is positive";
    } else {
        positive = b;
        report.positive_rule = "equal classes: the one that sorts last is positive";
    }
    encoder.positive_label_ = positive;
    encoder.negative_label_ = positive == a ? b : a;
}

TableEncoder::Column TableCoder::fit_column(const RawTable& table, std::size_t c,
                                            const std::vector<std::size_t>& rows,
                                            const TableOptions& options) {
    TableEncoder::Column column;
    column.name = table.columns[c];
    const auto type = options.types.find(column.name);
    if (type != options.types.end()) {
        column.type = type->second;
        column.reason = std::string(to_string(column.type)) + ": set by the caller";
    } else {
        std::tie(column.type, column.reason) = infer_type(table, c, rows);
    }
    const auto strategy = options.column_imputation.find(column.name);
    column.imputation =
        strategy != options.column_imputation.end() ? strategy->second : options.imputation;
    if (column.type != ColumnType::kNumeric) {
        if (strategy != options.column_imputation.end() && strategy->second != Imputation::kMode) {
            throw_invalid("column " + quote_text(column.name) + " is " +
                          std::string(to_string(column.type)) +
                          ": it can only be imputed with mode, not " +
                          std::string(to_string(strategy->second)));
        }
        column.imputation = Imputation::kMode;
    }

    if (column.type == ColumnType::kNumeric) {
        const std::vector<double> values = numeric_values(table, c, rows);
        column.missing_indicator = count_missing(values) > 0;
        column.median = present_median(values);
        column.mean = present_mean(values);
        switch (column.imputation) {
            case Imputation::kMean:
                column.fill = present_mean(values);
                break;
            case Imputation::kMode:
                column.fill = present_mode(values);
                break;
            default:
                column.fill = column.median;
                break;
        }
        column.scaling = options.scaling;
        return column;
    }

    if (column.type == ColumnType::kBoolean) {
        const std::vector<double> values = boolean_values(table, c, rows);
        column.missing_indicator = count_missing(values) > 0;
        const auto n_true = std::count(values.begin(), values.end(), 1.0);
        const auto n_false = std::count(values.begin(), values.end(), 0.0);
        column.fill = n_true > n_false ? 1 : 0;
        column.n_categories = (n_true > 0 ? 1 : 0) + (n_false > 0 ? 1 : 0);
        return column;
    }

    std::map<std::string, std::uint64_t> counts;
    for (std::size_t r : rows) {
        const std::string& cell = table.values[c][r];
        if (is_missing_cell(cell)) {
            column.missing_indicator = true;
        } else {
            ++counts[std::string(trim(cell))];
        }
    }
    std::uint64_t best = 0;
    for (const auto& [text, n] : counts) {
        if (n > best) {  // strictly more: ties go to the text that sorts first
            best = n;
            column.fill_text = text;
        }
    }
    column.n_categories = counts.size();
    if (counts.size() <= options.max_onehot) {
        column.encoding = CategoryEncoding::kOneHot;
        for (const auto& entry : counts) {
            column.categories.push_back(entry.first);
        }
    } else {
        column.encoding = CategoryEncoding::kHashed;
        column.n_buckets = options.hash_buckets;
        for (const auto& entry : counts) {
            column.seen.push_back(text_hash(entry.first));
        }
        std::sort(column.seen.begin(), column.seen.end());
        column.seen.erase(std::unique(column.seen.begin(), column.seen.end()), column.seen.end());
    }
    return column;
}

void TableCoder::fit_knn(TableEncoder& encoder, const RawTable& table,
                         const std::vector<std::size_t>& rows, const TableOptions& options) {
    TableEncoder::KnnReference knn;
    knn.k = options.knn_k;
    std::vector<std::vector<double>> columns;
    for (std::size_t i = 0; i < encoder.columns_.size(); ++i) {
        if (encoder.columns_[i].type != ColumnType::kNumeric) {
            continue;
        }
        std::vector<double> values =
            numeric_values(table, *table.find(encoder.columns_[i].name), rows);
        const double mean = present_mean(values);
        knn.columns.push_back(i);
        knn.means.push_back(mean);
        knn.stds.push_back(present_std(values, mean));
        columns.push_back(std::move(values));
    }

    // Evenly spaced reference rows keep the file's spread when the table is larger than the cap.
    const std::size_t n = rows.size();
    const std::size_t n_reference = std::min(n, options.knn_max_reference);
    knn.values.reserve(n_reference * columns.size());
    for (std::size_t i = 0; i < n_reference; ++i) {
        const std::size_t r = n_reference == n ? i : i * n / n_reference;
        for (const std::vector<double>& values : columns) {
            knn.values.push_back(values[r]);
        }
    }
    encoder.knn_ = std::move(knn);
}

namespace {

// Rows needed before a column of all-distinct values is taken for an id.
constexpr std::size_t kMinRowsForIdCheck = 20;

// Whether column c's present values (on `rows`) are distinct whole numbers that rise with the
// row order nearly always (at least 95% of consecutive pairs): a row number or a sequential id.
bool rises_with_row_order(const RawTable& table, std::size_t c,
                          const std::vector<std::size_t>& rows) {
    std::vector<double> values;
    for (std::size_t r : rows) {
        if (auto v = parse_number_cell(table.values[c][r])) {
            if (*v != std::floor(*v)) {
                return false;
            }
            values.push_back(*v);
        }
    }
    if (values.size() < kMinRowsForIdCheck) {
        return false;
    }
    std::size_t rising = 0;
    for (std::size_t i = 1; i < values.size(); ++i) {
        rising += values[i] > values[i - 1] ? 1 : 0;
    }
    std::vector<double> sorted = values;
    std::sort(sorted.begin(), sorted.end());
    bool distinct = std::adjacent_find(sorted.begin(), sorted.end()) == sorted.end();
    return distinct && rising >= (values.size() - 1) * 95 / 100;
}

}  // namespace

FittedTable TableCoder::fit(const RawTable& table, const TableOptions& options) {
    if (options.target.empty()) {
        throw_invalid("no target column given");
    }
    if (options.knn_k == 0 || options.knn_max_reference == 0 || options.hash_buckets == 0) {
        throw_invalid("knn_k, knn_max_reference and hash_buckets must each be at least 1");
    }
    TableEncoder encoder;
    TableReport fit_report;
    const std::size_t target = require_column(table, options.target, "target");
    std::optional<std::size_t> id;
    if (!options.id.empty()) {
        id = require_column(table, options.id, "id");
        if (*id == target) {
            throw_invalid("column " + quote_text(options.id) +
                          " cannot be both the id and the target");
        }
        encoder.id_ = options.id;
    }
    auto check_override = [&](const std::string& name, std::string_view what) {
        const std::size_t c = require_column(table, name, what);
        if (c == target || (id && c == *id)) {
            throw_invalid("column " + quote_text(name) + " is the " +
                          (c == target ? "target" : "id") + "; it takes no " + std::string(what));
        }
    };
    for (const auto& entry : options.types) {
        check_override(entry.first, "type override");
    }
    for (const auto& entry : options.column_imputation) {
        check_override(entry.first, "imputation override");
    }
    // Left-out columns: named by the caller, or found to be ids in disguise below.
    std::vector<std::pair<std::size_t, std::string>> left_out;
    for (const std::string& name : options.ignore) {
        check_override(name, "--ignore");
        left_out.emplace_back(*table.find(name), "left out as asked");
    }
    auto is_left_out = [&](std::size_t c) {
        return std::any_of(left_out.begin(), left_out.end(),
                           [&](const auto& entry) { return entry.first == c; });
    };

    fit_target(encoder, table, target, options, fit_report);
    const Rows rows = select_rows(encoder, table, target);

    // Feature columns, in file order. An entirely missing one is refused: it carries nothing and
    // usually means a wrong file or delimiter.
    for (std::size_t c = 0; c < table.columns.size(); ++c) {
        if (c == target || (id && c == *id) || is_left_out(c)) {
            continue;
        }
        const bool all_missing =
            std::all_of(rows.index.begin(), rows.index.end(),
                        [&](std::size_t r) { return is_missing_cell(table.values[c][r]); });
        if (all_missing) {
            throw_invalid(at_header(table) + "column " + quote_text(table.columns[c]) +
                          " is entirely missing (all " + with_commas(rows.index.size()) + " rows)");
        }
        TableEncoder::Column column = fit_column(table, c, rows.index, options);
        const std::string name = quote_text(table.columns[c]);
        if (column.type == ColumnType::kCategorical && rows.index.size() >= kMinRowsForIdCheck &&
            column.n_categories == rows.index.size()) {
            std::string why = "a different value on every row, like an id";
            if (options.warn) {
                log::warn(table.source + ": column " + name + " has " + why +
                          ": left out (name it with --id to use it as the id)");
            }
            left_out.emplace_back(c, why);
            continue;
        }
        if (options.warn && column.type == ColumnType::kNumeric &&
            rows.index.size() >= kMinRowsForIdCheck && rises_with_row_order(table, c, rows.index)) {
            log::warn(table.source + ": column " + name +
                      " holds distinct whole numbers rising with the rows, like a row number or "
                      "a sequential id; it is used as a feature, so it carries the file's order "
                      "(leave it out with --ignore " +
                      table.columns[c] + " if that order means nothing)");
        }
        encoder.columns_.push_back(std::move(column));
    }

    const bool any_knn =
        std::any_of(encoder.columns_.begin(), encoder.columns_.end(), [](const auto& col) {
            return col.type == ColumnType::kNumeric && col.imputation == Imputation::kKnn;
        });
    if (any_knn) {
        fit_knn(encoder, table, rows.index, options);
    }

    // Scaling is fitted on the imputed training values: those are what the model sees.
    std::vector<std::size_t> positions;
    for (const TableEncoder::Column& column : encoder.columns_) {
        positions.push_back(*table.find(column.name));
    }
    for (std::size_t k = 0; k < encoder.columns_.size(); ++k) {
        TableEncoder::Column& column = encoder.columns_[k];
        if (column.type != ColumnType::kNumeric) {
            continue;
        }
        ColumnReport scratch;
        const std::vector<double> values =
            imputed_numeric(encoder, k, table, positions, rows.index, scratch);
        if (column.scaling == Scaling::kZScore) {
            column.offset = present_mean(values);
            const double std = present_std(values, column.offset);
            column.divisor = std > 0 ? std : 1;
        } else {
            const auto [lo, hi] = std::minmax_element(values.begin(), values.end());
            column.offset = *lo;
            column.divisor = *hi > *lo ? *hi - *lo : 1;
        }
        if (!std::isfinite(column.offset) || !std::isfinite(column.divisor)) {
            std::size_t largest = 0;
            for (std::size_t i = 0; i < values.size(); ++i) {
                largest = std::abs(values[i]) > std::abs(values[largest]) ? i : largest;
            }
            throw_invalid(at_cell(table, rows.index[largest], column.name) +
                          "values too large to scale (up to " + display_number(values[largest]) +
                          " here); rescale the column or leave it out with --ignore");
        }
    }

    encoder.feature_names_ = TableEncoder::name_features(encoder.columns_);

    EncodedTable encoded = apply(encoder, table);
    encoded.report.positive_rule = fit_report.positive_rule;
    for (const auto& [c, why] : left_out) {
        ColumnReport col;
        col.name = table.columns[c];
        col.role = "ignored";
        col.reason = why;
        encoded.report.columns.push_back(std::move(col));
    }
    log::debug("table " + table.source + ": " + with_commas(encoded.report.n_rows) + " rows, " +
               with_commas(encoded.report.n_features) + " features, " +
               with_commas(rows.n_dropped) + " rows dropped for a missing target");
    return FittedTable{std::move(encoder), std::move(encoded.matrix), std::move(encoded.report)};
}

FittedTable fit_table(const RawTable& table, const TableOptions& options) {
    return TableCoder::fit(table, options);
}

}  // namespace sextant
