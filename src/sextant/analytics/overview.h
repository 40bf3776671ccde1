// The overview of a behavior log: how many events, users and items, which event names, over
// what time, and how events spread over users.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sextant/core/time.h"
#include "sextant/data/event_table.h"

namespace sextant {

struct EventNameCount {
    std::string name;
    std::uint64_t events = 0;
};

struct TimeRange {
    Seconds first = 0;      // earliest event (UTC)
    Seconds last = 0;       // latest event (UTC)
    std::int64_t days = 0;  // civil days in the zone from first to last, both included
};

// Users with `from` to `to` events, both included.
struct HistogramBin {
    std::uint64_t from = 0;
    std::uint64_t to = 0;
    std::uint64_t users = 0;
};

// Events per user over the users that have at least one event.
struct EventsPerUser {
    std::uint64_t min = 0;
    double q1 = 0;  // quartiles by linear interpolation, see quantile_linear
    double median = 0;
    double q3 = 0;
    std::uint64_t max = 0;
    double mean = 0;
    // Log-spaced bins 1, 2, 3-4, 5-8, 9-16, ... up to the bin holding `max`; empty bins between
    // are kept so that a chart's axis has no holes.
    std::vector<HistogramBin> histogram;
};

struct Overview {
    std::uint64_t events = 0;
    std::uint64_t users = 0;                       // users with at least one event
    std::uint64_t items = 0;                       // distinct items that occur in some event
    std::optional<TimeRange> time_range;           // nullopt when there are no events
    std::vector<EventNameCount> event_names;       // by events, descending; ties by name
    std::optional<EventsPerUser> events_per_user;  // nullopt when there are no users
};

// Computes the overview of `table`, with days counted in `zone`. One pass over the table.
Overview compute_overview(const EventTable& table, const TimeZone& zone);

// The p-quantile (0 <= p <= 1) of ascending `sorted` values by linear interpolation between
// order statistics: position h = p * (n - 1), value x[floor h] + (h - floor h) * (x[floor h + 1]
// - x[floor h]). This is numpy's default percentile rule ("linear"), so figures match what an
// analyst gets from numpy. REQUIRES: sorted is non-empty and ascending.
double quantile_linear(std::span<const std::uint64_t> sorted, double p);

// The summary.json keys of the overview, to merge into the top level of the summary:
// `events`, `users`, `items`, `time_range`, `event_names`, `events_per_user`. A figure that
// cannot be computed is null with a sibling `*_reason`.
nlohmann::json to_json(const Overview& overview);

}  // namespace sextant
