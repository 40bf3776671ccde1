#include "sextant/analytics/overview.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace sextant {
namespace {

// Bin 0 holds 1 event; bin k >= 1 holds 2^(k-1) + 1 to 2^k events.
std::size_t bin_of(std::uint64_t count) {
    return count <= 1 ? 0 : static_cast<std::size_t>(std::bit_width(count - 1));
}

std::vector<HistogramBin> log_histogram(std::span<const std::uint64_t> counts) {
    std::vector<HistogramBin> bins;
    for (std::uint64_t c : counts) {
        std::size_t b = bin_of(c);
        if (b >= bins.size()) {
            bins.resize(b + 1);
        }
        ++bins[b].users;
    }
    for (std::size_t b = 0; b < bins.size(); ++b) {
        bins[b].from = b == 0 ? 1 : (std::uint64_t{1} << (b - 1)) + 1;
        bins[b].to = std::uint64_t{1} << b;
    }
    return bins;
}

std::optional<EventsPerUser> events_per_user(const EventTable& table) {
    std::vector<std::uint64_t> counts;
    counts.reserve(table.n_users());
    for (std::uint32_t u = 0; u < table.n_users(); ++u) {
        std::uint64_t n = table.user_end(u) - table.user_begin(u);
        if (n > 0) {
            counts.push_back(n);
        }
    }
    if (counts.empty()) {
        return std::nullopt;
    }
    std::sort(counts.begin(), counts.end());

    EventsPerUser out;
    out.min = counts.front();
    out.max = counts.back();
    out.q1 = quantile_linear(counts, 0.25);
    out.median = quantile_linear(counts, 0.5);
    out.q3 = quantile_linear(counts, 0.75);
    double total = 0;
    for (std::uint64_t c : counts) {
        total += static_cast<double>(c);
    }
    out.mean = total / static_cast<double>(counts.size());
    out.histogram = log_histogram(counts);
    return out;
}

std::vector<EventNameCount> name_counts(const EventTable& table) {
    std::vector<std::uint64_t> counts(table.n_names(), 0);
    for (std::uint32_t n : table.name) {
        ++counts[n];
    }
    std::vector<EventNameCount> out;
    for (std::uint32_t n = 0; n < counts.size(); ++n) {
        if (counts[n] > 0) {
            out.push_back({table.names.text(n), counts[n]});
        }
    }
    std::sort(out.begin(), out.end(), [](const EventNameCount& a, const EventNameCount& b) {
        return a.events != b.events ? a.events > b.events : a.name < b.name;
    });
    return out;
}

}  // namespace

double quantile_linear(std::span<const std::uint64_t> sorted, double p) {
    double h = p * static_cast<double>(sorted.size() - 1);
    double below = std::floor(h);
    auto i = static_cast<std::size_t>(below);
    double lo = static_cast<double>(sorted[i]);
    if (i + 1 >= sorted.size()) {
        return lo;
    }
    return lo + (h - below) * (static_cast<double>(sorted[i + 1]) - lo);
}

Overview compute_overview(const EventTable& table, const TimeZone& zone) {
    Overview out;
    out.events = table.n_events();

    for (std::uint32_t u = 0; u < table.n_users(); ++u) {
        out.users += table.user_end(u) > table.user_begin(u) ? 1 : 0;
    }

    // The dictionary may know items no event uses, so count the ones that occur.
    std::vector<bool> seen(table.n_items(), false);
    for (std::uint32_t i : table.item) {
        if (i != kNoItem && !seen[i]) {
            seen[i] = true;
            ++out.items;
        }
    }

    if (!table.time.empty()) {
        auto [lo, hi] = std::minmax_element(table.time.begin(), table.time.end());
        TimeRange range{*lo, *hi, 0};
        range.days = std::int64_t{zone.day_of(*hi)} - zone.day_of(*lo) + 1;
        out.time_range = range;
    }

    out.event_names = name_counts(table);
    out.events_per_user = events_per_user(table);
    return out;
}

nlohmann::json to_json(const Overview& overview) {
    nlohmann::json j;
    j["events"] = overview.events;
    j["users"] = overview.users;
    j["items"] = overview.items;

    if (overview.time_range) {
        const TimeRange& r = *overview.time_range;
        j["time_range"] = {
            {"first", format_utc(r.first)}, {"last", format_utc(r.last)}, {"days", r.days}};
    } else {
        j["time_range"] = nullptr;
        j["time_range_reason"] = "no events";
    }

    j["event_names"] = nlohmann::json::array();
    for (const EventNameCount& n : overview.event_names) {
        j["event_names"].push_back({{"name", n.name}, {"events", n.events}});
    }

    if (overview.events_per_user) {
        const EventsPerUser& e = *overview.events_per_user;
        nlohmann::json bins = nlohmann::json::array();
        for (const HistogramBin& b : e.histogram) {
            bins.push_back({{"from", b.from}, {"to", b.to}, {"users", b.users}});
        }
        j["events_per_user"] = {{"min", e.min},     {"q1", e.q1},   {"median", e.median},
                                {"q3", e.q3},       {"max", e.max}, {"mean", e.mean},
                                {"histogram", bins}};
    } else {
        j["events_per_user"] = nullptr;
        j["events_per_user_reason"] = "no users with events";
    }
    return j;
}

}  // namespace sextant
