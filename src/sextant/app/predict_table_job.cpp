#include "sextant/app/predict_table_job.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <unordered_map>

#include "sextant/app/predict_job.h"
#include "sextant/app/scores_file.h"
#include "sextant/core/error.h"
#include "sextant/core/log.h"
#include "sextant/learn/model_dir.h"
#include "sextant/predict/dense_net.h"
#include "sextant/predict/gbdt.h"
#include "sextant/predict/logistic.h"
#include "sextant/store/event_store.h"

namespace sextant {
namespace {

namespace fs = std::filesystem;

constexpr const char* kTableSource = "customer_table";

RawTable subset(const RawTable& table, const std::vector<std::size_t>& rows) {
    RawTable out;
    out.source = table.source;
    out.header_line = table.header_line;
    out.columns = table.columns;
    out.values.resize(table.columns.size());
    for (std::size_t c = 0; c < table.columns.size(); ++c) {
        out.values[c].reserve(rows.size());
        for (std::size_t r : rows) {
            out.values[c].push_back(table.values[c][r]);
        }
    }
    for (std::size_t r : rows) {
        out.lines.push_back(table.lines[r]);
    }
    return out;
}

Dataset to_dataset(const DesignMatrix& m) {
    Dataset d;
    d.feature_names = m.feature_names;
    d.n_rows = m.n_rows();
    d.n_cols = m.n_features();
    d.values.assign(m.values.begin(), m.values.end());
    if (m.labels) {
        d.labels = *m.labels;
    }
    d.ids = m.ids;
    return d;
}

std::vector<std::unique_ptr<Classifier>> candidates_of(const std::vector<std::string>& kinds,
                                                       std::uint64_t seed) {
    if (kinds.empty()) {
        return default_classifiers(seed);
    }
    std::vector<std::unique_ptr<Classifier>> out;
    for (const std::string& kind : kinds) {
        if (kind == "logistic") {
            LogisticOptions o;
            o.train.seed = seed;
            out.push_back(std::make_unique<LogisticRegression>(o));
        } else if (kind == "dense_net") {
            DenseNetOptions o;
            o.train.seed = seed;
            out.push_back(std::make_unique<DenseNet>(o));
        } else if (kind == "gbdt") {
            GbdtOptions o;
            o.seed = seed;
            out.push_back(std::make_unique<Gbdt>(o));
        } else {
            throw_invalid("--models: unknown model \"" + kind +
                          "\" (use logistic, dense_net, gbdt; the ensemble of two or more is "
                          "tried by itself)");
        }
    }
    return out;
}

// Unseen categorical values per column in one encoded part, for the report.
void note_unseen(const TableReport& report, const std::string& part, nlohmann::json& out) {
    for (const ColumnReport& c : report.columns) {
        if (part == "scored" && c.n_missing > 0 && !c.missing_indicator && c.role == "feature") {
            log::warn(report.source + ": column \"" + c.name +
                      "\": " + std::to_string(c.n_missing) +
                      " value(s) missing, a column that had none in training: filled with " +
                      c.imputation);
        }
        if (c.n_unseen > 0) {
            out.push_back({{"column", c.name}, {"part", part}, {"count", c.n_unseen}});
            log::warn(report.source + ": column \"" + c.name + "\": " + std::to_string(c.n_unseen) +
                      " value(s) of the " + part +
                      " rows were not seen in training (scored as \"unknown\")");
        }
    }
}

std::string short_number(double v) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.6g", v);
    return buffer;
}

// Which encoder column each feature comes from: the column's own name, "<col>=<value>",
// "<col>#<bucket>" or "<col>_missing" (the longest matching column name wins).
std::vector<std::size_t> feature_columns(const TableEncoder& encoder) {
    std::vector<std::size_t> out;
    for (const std::string& feature : encoder.feature_names()) {
        std::size_t best = 0;
        std::size_t best_length = 0;
        for (std::size_t c = 0; c < encoder.columns().size(); ++c) {
            const std::string& name = encoder.columns()[c].name;
            bool match = feature == name || feature == name + "_missing" ||
                         (feature.size() > name.size() && feature.rfind(name, 0) == 0 &&
                          (feature[name.size()] == '=' || feature[name.size()] == '#'));
            if (match && name.size() >= best_length) {
                best = c;
                best_length = name.size();
            }
        }
        out.push_back(best);
    }
    return out;
}

std::string trimmed(const std::string& s) {
    std::size_t b = s.find_first_not_of(" \t");
    if (b == std::string::npos) {
        return "";
    }
    std::size_t e = s.find_last_not_of(" \t");
    return s.substr(b, e - b + 1);
}

// One customer's reasons: attributions summed per input column (a category's one-hot features
// and a missing indicator belong to their column), the three largest in plain words with the
// row's own value as written in the file.
std::vector<std::string> table_reasons(const TableEncoder& encoder, const RawTable& raw,
                                       std::size_t raw_row, const Attribution& a,
                                       const std::vector<std::size_t>& feature_column) {
    std::vector<double> per_column(encoder.columns().size(), 0.0);
    for (std::size_t f = 0; f < a.values.size(); ++f) {
        per_column[feature_column[f]] += a.values[f];
    }
    std::vector<std::string> out;
    for (std::size_t c : top_by_magnitude(per_column, kScoreReasons)) {
        const TableEncoder::Column& column = encoder.columns()[c];
        std::optional<std::size_t> at = raw.find(column.name);
        std::string cell = at ? raw.values[*at][raw_row] : "";
        std::string text;
        if (is_missing_cell(cell)) {
            text = column.name + " is missing";
        } else if (column.type == ColumnType::kNumeric) {
            // The attributions measure against the training mean (see column_means() in
            // predict_job.cpp), so the mean is the reference shown.
            text = column.name + " = " + trimmed(cell) + " (average " + short_number(column.mean) +
                   ")";
        } else {
            text = column.name + " = " + trimmed(cell);
            if (column.type == ColumnType::kCategorical && !column.has_seen(trimmed(cell))) {
                text += " (not seen in training)";
            }
        }
        out.push_back((per_column[c] > 0 ? "raises: " : "lowers: ") + text);
    }
    return out;
}

}  // namespace

nlohmann::json train_table_model(const TableTrainOptions& options) {
    if (options.table.empty()) {
        throw_invalid("--table: a customers CSV is required");
    }
    if (options.columns.target.empty()) {
        throw_invalid("--target: the column to predict is required");
    }
    if (options.model_dir.empty()) {
        throw_invalid("--out: a model directory is required");
    }
    std::vector<std::unique_ptr<Classifier>> candidates =
        candidates_of(options.models, options.seed);
    RawTable raw = read_table(options.table, options.read);

    // The whole table is encoded once only to check it and to get the labels the split is
    // stratified on; the encoder that is kept is fitted on the training rows alone.
    FittedTable whole = fit_table(raw, options.columns);
    std::unordered_map<std::uint64_t, std::size_t> row_of_line;
    for (std::size_t r = 0; r < raw.n_rows(); ++r) {
        row_of_line.emplace(raw.lines[r], r);
    }
    Dataset all = to_dataset(whole.matrix);
    all.ids.clear();
    for (std::uint64_t line : whole.matrix.lines) {
        all.ids.push_back(std::to_string(row_of_line.at(line)));
    }
    DataSplit rows = stratified_split(all, {0.6, 0.2, 0.2}, options.seed);
    auto raw_rows = [](const Dataset& part) {
        std::vector<std::size_t> out;
        for (const std::string& id : part.ids) {
            out.push_back(std::stoull(id));
        }
        return out;
    };
    for (const auto& [part, name] :
         {std::pair{&rows.train, "training"}, std::pair{&rows.valid, "validation"},
          std::pair{&rows.test, "test"}}) {
        ClassBalance b = class_balance(*part);
        if (b.n_positives == 0 || b.n_negatives == 0) {
            throw_invalid(options.table + ": the " + std::string(name) + " part (" +
                          std::to_string(b.n_rows) + " of " + std::to_string(all.n_rows) +
                          " rows) lacks " + (b.n_positives == 0 ? "positives" : "negatives") +
                          "; the table needs more rows of the rarer class \"" +
                          whole.report.positive_label + "\"");
        }
    }

    TableOptions fit_options = options.columns;
    fit_options.positive_label = whole.report.positive_label;
    fit_options.warn = false;  // the whole table's fit said them
    // Columns the whole table showed to be ids stay out of the training fit too (said once).
    std::map<std::string, std::string> found_ids;
    for (const ColumnReport& c : whole.report.columns) {
        if (c.role == "ignored" && std::find(fit_options.ignore.begin(), fit_options.ignore.end(),
                                             c.name) == fit_options.ignore.end()) {
            fit_options.ignore.push_back(c.name);
            found_ids[c.name] = c.reason;
        }
    }
    RawTable train_raw = subset(raw, raw_rows(rows.train));
    FittedTable fitted = fit_table(train_raw, fit_options);
    for (ColumnReport& c : fitted.report.columns) {
        if (auto it = found_ids.find(c.name); it != found_ids.end()) {
            c.reason = it->second;
        }
    }
    EncodedTable valid = fitted.encoder.apply(subset(raw, raw_rows(rows.valid)));
    EncodedTable test = fitted.encoder.apply(subset(raw, raw_rows(rows.test)));
    nlohmann::json unseen = nlohmann::json::array();
    note_unseen(valid.report, "validation", unseen);
    note_unseen(test.report, "test", unseen);

    DataSplit split{to_dataset(fitted.matrix), to_dataset(valid.matrix), to_dataset(test.matrix)};
    SelectionResult selection = select_classifier(
        std::move(candidates), split,
        selection_options(options.imbalance, options.min_precision, options.seed));

    ClassBalance balance = class_balance(all);
    nlohmann::json out = {
        {"table", options.table},
        {"model_dir", options.model_dir},
        {"target", whole.report.target},
        {"positive_label", whole.report.positive_label},
        {"negative_label", whole.report.negative_label},
        {"positive_rule", whole.report.positive_rule},
        {"rows",
         {{"read", whole.report.n_rows_read},
          {"used", whole.report.n_rows},
          {"dropped_missing_target", whole.report.n_dropped_missing_target}}},
        {"class_ratio",
         {{"positives", balance.n_positives},
          {"negatives", balance.n_negatives},
          {"negatives_per_positive", balance.negatives_per_positive
                                         ? nlohmann::json(*balance.negatives_per_positive)
                                         : nlohmann::json()}}},
        {"columns", fitted.report.to_json()["columns"]},
        {"split",
         {{"rule", "stratified 60/20/20, seed " + std::to_string(options.seed) +
                       "; the encoder is fitted on the training rows only"},
          {"train", split.train.n_rows},
          {"valid", split.valid.n_rows},
          {"test", split.test.n_rows}}},
        {"unseen_categories", unseen},
        {"selection", to_json(selection, split.train.feature_names)}};

    nlohmann::json extra = {
        {"source", kTableSource}, {"encoder", fitted.encoder.to_json()}, {"training", out}};
    save_classifier(options.model_dir, *selection.model, split.train.feature_names,
                    selection.threshold, extra);
    return out;
}

nlohmann::json score_with_model(const ScoreOptions& options) {
    LoadedClassifier loaded = load_classifier(options.model_dir);
    std::string meta_file = (fs::path(options.model_dir) / "meta.json").string();
    fs::path out_file = options.out.empty() ? fs::path("scores.csv") : fs::path(options.out);
    std::string source;
    read_field_if_present(loaded.meta, "source", meta_file, source);

    nlohmann::json result;
    if (source == kTableSource) {
        if (options.table.empty()) {
            throw_invalid(options.model_dir +
                          " is a customer-table model: give the customers to score with --table");
        }
        TableEncoder encoder = TableEncoder::from_json(loaded.meta.at("encoder"));
        if (encoder.feature_names() != loaded.feature_names) {
            throw_invalid(meta_file + ": the encoder's features differ from the model's");
        }
        RawTable raw = read_table(options.table, options.read);
        EncodedTable encoded = encoder.apply(raw);
        nlohmann::json unseen = nlohmann::json::array();
        note_unseen(encoded.report, "scored", unseen);
        Dataset x = to_dataset(encoded.matrix);
        std::vector<double> p = loaded.model->predict_proba(x);
        std::vector<Attribution> why = loaded.model->explain(x);
        std::unordered_map<std::uint64_t, std::size_t> row_of_line;
        for (std::size_t r = 0; r < raw.n_rows(); ++r) {
            row_of_line.emplace(raw.lines[r], r);
        }
        std::vector<std::size_t> feature_column = feature_columns(encoder);
        std::vector<std::vector<std::string>> reasons(x.n_rows);
        std::vector<std::string> ids = encoded.matrix.ids;
        for (std::size_t r = 0; r < x.n_rows; ++r) {
            std::size_t raw_row = row_of_line.at(encoded.matrix.lines[r]);
            reasons[r] = table_reasons(encoder, raw, raw_row, why[r], feature_column);
        }
        std::string id_header = encoder.id_column().empty() ? "line" : encoder.id_column();
        if (encoder.id_column().empty()) {
            for (std::uint64_t line : encoded.matrix.lines) {
                ids.push_back(std::to_string(line));
            }
        }
        result = write_scores(out_file, id_header, ids, p, reasons, loaded.threshold, options.top_n,
                              "id");
        result["unseen_categories"] = unseen;
    } else {
        // The churn and propensity models of `sextant run`.
        if (!options.table.empty()) {
            throw_invalid("--table: " + options.model_dir +
                          " is an event-log model: it scores the users of its store (give "
                          "--store to use another), not a table");
        }
        std::string store = options.store;
        if (store.empty()) {
            read_field_if_present(loaded.meta, "store", meta_file, store);
        }
        if (store.empty()) {
            throw_invalid(options.model_dir + " names no store: give one with --store");
        }
        std::unique_ptr<EventStore> events = EventStore::open_existing(store);
        EventTable table = events->load_table();
        FeatureOptions features;
        features.event_names =
            meta_field<std::vector<std::string>>(loaded.meta, "event_names", meta_file);
        std::string tz = "UTC";
        read_field_if_present(loaded.meta, "tz", meta_file, tz);
        features.zone = TimeZone::named(tz);
        std::string task;
        read_field_if_present(loaded.meta, "task", meta_file, task);
        std::optional<double> lapsed_after;
        if (task == "churn") {
            lapsed_after = meta_field<int>(loaded.meta, "horizon_days", meta_file);
        }
        result = score_users(table, *loaded.model, loaded.threshold, features, out_file,
                             options.top_n, lapsed_after);
        result["store"] = store;
    }
    result["model_dir"] = options.model_dir;
    result["kind"] = loaded.model->name();
    result["threshold"] = loaded.threshold;
    return result;
}

}  // namespace sextant
