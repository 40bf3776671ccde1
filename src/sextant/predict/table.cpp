// Applying the table encoder (definitions in predict/table.h).
#include "sextant/predict/table.h"

#include <algorithm>
#include <map>
#include <unordered_map>

#include "sextant/predict/table_coder.h"
#include "sextant/predict/table_impute.h"

namespace sextant {

using namespace table_detail;

TableCoder::Rows TableCoder::select_rows(const TableEncoder& encoder, const RawTable& table,
                                         std::optional<std::size_t> target) {
    Rows rows;
    if (!target) {
        rows.index.resize(table.n_rows());
        for (std::size_t r = 0; r < table.n_rows(); ++r) {
            rows.index[r] = r;
        }
        return rows;
    }
    rows.labels.emplace();
    for (std::size_t r = 0; r < table.n_rows(); ++r) {
        const std::string& cell = table.values[*target][r];
        if (is_missing_cell(cell)) {
            ++rows.n_dropped;
            continue;
        }
        const std::string_view text = trim(cell);
        std::optional<bool> positive;
        if (encoder.boolean_target_) {
            const auto b = parse_bool_cell(text);
            if (b) {
                positive = *b == parse_bool_cell(encoder.positive_label_).value_or(true);
            }
        } else if (text == encoder.positive_label_ || text == encoder.negative_label_) {
            positive = text == encoder.positive_label_;
        }
        if (!positive) {
            throw_invalid(at_cell(table, r, table.columns[*target]) + "label " + quote_text(text) +
                          " is neither class of the training target (" +
                          quote_text(encoder.positive_label_) + ", " +
                          quote_text(encoder.negative_label_) + ")");
        }
        rows.index.push_back(r);
        rows.labels->push_back(*positive ? 1 : 0);
    }
    if (rows.index.empty()) {
        throw_invalid(at_header(table) + "target column " + quote_text(table.columns[*target]) +
                      " is missing on every row (" + with_commas(table.n_rows()) + " rows)");
    }
    return rows;
}

std::vector<std::string> TableCoder::check_ids(const RawTable& table, std::size_t c,
                                               const std::vector<std::size_t>& rows) {
    std::vector<std::string> ids;
    ids.reserve(rows.size());
    std::unordered_map<std::string, std::size_t> first;  // id -> row
    for (std::size_t r : rows) {
        const std::string& cell = table.values[c][r];
        if (is_missing_cell(cell)) {
            throw_invalid(at_cell(table, r, table.columns[c]) + "the id is missing");
        }
        std::string id(trim(cell));
        auto [it, fresh] = first.emplace(id, r);
        if (!fresh) {
            throw_invalid(at_cell(table, r, table.columns[c]) + "duplicate id " + quote_text(id) +
                          " (first on line " + std::to_string(table.lines[it->second]) + ")");
        }
        ids.push_back(std::move(id));
    }
    return ids;
}

std::vector<double> TableCoder::imputed_numeric(const TableEncoder& encoder, std::size_t k,
                                                const RawTable& table,
                                                const std::vector<std::size_t>& columns,
                                                const std::vector<std::size_t>& rows,
                                                ColumnReport& report) {
    const TableEncoder::Column& column = encoder.columns_[k];
    std::vector<double> values = numeric_values(table, columns[k], rows);
    report.n_missing = count_missing(values);
    const std::string fallback = " (fallback median " + display_number(column.median) + ")";
    switch (column.imputation) {
        case Imputation::kMean:
        case Imputation::kMedian:
        case Imputation::kMode:
            fill_constant(values, column.fill);
            report.imputation =
                std::string(to_string(column.imputation)) + " " + display_number(column.fill);
            break;
        case Imputation::kForwardFill:
            fill_forward(values, column.median);
            report.imputation = "ffill" + fallback;
            break;
        case Imputation::kBackwardFill:
            fill_backward(values, column.median);
            report.imputation = "bfill" + fallback;
            break;
        case Imputation::kKnn: {
            const TableEncoder::KnnReference& knn = *encoder.knn_;
            const std::size_t d = knn.columns.size();
            std::vector<double> space_rows(rows.size() * d);
            std::size_t target = 0;
            for (std::size_t j = 0; j < d; ++j) {
                const std::size_t other = knn.columns[j];
                target = other == k ? j : target;
                const std::vector<double> raw = numeric_values(table, columns[other], rows);
                for (std::size_t r = 0; r < rows.size(); ++r) {
                    space_rows[r * d + j] = raw[r];
                }
            }
            const KnnSpace space{d, knn.means, knn.stds};
            report.n_knn_fallbacks =
                fill_knn(space_rows, knn.values, space, target, knn.k, column.median, values);
            report.imputation = "knn k=" + std::to_string(knn.k) + fallback;
            break;
        }
    }
    return values;
}

EncodedTable TableCoder::apply(const TableEncoder& encoder, const RawTable& table) {
    std::vector<std::size_t> positions;
    for (const TableEncoder::Column& column : encoder.columns_) {
        const auto c = table.find(column.name);
        if (!c) {
            throw_invalid(at_header(table) + "feature column " + quote_text(column.name) +
                          " is missing from the table " + column_list(table));
        }
        positions.push_back(*c);
    }
    std::optional<std::size_t> id;
    if (!encoder.id_.empty()) {
        id = require_column(table, encoder.id_, "id");
    }
    const std::optional<std::size_t> target =
        encoder.target_.empty() ? std::nullopt : table.find(encoder.target_);

    const Rows rows = select_rows(encoder, table, target);
    EncodedTable out;
    DesignMatrix& m = out.matrix;
    TableReport& report = out.report;
    if (id) {
        m.ids = check_ids(table, *id, rows.index);
        report.columns.push_back(
            column_entry(encoder.id_, "id", ColumnType::kCategorical, "the id column"));
    }
    m.labels = rows.labels;
    for (std::size_t r : rows.index) {
        m.lines.push_back(table.lines[r]);
    }
    m.feature_names = encoder.feature_names_;
    const std::size_t n_rows = rows.index.size();
    const std::size_t width = m.feature_names.size();
    m.values.assign(n_rows * width, 0);

    report.source = table.source;
    report.n_rows_read = table.n_rows();
    report.n_rows = n_rows;
    report.n_dropped_missing_target = rows.n_dropped;
    report.n_features = width;
    if (target) {
        report.target = encoder.target_;
        report.positive_label = encoder.positive_label_;
        report.negative_label = encoder.negative_label_;
        report.n_positive = static_cast<std::uint64_t>(
            std::count(rows.labels->begin(), rows.labels->end(), std::uint8_t{1}));
        report.n_negative = n_rows - report.n_positive;
        ColumnReport t =
            column_entry(encoder.target_, "target", ColumnType::kBoolean, "the binary label");
        t.n_missing = rows.n_dropped;
        t.n_categories = 2;
        report.columns.push_back(std::move(t));
    }

    std::size_t offset = 0;
    for (std::size_t k = 0; k < encoder.columns_.size(); ++k) {
        const TableEncoder::Column& column = encoder.columns_[k];
        const std::size_t c = positions[k];
        ColumnReport col = column_entry(column.name, "feature", column.type, column.reason);
        col.n_categories = column.n_categories;
        col.missing_indicator = column.missing_indicator;
        std::vector<double> missing(n_rows, 0);
        for (std::size_t i = 0; i < n_rows; ++i) {
            missing[i] = is_missing_cell(table.values[c][rows.index[i]]) ? 1 : 0;
        }

        if (column.type == ColumnType::kNumeric) {
            const std::vector<double> values =
                imputed_numeric(encoder, k, table, positions, rows.index, col);
            for (std::size_t i = 0; i < n_rows; ++i) {
                m.values[i * width + offset] = (values[i] - column.offset) / column.divisor;
            }
            col.encoding = column.scaling == Scaling::kZScore
                               ? "z-score (mean " + display_number(column.offset) + ", std " +
                                     display_number(column.divisor) + ")"
                               : "min-max (min " + display_number(column.offset) + ", range " +
                                     display_number(column.divisor) + ")";
            offset += 1;
        } else if (column.type == ColumnType::kBoolean) {
            std::vector<double> values = boolean_values(table, c, rows.index);
            col.n_missing = count_missing(values);
            fill_constant(values, column.fill);
            for (std::size_t i = 0; i < n_rows; ++i) {
                m.values[i * width + offset] = values[i];
            }
            col.imputation = column.fill == 1 ? "mode true" : "mode false";
            col.encoding = "0/1";
            offset += 1;
        } else {
            col.imputation = "mode " + quote_text(column.fill_text);
            const bool onehot = column.encoding == CategoryEncoding::kOneHot;
            // Both encodings end with an "unknown" slot: a value first seen when scoring gets
            // it rather than the level (or the bucket) of training values it happens to share.
            const std::size_t n_slots = (onehot ? column.categories.size() : column.n_buckets) + 1;
            for (std::size_t i = 0; i < n_rows; ++i) {
                const std::string& cell = table.values[c][rows.index[i]];
                const bool is_missing = missing[i] == 1;
                col.n_missing += is_missing ? 1 : 0;
                const std::string_view text = is_missing ? column.fill_text : trim(cell);
                std::size_t slot = 0;
                if (onehot) {
                    auto it =
                        std::lower_bound(column.categories.begin(), column.categories.end(), text);
                    const bool seen = it != column.categories.end() && *it == text;
                    slot = seen ? static_cast<std::size_t>(it - column.categories.begin())
                                : column.categories.size();
                    col.n_unseen += seen ? 0 : 1;
                } else {
                    const std::uint64_t h = text_hash(text);
                    const bool seen = std::binary_search(column.seen.begin(), column.seen.end(), h);
                    slot = seen ? static_cast<std::size_t>(h % column.n_buckets) : column.n_buckets;
                    col.n_unseen += seen ? 0 : 1;
                }
                m.values[i * width + offset + slot] = 1;
            }
            col.encoding =
                onehot
                    ? "one-hot (" + std::to_string(column.categories.size()) + " values + unknown)"
                    : "hashed (XXH3-64 mod " + std::to_string(column.n_buckets) + " + unknown)";
            offset += n_slots;
        }

        if (column.missing_indicator) {
            for (std::size_t i = 0; i < n_rows; ++i) {
                m.values[i * width + offset] = missing[i];
            }
            offset += 1;
        }
        report.columns.push_back(std::move(col));
    }
    return out;
}

std::optional<std::size_t> DesignMatrix::feature_index(std::string_view name) const {
    auto it = std::find(feature_names.begin(), feature_names.end(), name);
    if (it == feature_names.end()) {
        return std::nullopt;
    }
    return static_cast<std::size_t>(it - feature_names.begin());
}

bool TableEncoder::KnnReference::operator==(const KnnReference& other) const {
    // Missing reference values are NaN, which equal each other here.
    auto same = [](double x, double y) { return x == y || (std::isnan(x) && std::isnan(y)); };
    return columns == other.columns && means == other.means && stds == other.stds && k == other.k &&
           values.size() == other.values.size() &&
           std::equal(values.begin(), values.end(), other.values.begin(), same);
}

bool TableEncoder::Column::has_seen(std::string_view value) const {
    if (encoding == CategoryEncoding::kOneHot) {
        return std::binary_search(categories.begin(), categories.end(), value);
    }
    return std::binary_search(seen.begin(), seen.end(), text_hash(value));
}

std::vector<std::string> TableEncoder::name_features(const std::vector<Column>& columns) {
    std::vector<std::string> names;
    std::map<std::string, std::string> owners;  // feature -> column
    for (const Column& column : columns) {
        for (std::string& feature : features_of(column)) {
            auto [it, fresh] = owners.emplace(feature, column.name);
            if (!fresh) {
                throw_invalid("feature " + quote_text(feature) + " of column " +
                              quote_text(column.name) + " repeats a feature of column " +
                              quote_text(it->second) + "; rename one of them");
            }
            names.push_back(std::move(feature));
        }
    }
    return names;
}

EncodedTable TableEncoder::apply(const RawTable& table) const {
    return TableCoder::apply(*this, table);
}

}  // namespace sextant
