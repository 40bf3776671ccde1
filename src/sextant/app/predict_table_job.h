// `sextant predict train` and `sextant predict score`: a classifier trained on any CSV of
// customers, and scores from any saved prediction model (a customer-table model, or the churn
// and propensity models `sextant run` saves from the event log).
//
// Training keeps the test part honest: the rows are split first (stratified 60/20/20 with the
// seed), the table encoder (types, imputation, scaling, encodings: predict/table.h) is fitted on
// the training rows alone and applied to the other two, the models are fitted on training,
// compared, calibrated and given their threshold on validation, and the chosen one is scored
// once on test. Everything decided is written down in the model directory's meta.json.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sextant/predict/classifier.h"
#include "sextant/predict/table.h"

namespace sextant {

struct TableTrainOptions {
    std::string table;      // the customers CSV
    std::string model_dir;  // where the model directory goes (replaced atomically)
    TableOptions columns;   // target, id, positive class, overrides, imputation, scaling
    TableReadOptions read;  // delimiter, encoding
    Imbalance imbalance = Imbalance::kClassWeights;
    std::optional<double> min_precision;  // threshold rule: max F1 when absent
    // Candidate kinds (logistic, dense_net, gbdt); empty: all three. With two or more, their
    // ensemble is tried too.
    std::vector<std::string> models;
    std::uint64_t seed = 42;
};

// Trains, saves the model directory and returns what was done: {"table", "model_dir", "rows"
// {read, used, dropped_missing_target}, "columns" [TableReport columns], "class_ratio",
// "split" {train, valid, test}, "unseen_categories" [{column, part, count}], "selection"
// (classifier.h's to_json)}. Throws Error(kInvalidInput) with one line for a bad table, option
// or model kind, a single-class target, an entirely missing column, or a part too small to
// hold both classes; nothing is written then.
nlohmann::json train_table_model(const TableTrainOptions& options);

struct ScoreOptions {
    std::string model_dir;
    std::string table;  // customer-table models: the CSV to score (required)
    std::string store;  // event models: the store (default: the one recorded at training)
    std::string out;    // the scores CSV; default: scores.csv beside nothing, in the current folder
    TableReadOptions read;
    std::size_t top_n = 10;  // rows returned in "top"
};

// Scores every customer (table models) or every user as of the store's last event (event
// models) and writes the scores file (app/scores_file.h). Returns write_scores()'s JSON plus
// "model_dir", "kind", "threshold" and, for tables, "unseen_categories". Throws Error naming the
// file for a bad model directory, a table missing a trained column, or an absent store.
nlohmann::json score_with_model(const ScoreOptions& options);

}  // namespace sextant
