// Customer tables for prediction: from "any CSV of customers" to a numeric design matrix, with
// every choice written down in a report.
//
// The pipeline, in order:
//   1. read_table() reads the CSV (delimiter detection, quoting, BOM, gzip, Latin-1 / cp1252
//      through data/csv_reader.h and data/input_file.h) into text cells. A ragged row, an
//      unclosed quote, invalid UTF-8 or a header naming a column twice is refused.
//   2. fit_table() types each column, drops rows with a missing target, imputes, scales and
//      encodes, and returns the fitted TableEncoder with the training matrix and a report.
//   3. TableEncoder::apply() does the same to new rows at scoring time with the fitted values;
//      the encoder round-trips exactly through nlohmann::json (a model's meta.json).
//
// Definitions:
//   - Cells are trimmed of spaces and tabs. A cell is missing when it is then empty (so any
//     all-whitespace cell is missing) or is, ignoring case, NA, N/A, #N/A, null, NaN or None
//     (what spreadsheets, databases, pandas and Python write for nothing), or a lone ? or -.
//   - Boolean words, case-insensitive: true/false, yes/no, y/n, t/f, 1/0. A column is boolean
//     when every present value is one of them (words of different pairs may mix); so a column
//     of only 0 and 1 is boolean, one holding 0, 1 and 2 is numeric.
//   - A number is what std::from_chars reads as a finite double from the whole cell, with an
//     optional leading '+'; "inf", "nan" and "1,5" are not numbers. A column is numeric when it
//     is not boolean and every present value is a number; otherwise it is categorical. A column
//     with no present value at all is refused (after the rows with a missing target are gone).
//   - Target: a binary label. Rows whose target is missing are dropped and counted; no row left
//     is refused. When every label is a boolean word, the positive class is the true word
//     (1, true, yes, y, t). Otherwise the column must hold exactly two distinct texts and the
//     positive class is TableOptions::positive_label when set, else the minority class on the
//     training rows, else (equal counts) the one that sorts last by bytes. One class, or more
//     than two, is refused with a message naming the column and the classes.
//   - Id: kept aside, never a feature. A missing or repeated id is refused.
//   - Imputation of numeric columns (values are the column's present values on the training
//     rows, in file order):
//       mean    the arithmetic mean.
//       median  the middle value; the mean of the two middle values for an even count.
//       mode    the most frequent value; ties go to the smallest value.
//       ffill   the last present value above the row in file order; a row with none above takes
//               the first present value below it (bfill); a column with no present value (only
//               possible at scoring) takes the training median.
//       bfill   the mirror image: the next present value below, else the last above, else the
//               training median.
//       knn     the unweighted mean of the column over the k nearest donor rows. Donors are the
//               reference rows (the training rows, or an evenly spaced knn_max_reference of
//               them) where the column is present. The distance between a row and a donor uses
//               the other numeric columns, each standardised by the training mean and population
//               standard deviation of its present values (a constant column is left out), over
//               the columns present in both: sqrt(mean of squared differences). A donor sharing
//               no present column with the row is not usable. Ties in distance go to the donor
//               earlier in the file. A row with no usable donor takes the training median, and
//               is counted as a knn fallback in the report.
//     ffill and bfill at scoring time follow the scoring file's own order.
//   - Boolean and categorical columns are always imputed with the training mode (ties: false
//     before true; the text that sorts first by bytes). A per-column strategy other than mode
//     for such a column is refused.
//   - Every column (numeric, boolean or categorical) with at least one missing value on the
//     training rows gets a 0/1 feature "<col>_missing" right after its own features; a column
//     with missing values only at scoring time gets none (they are imputed and counted).
//   - Scaling of numeric columns, fitted on the imputed training values: z-score (x - mean) /
//     std with the population std, or min-max (x - min) / (max - min). A constant column only
//     subtracts (divisor 1). Scoring values are not clipped, so min-max can leave [0, 1].
//     Boolean columns are 0/1 and not scaled.
//   - Categorical encoding: a column with at most max_onehot distinct training values is
//     one-hot: one feature "<col>=<value>" per value, sorted by bytes, plus "<col>=__unknown__"
//     (always 0 on the training rows), which a value unseen at scoring time sets. No level is
//     dropped. A larger column is hashed: XXH3-64 of the value's bytes, modulo hash_buckets,
//     sets one of the features "<col>#0" .. "<col>#<buckets-1>". Unseen values go to their
//     bucket and are counted (the encoder keeps the XXH3-64 hashes of the training values to
//     tell them apart).
//   - Features follow the file's column order; a feature name that would repeat is refused.
//   - A categorical column with a different value on every training row (20 rows or more) is an
//     id in disguise: it is left out with a warning, as if named in TableOptions::ignore. A
//     numeric column of distinct whole numbers that rise with the row order gets a warning (a
//     row number or a sequential id leaks the file's order) but is kept.
//   - A numeric column whose values are too large to scale (the mean or spread overflows) is
//     refused, naming the column.
//
// Memory: read_table() holds every cell as text and knn keeps its reference rows in the
// encoder (and so in meta.json); both are fine for customer tables of up to a few hundred
// thousand rows. knn costs O(missing cells x reference rows x numeric columns).
//
// Every function is pure apart from reading its file; a TableEncoder is immutable after fitting
// and safe to share between threads. Errors are sextant::Error(kInvalidInput) with one line of
// the shape `customers.csv:7: column "age": cannot read "abc" as a number`.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sextant/data/ingest.h"

namespace sextant {

enum class ColumnType { kNumeric, kBoolean, kCategorical };
enum class Imputation { kMean, kMedian, kMode, kForwardFill, kBackwardFill, kKnn };
enum class Scaling { kZScore, kMinMax };
enum class CategoryEncoding { kOneHot, kHashed };

// Names as written on the command line and in JSON: "numeric", "boolean", "categorical";
// "mean", "median", "mode", "ffill", "bfill", "knn"; "zscore", "minmax"; "onehot", "hashed".
std::string_view to_string(ColumnType type);
std::string_view to_string(Imputation imputation);
std::string_view to_string(Scaling scaling);
std::string_view to_string(CategoryEncoding encoding);
// The inverses (case-insensitive; "z-score", "min-max", "one-hot" too). Throw
// Error(kInvalidInput) naming the accepted names.
ColumnType parse_column_type(std::string_view name);
Imputation parse_imputation(std::string_view name);
Scaling parse_scaling(std::string_view name);

// The cell rules above, on one cell (trimmed here).
bool is_missing_cell(std::string_view cell);
std::optional<bool> parse_bool_cell(std::string_view cell);
std::optional<double> parse_number_cell(std::string_view cell);

struct TableReadOptions {
    // Field delimiter; 0 = detect among ',', '\t', ';' and '|' from the first lines.
    char delimiter = 0;
    // The delimiter is written twice, as in MovieLens "::" files (delimiter ':').
    bool double_delimiter = false;
    Encoding encoding = Encoding::kUtf8;
    // Empty: the first record is the header. Otherwise the file has no header and these are the
    // column names, in order.
    std::vector<std::string> column_names;
};

// A table of text cells as read, column-major. Header fields are trimmed; an empty header
// field is named "#<position>" (1-based), as the unnamed index column pandas writes.
struct RawTable {
    std::string source;                            // the file name used in messages
    std::uint64_t header_line = 0;                 // 0 when the names came from the options
    std::vector<std::string> columns;              // names, in file order
    std::vector<std::vector<std::string>> values;  // values[column][row], untrimmed
    std::vector<std::uint64_t> lines;              // 1-based line where each row starts

    std::size_t n_rows() const { return lines.size(); }
    // Index of a column name, or nullopt.
    std::optional<std::size_t> find(std::string_view name) const;
};

// Reads a whole file. Throws Error(kNotFound) when it cannot be opened and Error(kInvalidInput)
// `customers.csv:7: row has 3 fields, the header has 4` for a ragged row, an unclosed quote,
// invalid UTF-8, a repeated header name, or a file without a header or without data rows.
RawTable read_table(const std::string& path, const TableReadOptions& options = {});

// The same on text in memory; `source` names it in messages.
RawTable parse_table(std::string_view text, const std::string& source,
                     const TableReadOptions& options = {});

struct TableOptions {
    // Name of the label column; required to fit.
    std::string target;
    // Name of the id column; empty: the rows have no id.
    std::string id;
    // Columns left out entirely (a leak, a free-text note, a second id). Naming an unknown
    // column, the target or the id is refused.
    std::vector<std::string> ignore;
    // Log the warnings of the id checks below; a caller fitting rows of a table it has already
    // fitted whole turns them off so that each is said once.
    bool warn = true;
    // The positive class of a two-text target; empty: the rule in the header comment.
    std::string positive_label;
    // Column -> type, replacing the inferred one. Naming an unknown column, the target or the
    // id is refused.
    std::map<std::string, ColumnType> types;
    // Strategy for numeric columns.
    Imputation imputation = Imputation::kMedian;
    // Column -> strategy, replacing `imputation` for that column.
    std::map<std::string, Imputation> column_imputation;
    // Neighbours averaged by knn; must be >= 1.
    std::size_t knn_k = 5;
    // Most training rows knn keeps as donors (evenly spaced when there are more); >= 1.
    std::size_t knn_max_reference = 10000;
    Scaling scaling = Scaling::kZScore;
    // A categorical column with at most this many distinct training values is one-hot.
    std::size_t max_onehot = 20;
    // Buckets of a hashed categorical column; must be >= 1.
    std::size_t hash_buckets = 32;
};

// The numeric result, one row per kept input row, in file order.
struct DesignMatrix {
    std::vector<std::string> feature_names;  // "age", "age_missing", "plan=premium", "zip#7"
    std::vector<double> values;              // n_rows() x n_features(), row-major, all finite
    std::vector<std::string> ids;            // one per row; empty without an id column
    std::vector<std::uint64_t> lines;        // the input line of each row
    // 1 for the positive class, else 0; nullopt when the table has no target column.
    std::optional<std::vector<std::uint8_t>> labels;

    std::size_t n_rows() const { return lines.size(); }
    std::size_t n_features() const { return feature_names.size(); }
    double at(std::size_t row, std::size_t feature) const {
        return values[row * feature_names.size() + feature];
    }
    // Column of a feature name, or nullopt.
    std::optional<std::size_t> feature_index(std::string_view name) const;
};

// What was decided for one input column, and what was seen.
struct ColumnReport {
    std::string name;
    std::string role;  // "feature", "id", "target" or "ignored"
    ColumnType type = ColumnType::kCategorical;
    std::string reason;           // "numeric: 4,998 of 5,000 values parse as numbers (2 missing)"
    std::uint64_t n_missing = 0;  // on the rows of this call
    std::string imputation;       // "median 41.5", "mode \"basic\"", "knn k=5 (fallback median 40)"
    // "z-score (mean 41.5, std 12.25)", "min-max (min 18, range 62)", "0/1",
    // "one-hot (3 values + unknown)", "hashed (XXH3-64 mod 32)"
    std::string encoding;
    std::size_t n_categories = 0;       // distinct training values (categorical and boolean)
    bool missing_indicator = false;     // whether "<col>_missing" is a feature
    std::uint64_t n_unseen = 0;         // values not seen in training (scoring only)
    std::uint64_t n_knn_fallbacks = 0;  // knn rows imputed with the median instead
};

struct TableReport {
    std::string source;
    std::uint64_t n_rows_read = 0;
    std::uint64_t n_rows = 0;                    // rows of the matrix
    std::uint64_t n_dropped_missing_target = 0;  // rows left out for a missing label
    std::string target;                          // empty when the table had no target
    std::string positive_label;                  // the class written as 1
    std::string negative_label;
    std::string positive_rule;  // why that class is positive
    std::uint64_t n_positive = 0;
    std::uint64_t n_negative = 0;
    std::size_t n_features = 0;
    // The id and target columns first (when present), then the feature columns in file order.
    std::vector<ColumnReport> columns;

    nlohmann::json to_json() const;
};

struct EncodedTable;
struct FittedTable;

// The fitted transformation from text rows to features. A value: copy it, compare it, store it.
class TableEncoder {
public:
    // Fitted state of one feature column (public so that it serialises plainly; build one only
    // through fit_table or from_json).
    struct Column {
        std::string name;
        ColumnType type = ColumnType::kNumeric;
        Imputation imputation = Imputation::kMedian;  // numeric columns only
        double fill = 0;        // numeric: the mean/median/mode; boolean: the mode (0 or 1)
        double median = 0;      // numeric: fallback of ffill, bfill and knn
        double mean = 0;        // numeric: of the present training values (reasons compare to it)
        std::string fill_text;  // categorical: the mode
        bool missing_indicator = false;
        Scaling scaling = Scaling::kZScore;
        double offset = 0;  // feature = (x - offset) / divisor
        double divisor = 1;
        CategoryEncoding encoding = CategoryEncoding::kOneHot;
        std::vector<std::string> categories;  // one-hot: the training values, sorted
        std::size_t n_buckets = 0;            // hashed
        std::vector<std::uint64_t> seen;      // hashed: sorted XXH3-64 of the training values
        std::size_t n_categories = 0;
        std::string reason;  // why it has this type, for the report

        bool operator==(const Column&) const = default;
        // Categorical: whether `value` (trimmed) was a training value of the column.
        bool has_seen(std::string_view value) const;
    };

    // Donors for knn: the numeric columns (indices into columns()) with their standardisation,
    // and the raw reference values (NaN for missing), row-major.
    struct KnnReference {
        std::vector<std::size_t> columns;
        std::vector<double> means;
        std::vector<double> stds;  // 0 for a constant column, which takes no part
        std::vector<double> values;
        std::size_t k = 5;

        // Equal values, a NaN matching a NaN.
        bool operator==(const KnnReference& other) const;
    };

    TableEncoder() = default;

    // Encodes new rows with the fitted values. Columns are found by name; extra columns are
    // ignored. The id column is required when the encoder has one; the target column is
    // optional (present: its labels are parsed with the training classes, and rows with a
    // missing label are dropped). Throws Error(kInvalidInput) for a missing feature column
    // (listing the columns present), a value that does not fit the column's type, a label that
    // is neither training class, or a missing or repeated id.
    EncodedTable apply(const RawTable& table) const;

    // Writes / reads everything apply() needs. from_json throws Error(kInvalidInput) naming the
    // first missing or malformed field. from_json(to_json()) == *this, exactly.
    nlohmann::json to_json() const;
    static TableEncoder from_json(const nlohmann::json& json);

    const std::vector<Column>& columns() const { return columns_; }
    const std::vector<std::string>& feature_names() const { return feature_names_; }
    const std::string& id_column() const { return id_; }
    const std::string& target_column() const { return target_; }
    const std::string& positive_label() const { return positive_label_; }
    const std::string& negative_label() const { return negative_label_; }

    bool operator==(const TableEncoder&) const = default;

private:
    friend class TableCoder;

    // The feature names of the columns in order; throws Error(kInvalidInput) when one repeats.
    static std::vector<std::string> name_features(const std::vector<Column>& columns);

    std::string id_;
    std::string target_;
    std::string positive_label_;
    std::string negative_label_;
    // True when the labels are boolean words (then any true word is positive), false when they
    // are the two texts above.
    bool boolean_target_ = false;
    std::vector<Column> columns_;
    std::optional<KnnReference> knn_;
    std::vector<std::string> feature_names_;
};

struct EncodedTable {
    DesignMatrix matrix;
    TableReport report;
};

struct FittedTable {
    TableEncoder encoder;
    DesignMatrix matrix;  // equal to encoder.apply(table).matrix
    TableReport report;
};

// Fits the encoder on `table` and encodes it. Throws Error(kInvalidInput) for an unknown
// target, id or override column (listing the columns present), a bad option, a target with one
// class or more than two, no row left after dropping missing labels, an entirely missing
// column, a value that does not fit an overridden type, or a missing or repeated id.
FittedTable fit_table(const RawTable& table, const TableOptions& options);

}  // namespace sextant
