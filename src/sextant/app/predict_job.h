// The prediction part of the main job: churn (and purchase propensity when the log has a
// purchase-like event) from the event table, scored for every user with reasons, and forecasts
// of the daily metrics.
//
// Churn and propensity are evaluated the way they are used: a model is trained on an earlier
// period and judged on a later one. With horizon h and the data ending at E:
//   - training and validation examples take their features before c1 = E - 2h and their labels
//     from [c1, c1 + h) (validation: a stratified quarter of those users, which chooses the model
//     and the decision threshold);
//   - test examples take their features before c2 = E - h and their labels from [c2, E): the
//     test part is a later period than anything the models were fitted or chosen on;
//   - scores are "as of now": features from every event, for every user.
// When the data is too short for two horizons, the test part is a stratified fifth of the c2
// examples instead, and summary.json says so.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "sextant/core/time.h"
#include "sextant/data/event_table.h"
#include "sextant/predict/classifier.h"
#include "sextant/predict/features.h"

namespace sextant {

struct PredictJobOptions {
    std::string out_dir;       // scores go to OUT/predict/, models to OUT/models/
    std::string store;         // the store the table came from, recorded in the models' meta
    int horizon_days = 30;     // --horizon
    std::string target_event;  // --target-event; empty: a purchase-like name when present
    std::string tz = "UTC";    // day boundaries of the features and the forecasts
    // The main job's --budget: the forecasts' LSTMs get a sixth of it each; the classifiers are
    // bounded by their epochs and early stopping, a few seconds in all.
    double budget_seconds = 60;
    std::uint64_t seed = 42;
    std::size_t top_at_risk = 20;                    // users listed in the summary and the report
    Imbalance imbalance = Imbalance::kClassWeights;  // --balance
    std::optional<double> min_precision;  // --min-precision; absent: the threshold of max F1
};

// Runs churn, propensity and forecasts on `table` and returns summary.json's "predict" and
// "forecast" objects as {"predict": ..., "forecast": ...}. A task the data cannot support (too
// short, a single class) is skipped with the reason in the summary, never an error.
nlohmann::json run_predictions(const EventTable& table, const PredictJobOptions& options);

// The event name used as the propensity target when none is given: the first name of the table
// that reads as a purchase ("purchase", "buy", "order", "checkout", "transaction", ...; case
// and separators ignored); empty when none does.
std::string purchase_like_event(const EventTable& table);

// Scores every user of `table` as of now (build_current_features with `features`, whose
// event_names and zone must be the model's) and writes the scores file (app/scores_file.h) with
// each user's three strongest reasons. Returns write_scores()'s JSON.
//
// With `lapsed_after_days` (churn: the horizon), users without an event for that long have
// already left by the model's own definition: they stay in the scores file but not in "top",
// which lists the users still active who are most likely to leave, and "lapsed" counts them.
nlohmann::json score_users(const EventTable& table, const Classifier& model, double threshold,
                           const FeatureOptions& features, const std::filesystem::path& file,
                           std::size_t top_n, std::optional<double> lapsed_after_days = {});

}  // namespace sextant
