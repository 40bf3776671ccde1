#include "sextant/predict/features.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <limits>
#include <span>

#include "sextant/core/error.h"

namespace sextant {
namespace {

// The fixed columns, in order; the events_<name> columns follow them.
enum Column : std::size_t {
    kRecency,
    kTenure,
    kEventsTotal,
    kActiveDaysTotal,
    kEvents7,
    kEvents30,
    kEvents90,
    kActiveDays7,
    kActiveDays30,
    kActiveDays90,
    kTrend30,
    kValueTotal,
    kValue30,
    kValue90,
    kNegativeShare,
    kDistinctItems,
    kGapMean,
    kGapMedian,
    kGapMax,
    kGapStd,
    kGapLast,
    kFixedColumns,
};

constexpr std::array<const char*, kFixedColumns> kFixedNames = {
    "days_since_last_event",
    "days_since_first_event",
    "events_total",
    "active_days_total",
    "events_last_7_days",
    "events_last_30_days",
    "events_last_90_days",
    "active_days_last_7_days",
    "active_days_last_30_days",
    "active_days_last_90_days",
    "activity_trend_30_days",
    "positive_value_total",
    "positive_value_last_30_days",
    "positive_value_last_90_days",
    "negative_value_share",
    "distinct_items",
    "gap_days_mean",
    "gap_days_median",
    "gap_days_max",
    "gap_days_std",
    "gap_days_last",
};

// Window starts are computed in saturating arithmetic so that an extreme cutoff cannot wrap.
Seconds minus_days(Seconds t, std::int64_t days) {
    Seconds span = days * kSecondsPerDay;
    if (t < std::numeric_limits<Seconds>::min() + span) {
        return std::numeric_limits<Seconds>::min();
    }
    return t - span;
}

struct TimeRange {
    Seconds first = 0;
    Seconds last = 0;
};

TimeRange time_range(const EventTable& table) {
    if (table.n_events() == 0) {
        throw_invalid("features: the event table has no events");
    }
    auto [lo, hi] = std::minmax_element(table.time.begin(), table.time.end());
    return {*lo, *hi};
}

// The table's names, quoted and comma-separated, at most 20 of them.
std::string list_names(const Dictionary& names) {
    constexpr std::size_t kMaxListed = 20;
    std::string out;
    for (std::size_t i = 0; i < names.size() && i < kMaxListed; ++i) {
        out += (i == 0 ? "\"" : ", \"") + names.text(static_cast<std::uint32_t>(i)) + "\"";
    }
    if (names.size() > kMaxListed) {
        out += " and " + std::to_string(names.size() - kMaxListed) + " more";
    }
    return out;
}

// The ids of the top_n names by count of events before the cutoff (ties by text, so the order
// does not depend on how ids were interned); names without such an event are left out.
std::vector<std::uint32_t> rank_names(const EventTable& table, Seconds cutoff, std::size_t top_n) {
    std::vector<std::uint64_t> counts(table.n_names(), 0);
    for (std::size_t i = 0; i < table.n_events(); ++i) {
        if (table.time[i] < cutoff) {
            ++counts[table.name[i]];
        }
    }
    std::vector<std::uint32_t> ids;
    for (std::uint32_t id = 0; id < counts.size(); ++id) {
        if (counts[id] > 0) {
            ids.push_back(id);
        }
    }
    std::sort(ids.begin(), ids.end(), [&](std::uint32_t a, std::uint32_t b) {
        if (counts[a] != counts[b]) {
            return counts[a] > counts[b];
        }
        return table.names.text(a) < table.names.text(b);
    });
    ids.resize(std::min(ids.size(), top_n));
    return ids;
}

// Fills the matrix's name columns and returns, per table name id, its column after the fixed
// ones (-1 for none).
std::vector<std::int32_t> name_columns(const EventTable& table, const FeatureOptions& options,
                                       Seconds cutoff, FeatureMatrix& matrix) {
    std::vector<std::int32_t> column(table.n_names(), -1);
    std::vector<std::string> chosen;
    if (options.event_names.empty()) {
        for (std::uint32_t id : rank_names(table, cutoff, options.top_names)) {
            chosen.push_back(table.names.text(id));
        }
    } else {
        chosen = options.event_names;
    }

    for (const std::string& name : chosen) {
        if (std::find(matrix.event_names.begin(), matrix.event_names.end(), name) !=
            matrix.event_names.end()) {
            throw_invalid("features: event name \"" + name + "\" is listed twice");
        }
        // Two names may clean to the same feature name ("Add to cart", "add_to_cart").
        std::string feature = event_feature_name(name);
        std::string unique = feature;
        for (int k = 2; std::find(matrix.feature_names.begin(), matrix.feature_names.end(),
                                  unique) != matrix.feature_names.end();
             ++k) {
            unique = feature + "_" + std::to_string(k);
        }
        if (auto id = table.names.find(name)) {
            column[*id] = static_cast<std::int32_t>(matrix.event_names.size());
        }
        matrix.event_names.push_back(name);
        matrix.feature_names.push_back(unique);
    }
    return column;
}

// Distinct values of `days`, which are in event order: ascending except where a zone's clock
// went back over midnight. `scratch` is reused between calls.
std::size_t count_distinct(std::span<const Day> days, bool sorted, std::vector<Day>& scratch) {
    if (!sorted) {
        scratch.assign(days.begin(), days.end());
        std::sort(scratch.begin(), scratch.end());
        days = scratch;
    }
    std::size_t n = 0;
    for (std::size_t i = 0; i < days.size(); ++i) {
        n += (i == 0 || days[i] != days[i - 1]) ? 1 : 0;
    }
    return n;
}

// The settings one build shares across users.
struct Plan {
    Seconds cutoff = 0;
    std::optional<Seconds> horizon_end;        // labels only when set
    std::optional<std::uint32_t> target_name;  // propensity only when set
    Seconds active_start = std::numeric_limits<Seconds>::min();
    std::vector<std::int32_t> name_column;
    const TimeZone* zone = nullptr;
};

// What the horizon held for one user.
struct HorizonResult {
    bool any_event = false;
    bool target = false;
    std::uint64_t n_events = 0;
};

// Scans users one at a time, reusing its buffers so that a million users cost no million
// allocations.
class UserScanner {
public:
    UserScanner(const EventTable& table, const Plan& plan)
        : table_(table), plan_(plan), item_seen_(table.n_items(), 0) {
        starts_ = {minus_days(plan.cutoff, 7), minus_days(plan.cutoff, 30),
                   minus_days(plan.cutoff, 90)};
        start60_ = minus_days(plan.cutoff, 60);
    }

    // Writes user u's features into `row` (zeroed, n_features long) and returns the number of
    // events before the cutoff; when that is 0 the user is no example and the row is to be
    // dropped. The horizon is read only when `horizon` is not null.
    std::uint64_t scan(std::uint32_t u, std::span<double> row, HorizonResult* horizon);

    // Last event time before the cutoff of the user scanned last (valid when scan returned > 0).
    Seconds last_time() const { return last_; }

private:
    void finish_days(std::span<double> row);

    const EventTable& table_;
    const Plan& plan_;
    std::array<Seconds, 3> starts_{};  // starts of the 7, 30 and 90-day windows
    Seconds start60_ = 0;
    std::vector<std::uint32_t> item_seen_;       // per item: 1 + the last user that had it
    std::vector<Day> days_;                      // day of each event before the cutoff
    std::array<std::size_t, 3> window_first_{};  // index in days_ where each window begins
    std::vector<Day> scratch_;
    std::vector<double> gaps_;
    Seconds last_ = 0;
};

std::uint64_t UserScanner::scan(std::uint32_t u, std::span<double> row, HorizonResult* horizon) {
    std::uint64_t i = table_.user_begin(u);
    std::uint64_t end = table_.user_end(u);
    days_.clear();
    window_first_ = {0, 0, 0};
    std::array<bool, 3> window_open = {false, false, false};
    std::uint64_t previous_30 = 0;
    std::uint64_t n_valued = 0;
    std::uint64_t n_negative = 0;
    Seconds first = 0;
    std::uint32_t stamp = u + 1;

    // Features: the events strictly before the cutoff, in time order.
    for (; i < end && table_.time[i] < plan_.cutoff; ++i) {
        Seconds t = table_.time[i];
        if (days_.empty()) {
            first = t;
        }
        last_ = t;
        days_.push_back(plan_.zone->day_of(t));

        for (std::size_t w = 0; w < 3; ++w) {
            if (t >= starts_[w]) {
                if (!window_open[w]) {
                    window_open[w] = true;
                    window_first_[w] = days_.size() - 1;
                }
                row[kEvents7 + w] += 1;
            }
        }
        if (t >= start60_ && t < starts_[1]) {
            ++previous_30;
        }

        // Infinite values are treated as absent, like NaN, so every feature stays finite.
        double v = table_.value[i];
        if (std::isfinite(v)) {
            ++n_valued;
            n_negative += v < 0 ? 1 : 0;
            if (v > 0) {
                row[kValueTotal] += v;
                row[kValue30] += t >= starts_[1] ? v : 0;
                row[kValue90] += t >= starts_[2] ? v : 0;
            }
        }

        std::uint32_t item = table_.item[i];
        if (item != kNoItem && item_seen_[item] != stamp) {
            item_seen_[item] = stamp;
            row[kDistinctItems] += 1;
        }
        std::int32_t column = plan_.name_column[table_.name[i]];
        if (column >= 0) {
            row[kFixedColumns + static_cast<std::size_t>(column)] += 1;
        }
    }
    for (std::size_t w = 0; w < 3; ++w) {
        if (!window_open[w]) {
            window_first_[w] = days_.size();
        }
    }

    // Labels: the events in [cutoff, cutoff + horizon).
    if (horizon != nullptr && plan_.horizon_end) {
        for (; i < end && table_.time[i] < *plan_.horizon_end; ++i) {
            horizon->any_event = true;
            ++horizon->n_events;
            if (plan_.target_name && table_.name[i] == *plan_.target_name) {
                horizon->target = true;
            }
        }
    }

    std::uint64_t n = days_.size();
    if (n == 0) {
        return 0;
    }
    row[kRecency] = static_cast<double>(plan_.cutoff - last_) / kSecondsPerDay;
    row[kTenure] = static_cast<double>(plan_.cutoff - first) / kSecondsPerDay;
    row[kEventsTotal] = static_cast<double>(n);
    double a = row[kEvents30];
    double b = static_cast<double>(previous_30);
    row[kTrend30] = a + b > 0 ? (a - b) / (a + b) : 0.0;
    row[kNegativeShare] =
        n_valued > 0 ? static_cast<double>(n_negative) / static_cast<double>(n_valued) : 0.0;
    finish_days(row);
    return n;
}

// Active days of the windows and the gap statistics, from days_.
void UserScanner::finish_days(std::span<double> row) {
    bool sorted = std::is_sorted(days_.begin(), days_.end());
    std::span<const Day> all(days_);
    for (std::size_t w = 0; w < 3; ++w) {
        row[kActiveDays7 + w] =
            static_cast<double>(count_distinct(all.subspan(window_first_[w]), sorted, scratch_));
    }

    // The distinct days, ascending, into scratch_.
    scratch_.assign(days_.begin(), days_.end());
    if (!sorted) {
        std::sort(scratch_.begin(), scratch_.end());
    }
    scratch_.erase(std::unique(scratch_.begin(), scratch_.end()), scratch_.end());
    row[kActiveDaysTotal] = static_cast<double>(scratch_.size());

    gaps_.clear();
    for (std::size_t k = 1; k < scratch_.size(); ++k) {
        gaps_.push_back(static_cast<double>(scratch_[k] - scratch_[k - 1]));
    }
    if (gaps_.empty()) {
        return;  // one active day: the gap columns stay 0, as the header documents
    }
    double sum = 0;
    double max = 0;
    for (double g : gaps_) {
        sum += g;
        max = std::max(max, g);
    }
    double mean = sum / static_cast<double>(gaps_.size());
    double squares = 0;
    for (double g : gaps_) {
        squares += (g - mean) * (g - mean);
    }
    row[kGapMean] = mean;
    row[kGapMax] = max;
    row[kGapStd] = std::sqrt(squares / static_cast<double>(gaps_.size()));
    row[kGapLast] = gaps_.back();

    // Median last, since nth_element reorders the gaps.
    std::size_t mid = gaps_.size() / 2;
    std::nth_element(gaps_.begin(), gaps_.begin() + static_cast<std::ptrdiff_t>(mid), gaps_.end());
    double upper = gaps_[mid];
    if (gaps_.size() % 2 == 1) {
        row[kGapMedian] = upper;
    } else {
        double lower =
            *std::max_element(gaps_.begin(), gaps_.begin() + static_cast<std::ptrdiff_t>(mid));
        row[kGapMedian] = (lower + upper) / 2;
    }
}

// The shared body of both builders: validation of the plan is the caller's.
FeatureMatrix build(const EventTable& table, const FeatureOptions& options, Plan plan,
                    FeatureMatrix matrix) {
    for (const char* name : kFixedNames) {
        matrix.feature_names.emplace_back(name);
    }
    plan.name_column = name_columns(table, options, plan.cutoff, matrix);
    plan.zone = &options.zone;
    std::size_t width = matrix.feature_names.size();
    bool labels = plan.horizon_end.has_value();
    if (labels) {
        matrix.churn.emplace();
        if (plan.target_name) {
            matrix.propensity.emplace();
        }
    }

    UserScanner scanner(table, plan);
    FeatureCounts& counts = matrix.counts;
    for (std::uint32_t u = 0; u < table.n_users(); ++u) {
        std::size_t offset = matrix.values.size();
        matrix.values.resize(offset + width, 0.0);
        std::span<double> row(matrix.values.data() + offset, width);
        HorizonResult horizon;
        std::uint64_t n_before = scanner.scan(u, row, labels ? &horizon : nullptr);

        bool keep = n_before > 0 && scanner.last_time() >= plan.active_start;
        counts.n_users_before_cutoff += n_before > 0 ? 1 : 0;
        counts.n_users_inactive += n_before > 0 && !keep ? 1 : 0;
        if (!keep) {
            matrix.values.resize(offset);
            continue;
        }
        matrix.users.push_back(u);
        matrix.user_names.push_back(table.users.text(u));
        counts.n_feature_events += n_before;
        if (labels) {
            matrix.churn->push_back(horizon.any_event ? 0 : 1);
            counts.n_churned += horizon.any_event ? 0 : 1;
            counts.n_horizon_events += horizon.n_events;
            if (matrix.propensity) {
                matrix.propensity->push_back(horizon.target ? 1 : 0);
                counts.n_target += horizon.target ? 1 : 0;
            }
        }
    }
    counts.n_examples = matrix.users.size();

    if (counts.n_examples == 0) {
        std::string when = format_utc(plan.cutoff);
        if (counts.n_users_before_cutoff == 0) {
            throw_invalid("features: no user has an event before the cutoff " + when);
        }
        throw_invalid("features: no user was active in the " +
                      std::to_string(options.active_within_days) + " days before the cutoff " +
                      when + " (" + std::to_string(counts.n_users_before_cutoff) +
                      " users have older events)");
    }
    return matrix;
}

Seconds active_start(const FeatureOptions& options, Seconds cutoff) {
    if (options.active_within_days < 0) {
        throw_invalid("features: active_within_days must be >= 0, got " +
                      std::to_string(options.active_within_days));
    }
    if (options.active_within_days == 0) {
        return std::numeric_limits<Seconds>::min();
    }
    return minus_days(cutoff, options.active_within_days);
}

}  // namespace

std::optional<std::size_t> FeatureMatrix::feature_index(std::string_view name) const {
    auto it = std::find(feature_names.begin(), feature_names.end(), name);
    if (it == feature_names.end()) {
        return std::nullopt;
    }
    return static_cast<std::size_t>(it - feature_names.begin());
}

FeatureMatrix build_features(const EventTable& table, const FeatureOptions& options) {
    TimeRange range = time_range(table);
    if (options.horizon_days <= 0) {
        throw_invalid("features: the horizon must be at least 1 day, got " +
                      std::to_string(options.horizon_days));
    }

    // The data ends just after its last event, so a horizon ending there still holds it.
    Seconds data_end = range.last + 1;
    Seconds horizon = Seconds{options.horizon_days} * kSecondsPerDay;
    Seconds latest = data_end - horizon;
    Seconds cutoff = options.cutoff.value_or(latest);
    if (latest <= range.first) {
        throw_invalid("features: the data (" + format_utc(range.first) + " to " +
                      format_utc(range.last) + ") is no longer than the " +
                      std::to_string(options.horizon_days) +
                      "-day horizon, so no cutoff leaves events on both sides; use a shorter "
                      "horizon");
    }
    if (cutoff <= range.first) {
        throw_invalid("features: the cutoff " + format_utc(cutoff) +
                      " is at or before the first event (" + format_utc(range.first) +
                      "), so no event comes before it; with a " +
                      std::to_string(options.horizon_days) +
                      "-day horizon the data allows cutoffs up to " + format_utc(latest));
    }
    if (cutoff > latest) {
        throw_invalid("features: the cutoff " + format_utc(cutoff) + " leaves less than the " +
                      std::to_string(options.horizon_days) +
                      "-day horizon before the last event (" + format_utc(range.last) +
                      "); the latest cutoff allowed is " + format_utc(latest));
    }

    Plan plan;
    plan.cutoff = cutoff;
    plan.horizon_end = cutoff + horizon;
    plan.active_start = active_start(options, cutoff);
    if (!options.target_event.empty()) {
        plan.target_name = table.names.find(options.target_event);
        if (!plan.target_name) {
            throw_invalid(
                "features: the target event \"" + options.target_event +
                "\" is not an event name of the data; names present: " + list_names(table.names));
        }
    }

    FeatureMatrix matrix;
    matrix.cutoff = cutoff;
    matrix.horizon_days = options.horizon_days;
    return build(table, options, plan, std::move(matrix));
}

FeatureMatrix build_current_features(const EventTable& table, const FeatureOptions& options) {
    TimeRange range = time_range(table);
    Plan plan;
    plan.cutoff = range.last + 1;
    plan.active_start = active_start(options, plan.cutoff);

    FeatureMatrix matrix;
    matrix.cutoff = plan.cutoff;
    matrix.horizon_days = 0;
    return build(table, options, plan, std::move(matrix));
}

std::string event_feature_name(std::string_view event_name) {
    std::string out = "events_";
    for (char c : event_name) {
        if (c >= 'A' && c <= 'Z') {
            out += static_cast<char>(c - 'A' + 'a');
        } else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
            out += c;
        } else {
            out += '_';
        }
    }
    return out;
}

}  // namespace sextant
