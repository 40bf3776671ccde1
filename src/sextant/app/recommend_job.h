// Fits every recommender on the leave-last-out split of a table, evaluates each on the same
// split, and returns the `recommend` object of summary.json.
#pragma once

#include <nlohmann/json.hpp>

#include "sextant/app/jobs.h"
#include "sextant/data/event_table.h"

namespace sextant {

nlohmann::json evaluate_recommenders(const EventTable& table, const AnalyzeOptions& options);

}  // namespace sextant
