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
#include <string>

#include <nlohmann/json.hpp>

#include "sextant/core/time.h"
#include "sextant/data/event_table.h"

namespace sextant {

struct PredictJobOptions {
    std::string out_dir;         // scores go to OUT/predict/, models to OUT/models/
    int horizon_days = 30;       // --horizon
    std::string target_event;    // --target-event; empty: a purchase-like name when present
    std::string tz = "UTC";      // day boundaries of the features and the forecasts
    double budget_seconds = 60;  // training budget of the neural models, shared
    std::uint64_t seed = 42;
    std::size_t top_at_risk = 20;  // users listed in the summary and the report
};

// Runs churn, propensity and forecasts on `table` and returns summary.json's "predict" and
// "forecast" objects as {"predict": ..., "forecast": ...}. A task the data cannot support (too
// short, a single class) is skipped with the reason in the summary, never an error.
nlohmann::json run_predictions(const EventTable& table, const PredictJobOptions& options);

// The event name used as the propensity target when none is given: the first name of the table
// that reads as a purchase ("purchase", "buy", "order", "checkout", "transaction", ...; case
// and separators ignored); empty when none does.
std::string purchase_like_event(const EventTable& table);

}  // namespace sextant
