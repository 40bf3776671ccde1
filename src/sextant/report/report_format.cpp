#include "sextant/report/report_format.h"

#include <cctype>
#include <cmath>
#include <cstdio>

#include "sextant/core/time.h"

namespace sextant::report {

namespace {

// Inserts a comma every three digits of the integer part of `digits` (which has no sign).
std::string group_thousands(const std::string& digits) {
    std::size_t point = digits.find('.');
    std::size_t int_len = point == std::string::npos ? digits.size() : point;
    std::string out;
    out.reserve(digits.size() + int_len / 3);
    for (std::size_t i = 0; i < int_len; ++i) {
        if (i > 0 && (int_len - i) % 3 == 0) {
            out += ',';
        }
        out += digits[i];
    }
    out.append(digits, int_len, std::string::npos);
    return out;
}

}  // namespace

std::string format_count(std::int64_t n) {
    // Work on the magnitude as unsigned so that INT64_MIN does not overflow.
    std::uint64_t magnitude =
        n < 0 ? ~static_cast<std::uint64_t>(n) + 1 : static_cast<std::uint64_t>(n);
    std::string grouped = group_thousands(std::to_string(magnitude));
    return n < 0 ? "-" + grouped : grouped;
}

std::string format_count(double n) {
    if (!std::isfinite(n)) {
        return "n/a";
    }
    // Beyond 2^63 a count is meaningless here; print it without grouping rather than overflow.
    if (std::fabs(n) >= 9.2e18) {
        char buf[64];
        std::snprintf(buf, sizeof buf, "%.0f", n);
        return buf;
    }
    return format_count(static_cast<std::int64_t>(std::llround(n)));
}

std::string format_decimal(double value, int decimals) {
    if (!std::isfinite(value)) {
        return "n/a";
    }
    char buf[512];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, std::fabs(value));
    std::string text = group_thousands(buf);
    // A value that rounds to zero prints without a sign ("0.0", not "-0.0").
    bool shows_nonzero = text.find_first_of("123456789") != std::string::npos;
    return value < 0 && shows_nonzero ? "-" + text : text;
}

std::string format_number(double value, int decimals) {
    if (!std::isfinite(value)) {
        return "n/a";
    }
    std::string text = format_decimal(value, decimals);
    if (text.find('.') != std::string::npos) {
        while (text.back() == '0') {
            text.pop_back();
        }
        if (text.back() == '.') {
            text.pop_back();
        }
    }
    return text == "-0" ? "0" : text;
}

std::string format_percent(double share, int decimals) {
    if (!std::isfinite(share)) {
        return "n/a";
    }
    return format_decimal(share * 100.0, decimals) + "%";
}

std::string escape_html(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        switch (c) {
            case '&':
                out += "&amp;";
                break;
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            case '"':
                out += "&quot;";
                break;
            case '\'':
                out += "&#39;";
                break;
            default:
                out += c;
        }
    }
    return out;
}

std::string escape_json_for_script(std::string_view json_text) {
    std::string out;
    out.reserve(json_text.size());
    for (char c : json_text) {
        switch (c) {
            case '<':
                out += "\\u003c";
                break;
            case '>':
                out += "\\u003e";
                break;
            case '&':
                out += "\\u0026";
                break;
            default:
                out += c;
        }
    }
    return out;
}

std::string escape_script_source(std::string_view source) {
    static constexpr std::string_view kTag = "</script";
    std::string out;
    out.reserve(source.size());
    std::size_t i = 0;
    while (i < source.size()) {
        bool is_tag = source.size() - i >= kTag.size();
        for (std::size_t k = 0; is_tag && k < kTag.size(); ++k) {
            is_tag = std::tolower(static_cast<unsigned char>(source[i + k])) == kTag[k];
        }
        if (is_tag) {
            // "<\/script" is the same string to JavaScript wherever it can legally appear.
            out += "<\\/";
            out.append(source.substr(i + 2, kTag.size() - 2));
            i += kTag.size();
        } else {
            out += source[i++];
        }
    }
    return out;
}

const nlohmann::json* member(const nlohmann::json& value, std::string_view key) {
    if (!value.is_object()) {
        return nullptr;
    }
    auto it = value.find(key);
    return it == value.end() ? nullptr : &*it;
}

std::optional<double> number(const nlohmann::json* value) {
    if (value == nullptr || !value->is_number()) {
        return std::nullopt;
    }
    double v = value->get<double>();
    return std::isfinite(v) ? std::optional<double>(v) : std::nullopt;
}

std::optional<double> number_at(const nlohmann::json& object, std::string_view key) {
    return number(member(object, key));
}

std::optional<std::string> text_at(const nlohmann::json& object, std::string_view key) {
    const nlohmann::json* value = member(object, key);
    if (value == nullptr || !value->is_string()) {
        return std::nullopt;
    }
    return value->get<std::string>();
}

const nlohmann::json* array_at(const nlohmann::json& object, std::string_view key) {
    const nlohmann::json* value = member(object, key);
    return value != nullptr && value->is_array() ? value : nullptr;
}

std::optional<std::int64_t> parse_day(std::string_view text) {
    if (text.size() != 10 || text[4] != '-' || text[7] != '-') {
        return std::nullopt;
    }
    auto digits = [&](std::size_t from, std::size_t n) -> std::optional<int> {
        int v = 0;
        for (std::size_t i = from; i < from + n; ++i) {
            if (!std::isdigit(static_cast<unsigned char>(text[i]))) {
                return std::nullopt;
            }
            v = v * 10 + (text[i] - '0');
        }
        return v;
    };
    auto year = digits(0, 4);
    auto month = digits(5, 2);
    auto day = digits(8, 2);
    if (!year || !month || !day || *month < 1 || *month > 12 || *day < 1 || *day > 31) {
        return std::nullopt;
    }
    return days_from_civil(*year, static_cast<unsigned>(*month), static_cast<unsigned>(*day));
}

}  // namespace sextant::report
