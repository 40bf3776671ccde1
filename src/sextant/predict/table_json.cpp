// JSON for the table encoder (exact round trip) and the table report.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "sextant/core/error.h"
#include "sextant/predict/table.h"

namespace sextant {
namespace {

using nlohmann::json;

constexpr std::string_view kFormat = "sextant.table_encoder";
constexpr int kVersion = 1;

// Hashes as 16 hex digits: a 64-bit integer is not safe in every JSON reader.
std::string hex(std::uint64_t h) {
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
    return buf;
}

[[noreturn]] void bad_field(const std::string& where, std::string_view what) {
    throw_invalid("table encoder: " + where + " " + std::string(what));
}

const json& field(const json& object, const char* key, const std::string& where) {
    if (!object.is_object() || !object.contains(key)) {
        bad_field(where + "." + key, "is missing");
    }
    return object.at(key);
}

std::string read_string(const json& object, const char* key, const std::string& where) {
    const json& v = field(object, key, where);
    if (!v.is_string()) {
        bad_field(where + "." + key, "is not a string");
    }
    return v.get<std::string>();
}

bool read_bool(const json& object, const char* key, const std::string& where) {
    const json& v = field(object, key, where);
    if (!v.is_boolean()) {
        bad_field(where + "." + key, "is not true or false");
    }
    return v.get<bool>();
}

double read_double(const json& v, const std::string& where) {
    if (!v.is_number()) {
        bad_field(where, "is not a number");
    }
    const double d = v.get<double>();
    if (!std::isfinite(d)) {
        bad_field(where, "is not finite");
    }
    return d;
}

std::size_t read_size(const json& object, const char* key, const std::string& where) {
    const json& v = field(object, key, where);
    if (!v.is_number_unsigned()) {
        bad_field(where + "." + key, "is not a count");
    }
    return v.get<std::size_t>();
}

// Parses a name with the library's parser, turning its message into one about the field.
template <typename T, typename Parse>
T read_enum(const json& object, const char* key, const std::string& where, Parse parse) {
    const std::string name = read_string(object, key, where);
    try {
        return parse(name);
    } catch (const Error& e) {
        bad_field(where + "." + key, std::string("is not valid: ") + e.what());
    }
}

CategoryEncoding parse_encoding_name(std::string_view name) {
    if (name == "onehot") {
        return CategoryEncoding::kOneHot;
    }
    if (name == "hashed") {
        return CategoryEncoding::kHashed;
    }
    throw_invalid("unknown encoding \"" + std::string(name) + "\" (expected onehot or hashed)");
}

json column_json(const TableEncoder::Column& c) {
    json seen = json::array();
    for (std::uint64_t h : c.seen) {
        seen.push_back(hex(h));
    }
    return {{"name", c.name},
            {"type", to_string(c.type)},
            {"reason", c.reason},
            {"imputation", to_string(c.imputation)},
            {"fill", c.fill},
            {"median", c.median},
            {"mean", c.mean},
            {"fill_text", c.fill_text},
            {"missing_indicator", c.missing_indicator},
            {"scaling", to_string(c.scaling)},
            {"offset", c.offset},
            {"divisor", c.divisor},
            {"encoding", to_string(c.encoding)},
            {"categories", c.categories},
            {"n_buckets", c.n_buckets},
            {"seen", std::move(seen)},
            {"n_categories", c.n_categories}};
}

TableEncoder::Column read_column(const json& j, const std::string& where) {
    TableEncoder::Column c;
    c.name = read_string(j, "name", where);
    c.type = read_enum<ColumnType>(j, "type", where, parse_column_type);
    c.reason = read_string(j, "reason", where);
    c.imputation = read_enum<Imputation>(j, "imputation", where, parse_imputation);
    c.fill = read_double(field(j, "fill", where), where + ".fill");
    c.median = read_double(field(j, "median", where), where + ".median");
    c.mean = read_double(field(j, "mean", where), where + ".mean");
    c.fill_text = read_string(j, "fill_text", where);
    c.missing_indicator = read_bool(j, "missing_indicator", where);
    c.scaling = read_enum<Scaling>(j, "scaling", where, parse_scaling);
    c.offset = read_double(field(j, "offset", where), where + ".offset");
    c.divisor = read_double(field(j, "divisor", where), where + ".divisor");
    if (c.divisor == 0) {
        bad_field(where + ".divisor", "is 0");
    }
    c.encoding = read_enum<CategoryEncoding>(j, "encoding", where, parse_encoding_name);
    const json& categories = field(j, "categories", where);
    if (!categories.is_array()) {
        bad_field(where + ".categories", "is not an array");
    }
    for (const json& v : categories) {
        if (!v.is_string()) {
            bad_field(where + ".categories", "holds a value that is not a string");
        }
        c.categories.push_back(v.get<std::string>());
    }
    // apply() finds categories by binary search.
    if (std::adjacent_find(c.categories.begin(), c.categories.end(),
                           [](const auto& a, const auto& b) { return !(a < b); }) !=
        c.categories.end()) {
        bad_field(where + ".categories", "is not sorted without repeats");
    }
    c.n_buckets = read_size(j, "n_buckets", where);
    if (c.type == ColumnType::kCategorical && c.encoding == CategoryEncoding::kHashed &&
        c.n_buckets == 0) {
        bad_field(where + ".n_buckets", "is 0 for a hashed column");
    }
    const json& seen = field(j, "seen", where);
    if (!seen.is_array()) {
        bad_field(where + ".seen", "is not an array");
    }
    for (const json& v : seen) {
        const std::string text = v.is_string() ? v.get<std::string>() : std::string();
        char* end = nullptr;
        const unsigned long long h = std::strtoull(text.c_str(), &end, 16);
        if (text.size() != 16 || end != text.c_str() + text.size()) {
            bad_field(where + ".seen", "holds a value that is not 16 hex digits");
        }
        c.seen.push_back(h);
    }
    if (!std::is_sorted(c.seen.begin(), c.seen.end())) {
        bad_field(where + ".seen", "is not sorted");
    }
    c.n_categories = read_size(j, "n_categories", where);
    return c;
}

json numbers_json(const std::vector<double>& values) {
    json out = json::array();
    for (double v : values) {
        out.push_back(std::isnan(v) ? json(nullptr) : json(v));
    }
    return out;
}

std::vector<double> read_numbers(const json& object, const char* key, const std::string& where,
                                 bool allow_missing) {
    const json& a = field(object, key, where);
    if (!a.is_array()) {
        bad_field(where + "." + key, "is not an array");
    }
    std::vector<double> out;
    out.reserve(a.size());
    for (const json& v : a) {
        if (allow_missing && v.is_null()) {
            out.push_back(std::numeric_limits<double>::quiet_NaN());
        } else {
            out.push_back(
                read_double(v, where + "." + key + "[" + std::to_string(out.size()) + "]"));
        }
    }
    return out;
}

}  // namespace

json TableEncoder::to_json() const {
    json columns = json::array();
    for (const Column& c : columns_) {
        columns.push_back(column_json(c));
    }
    json knn = nullptr;
    if (knn_) {
        knn = {{"k", knn_->k},
               {"columns", knn_->columns},
               {"means", numbers_json(knn_->means)},
               {"stds", numbers_json(knn_->stds)},
               {"values", numbers_json(knn_->values)}};
    }
    return {{"format", kFormat},
            {"version", kVersion},
            {"id", id_},
            {"target", target_},
            {"positive_label", positive_label_},
            {"negative_label", negative_label_},
            {"boolean_target", boolean_target_},
            {"features", feature_names_},
            {"columns", std::move(columns)},
            {"knn", std::move(knn)}};
}

TableEncoder TableEncoder::from_json(const json& j) {
    const std::string where = "encoder";
    if (!j.is_object() || !j.contains("format") || j.at("format") != kFormat) {
        throw_invalid("table encoder: not a Sextant table encoder (\"format\" is not \"" +
                      std::string(kFormat) + "\")");
    }
    if (!j.contains("version") || j.at("version") != kVersion) {
        throw_invalid("table encoder: version " +
                      (j.contains("version") ? j.at("version").dump() : std::string("missing")) +
                      " is not supported (this build reads version " + std::to_string(kVersion) +
                      ")");
    }

    TableEncoder e;
    e.id_ = read_string(j, "id", where);
    e.target_ = read_string(j, "target", where);
    e.positive_label_ = read_string(j, "positive_label", where);
    e.negative_label_ = read_string(j, "negative_label", where);
    e.boolean_target_ = read_bool(j, "boolean_target", where);
    const json& columns = field(j, "columns", where);
    if (!columns.is_array()) {
        bad_field(where + ".columns", "is not an array");
    }
    for (const json& c : columns) {
        e.columns_.push_back(
            read_column(c, where + ".columns[" + std::to_string(e.columns_.size()) + "]"));
    }

    const json& knn = field(j, "knn", where);
    if (!knn.is_null()) {
        const std::string at = where + ".knn";
        KnnReference ref;
        ref.k = read_size(knn, "k", at);
        const json& cols = field(knn, "columns", at);
        if (!cols.is_array()) {
            bad_field(at + ".columns", "is not an array");
        }
        for (const json& v : cols) {
            if (!v.is_number_unsigned() || v.get<std::size_t>() >= e.columns_.size() ||
                e.columns_[v.get<std::size_t>()].type != ColumnType::kNumeric) {
                bad_field(at + ".columns", "holds a value that is not a numeric column's index");
            }
            ref.columns.push_back(v.get<std::size_t>());
        }
        ref.means = read_numbers(knn, "means", at, false);
        ref.stds = read_numbers(knn, "stds", at, false);
        ref.values = read_numbers(knn, "values", at, true);
        const std::size_t d = ref.columns.size();
        if (ref.k == 0 || ref.means.size() != d || ref.stds.size() != d ||
            (d == 0 ? !ref.values.empty() : ref.values.size() % d != 0)) {
            bad_field(at, "has inconsistent sizes");
        }
        e.knn_ = std::move(ref);
    }
    for (std::size_t k = 0; k < e.columns_.size(); ++k) {
        const Column& c = e.columns_[k];
        const bool uses_knn = c.type == ColumnType::kNumeric && c.imputation == Imputation::kKnn;
        if (uses_knn && (!e.knn_ || std::find(e.knn_->columns.begin(), e.knn_->columns.end(), k) ==
                                        e.knn_->columns.end())) {
            bad_field(where + ".columns[" + std::to_string(k) + "]",
                      "uses knn without a reference");
        }
    }

    e.feature_names_ = name_features(e.columns_);
    if (j.contains("features") && j.at("features") != json(e.feature_names_)) {
        bad_field(where + ".features", "do not match the columns");
    }
    return e;
}

json TableReport::to_json() const {
    json columns_json = json::array();
    for (const ColumnReport& c : columns) {
        columns_json.push_back({{"name", c.name},
                                {"role", c.role},
                                {"type", to_string(c.type)},
                                {"reason", c.reason},
                                {"n_missing", c.n_missing},
                                {"imputation", c.imputation},
                                {"encoding", c.encoding},
                                {"n_categories", c.n_categories},
                                {"missing_indicator", c.missing_indicator},
                                {"n_unseen", c.n_unseen},
                                {"n_knn_fallbacks", c.n_knn_fallbacks}});
    }
    return {{"source", source},
            {"n_rows_read", n_rows_read},
            {"n_rows", n_rows},
            {"n_dropped_missing_target", n_dropped_missing_target},
            {"target", target},
            {"positive_label", positive_label},
            {"negative_label", negative_label},
            {"positive_rule", positive_rule},
            {"n_positive", n_positive},
            {"n_negative", n_negative},
            {"n_features", n_features},
            {"columns", std::move(columns_json)}};
}

}  // namespace sextant
