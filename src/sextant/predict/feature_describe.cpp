// describe(): plain words for the features of predict/features.h.
#include <cmath>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>

#include "sextant/predict/features.h"

namespace sextant {
namespace {

std::string printf_number(const char* format, double v) {
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, format, v);
    return buffer;
}

// Whole numbers without decimals, small fractions with one, large values rounded.
std::string number(double v) {
    if (!std::isfinite(v)) {
        return printf_number("%g", v);
    }
    if (std::fabs(v - std::round(v)) < 0.05 || std::fabs(v) >= 100) {
        return printf_number("%.0f", v);
    }
    return printf_number("%.1f", v);
}

std::string amount(double v) {
    return printf_number("%.2f", v);
}

std::string percent(double share) {
    return printf_number("%.0f", share * 100) + "%";
}

// "1 day", "41 days": whole days elapsed, rounded down.
std::string whole_days(double days) {
    double whole = std::floor(days);
    return number(whole) + (whole == 1 ? " day" : " days");
}

std::string plural(double count, std::string_view one, std::string_view many) {
    return number(count) + " " + std::string(count == 1 ? one : many);
}

std::string bracket(std::string_view label, const std::optional<double>& typical,
                    std::string (*format)(double) = number) {
    if (!typical || !std::isfinite(*typical)) {
        return "";
    }
    return " (" + std::string(label) + format(*typical) + ")";
}

// N of a "<prefix>N_days" feature name, or nullopt.
std::optional<int> window_days(std::string_view feature, std::string_view prefix) {
    constexpr std::string_view kSuffix = "_days";
    if (feature.size() <= prefix.size() + kSuffix.size() ||
        feature.substr(0, prefix.size()) != prefix ||
        feature.substr(feature.size() - kSuffix.size()) != kSuffix) {
        return std::nullopt;
    }
    std::string_view digits =
        feature.substr(prefix.size(), feature.size() - prefix.size() - kSuffix.size());
    int n = 0;
    for (char c : digits) {
        if (c < '0' || c > '9' || n > 100000) {
            return std::nullopt;
        }
        n = n * 10 + (c - '0');
    }
    return n;
}

// The change that a trend (a - b) / (a + b) stands for: a / b = (1 + t) / (1 - t).
std::string trend_words(double t) {
    constexpr double kEpsilon = 1e-9;
    if (t >= 1 - kEpsilon) {
        return "active in the last 30 days after none in the 30 before";
    }
    if (t <= -1 + kEpsilon) {
        return "no activity in the last 30 days after some in the 30 before";
    }
    if (std::fabs(t) < kEpsilon) {
        return "activity steady in the last 30 days against the 30 before";
    }
    double change = (1 + t) / (1 - t) - 1;
    return std::string("activity ") + (change > 0 ? "up " : "down ") + percent(std::fabs(change)) +
           " in the last 30 days against the 30 before";
}

std::optional<std::string> describe_gap(std::string_view feature, double value,
                                        const std::optional<double>& typical) {
    std::string typical_text = bracket("average ", typical);
    if (feature == "gap_days_mean") {
        return "on average " + plural(value, "day", "days") + " between active days" + typical_text;
    }
    if (feature == "gap_days_median") {
        return "median gap between active days " + plural(value, "day", "days") + typical_text;
    }
    if (feature == "gap_days_max") {
        return "longest gap between active days " + plural(value, "day", "days") + typical_text;
    }
    if (feature == "gap_days_std") {
        return "gaps between active days vary by " + plural(value, "day", "days") + typical_text;
    }
    if (feature == "gap_days_last") {
        return "last gap between active days " + plural(value, "day", "days") + typical_text;
    }
    return std::nullopt;
}

std::optional<std::string> describe_window(std::string_view feature, double value,
                                           const std::optional<double>& typical) {
    std::string typical_text = bracket("average ", typical);
    if (auto n = window_days(feature, "events_last_")) {
        return plural(value, "event", "events") + " in the last " + std::to_string(*n) + " days" +
               typical_text;
    }
    if (auto n = window_days(feature, "active_days_last_")) {
        return "active on " + number(value) + " of the last " + std::to_string(*n) + " days" +
               typical_text;
    }
    if (auto n = window_days(feature, "positive_value_last_")) {
        return "value " + amount(value) + " in the last " + std::to_string(*n) + " days" +
               bracket("average ", typical, amount);
    }
    return std::nullopt;
}

}  // namespace

std::string describe(std::string_view feature, double value, std::optional<double> typical) {
    if (!std::isfinite(value)) {
        return std::string(feature) + " = " + number(value);
    }
    std::string typical_text = bracket("average ", typical);

    if (feature == "days_since_last_event") {
        std::string gap = bracket("usual gap ", typical);
        if (value < 1) {
            return "active within the last day" + gap;
        }
        return "no activity for " + whole_days(value) + gap;
    }
    if (feature == "days_since_first_event") {
        if (value < 1) {
            return "first seen less than a day ago" + typical_text;
        }
        return "first seen " + whole_days(value) + " ago" + typical_text;
    }
    if (feature == "events_total") {
        return plural(value, "event", "events") + " in all" + typical_text;
    }
    if (feature == "active_days_total") {
        return "active on " + plural(value, "day", "days") + " in all" + typical_text;
    }
    if (feature == "activity_trend_30_days") {
        std::string words = trend_words(value);
        if (typical && std::isfinite(*typical)) {
            words += " (average: " + trend_words(*typical) + ")";
        }
        return words;
    }
    if (feature == "positive_value_total") {
        return "value " + amount(value) + " in all" + bracket("average ", typical, amount);
    }
    if (feature == "negative_value_share") {
        return percent(value) + " of valued events are returns or cancellations" +
               bracket("average ", typical, percent);
    }
    if (feature == "distinct_items") {
        return plural(value, "distinct item", "distinct items") + typical_text;
    }
    if (auto text = describe_window(feature, value, typical)) {
        return *text;
    }
    if (auto text = describe_gap(feature, value, typical)) {
        return *text;
    }

    // events_<name>: the cleaned name, its underscores read as spaces.
    constexpr std::string_view kPrefix = "events_";
    if (feature.size() > kPrefix.size() && feature.substr(0, kPrefix.size()) == kPrefix) {
        std::string name(feature.substr(kPrefix.size()));
        for (char& c : name) {
            c = c == '_' ? ' ' : c;
        }
        // A log without event names calls every event "event": no "event events".
        if (name == "event" || name == "events") {
            return plural(value, "event", "events") + " named \"" + name + "\"" + typical_text;
        }
        return plural(value, name + " event", name + " events") + typical_text;
    }
    return std::string(feature) + " = " + number(value) + typical_text;
}

}  // namespace sextant
