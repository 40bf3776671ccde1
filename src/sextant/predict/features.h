// Per-user feature rows and churn / propensity labels, built from the event table without leaks.
//
// A cutoff instant splits time in two. Features see only events strictly before the cutoff; labels
// see only the horizon [cutoff, cutoff + horizon). An event exactly at the cutoff therefore
// belongs to the horizon. Nothing at or after the cutoff can change a feature, the choice of the
// per-name columns included (they are ranked by counts before the cutoff, ties by name).
//
// The features, one row per example user (a user with at least one event before the cutoff),
// each name stating its unit; "window N days" is [cutoff - N days, cutoff):
//   days_since_last_event       (cutoff - last event) / 86400, fractional days
//   days_since_first_event      (cutoff - first event) / 86400: tenure, fractional days
//   events_total                events before the cutoff
//   active_days_total           distinct civil days (in the zone) with an event before the cutoff
//   events_last_{7,30,90}_days  events in the window
//   active_days_last_{7,30,90}_days  distinct civil days of the window's events
//   activity_trend_30_days      (a - b) / (a + b) with a = events in the last 30 days and b =
//                               events in the 30 days before those; 0 when both are 0, so it
//                               always lies in [-1, 1]
//   positive_value_total        sum of the values > 0 (NaN and infinite values ignored)
//   positive_value_last_{30,90}_days  the same over the window
//   negative_value_share        events with a value < 0 over events with a finite value (0
//                               counts as a value); 0 when the user has no valued event
//   distinct_items              distinct items (events without an item do not count)
//   gap_days_{mean,median,max,std,last}  the gaps in days between consecutive active days (1 for
//                               days in a row); std is the population one; last is the gap
//                               before the last active day. A user with a single active day has
//                               no gap: all five are 0 (active_days_total = 1 tells that case
//                               apart from a daily user, whose gaps are all 1)
//   events_<name>               events of that name before the cutoff, for the top-N names (or
//                               the names the caller fixes); <name> is lower-cased, every
//                               character other than a-z and 0-9 made '_'
//
// Pure functions of their arguments; thread-safe for a shared read-only table.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sextant/core/time.h"
#include "sextant/data/event_table.h"

namespace sextant {

struct FeatureOptions {
    // The split instant (UTC seconds). nullopt: the end of the data minus the horizon, where the
    // end is the last event's time + 1 s, so the last event falls inside the horizon.
    std::optional<Seconds> cutoff;
    // Length of the label window in days; must be > 0.
    std::int32_t horizon_days = 30;
    // How many event names get an events_<name> column, the most frequent before the cutoff.
    std::size_t top_names = 10;
    // When not empty, exactly these names get a column, in this order, and top_names is unused.
    // Scoring passes the names a model was trained with so the columns match; a name the table
    // lacks gives a column of zeros.
    std::vector<std::string> event_names;
    // Name of the event the propensity label asks about ("purchase"); empty: no propensity label.
    std::string target_event;
    // Keep only users whose last event before the cutoff is within this many days of it; 0 keeps
    // every user with an event before the cutoff. The default is 0 because the right window
    // depends on the product's cadence (weekly groceries against yearly travel), which only the
    // caller knows; long-gone users still carry signal, through days_since_last_event.
    std::int32_t active_within_days = 0;
    // Zone whose civil days make the active days; default UTC.
    TimeZone zone;
};

struct FeatureCounts {
    std::uint64_t n_users_before_cutoff = 0;  // users with at least one event before the cutoff
    std::uint64_t n_users_inactive = 0;       // of those, left out by active_within_days
    std::uint64_t n_examples = 0;             // rows of the matrix
    std::uint64_t n_churned = 0;              // examples with churn label 1 (0 without labels)
    std::uint64_t n_target = 0;               // examples with propensity label 1
    std::uint64_t n_feature_events = 0;       // events of the examples before the cutoff
    std::uint64_t n_horizon_events = 0;       // events of the examples inside the horizon
};

struct FeatureMatrix {
    std::vector<std::uint32_t> users;        // table user ids, ascending, one per row
    std::vector<std::string> user_names;     // the users' original ids, one per row
    std::vector<std::string> feature_names;  // one per column, stable snake_case with units
    std::vector<std::string> event_names;    // the original names behind the events_ columns
    std::vector<double> values;              // n_rows() x n_features(), row-major, all finite
    // 1 when the user has no event in the horizon, else 0; nullopt for matrices built to score.
    std::optional<std::vector<std::uint8_t>> churn;
    // 1 when the user does target_event in the horizon; nullopt without a target or to score.
    std::optional<std::vector<std::uint8_t>> propensity;
    Seconds cutoff = 0;
    std::int32_t horizon_days = 0;  // 0 for matrices built to score
    FeatureCounts counts;

    std::size_t n_rows() const { return users.size(); }
    std::size_t n_features() const { return feature_names.size(); }
    double at(std::size_t row, std::size_t feature) const {
        return values[row * feature_names.size() + feature];
    }
    // Column of a feature name, or nullopt.
    std::optional<std::size_t> feature_index(std::string_view name) const;
};

// Training examples: features before the cutoff, churn (and, with a target, propensity) labels
// from the horizon. Throws Error(kInvalidInput) with one line when the table has no events, the
// horizon is <= 0, active_within_days < 0, the cutoff is at or before the first event or lets the
// horizon run past the end of the data, the target event is not a name of the table (the message
// lists the names present), or no user is left as an example. One pass over each user's events,
// plus a pass over the name column to rank names; memory beyond the result is O(n_items + n_names
// + the largest user's events).
FeatureMatrix build_features(const EventTable& table, const FeatureOptions& options);

// Features "as of now" for scoring: cutoff = the last event's time + 1 s, so every event counts;
// no labels. options.cutoff, horizon_days and target_event are unused; event_names should be the
// trained model's. Throws Error(kInvalidInput) when the table has no events, active_within_days
// < 0 or no user is left.
FeatureMatrix build_current_features(const EventTable& table, const FeatureOptions& options);

// The events_<name> feature name for an event name ("Add to cart" -> "events_add_to_cart").
std::string event_feature_name(std::string_view event_name);

// Plain words for one feature value, for the reasons written beside a score, e.g.
// describe("days_since_last_event", 41.2, 6) -> "no activity for 41 days (usual gap 6)".
// `typical` is a reference value to show in brackets (the user's own mean gap for recency, shown
// as "usual gap"; the population's average for the others, shown as "average"); nullopt or NaN
// shows none. Every feature name is accepted; one
// without its own wording comes back as "<name> = <value>". Never throws.
std::string describe(std::string_view feature, double value,
                     std::optional<double> typical = std::nullopt);

}  // namespace sextant
