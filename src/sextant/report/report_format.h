// Text helpers of the HTML report: number formatting, escaping, and tolerant reads of the summary.
//
// The summary JSON comes from code that may be newer or older than the report, or from a file a
// user edited, so every read here tolerates a missing key or a value of the wrong type by
// returning nullopt (or nullptr) instead of throwing. All functions are pure and thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace sextant::report {

// "135,080" for 135080; negative numbers keep their sign ("-1,204").
std::string format_count(std::int64_t n);

// A count given as a JSON number; rounds to the nearest integer. "n/a" when not finite.
std::string format_count(double n);

// "42.3%" for 0.4231 with one decimal; "n/a" when not finite.
std::string format_percent(double share, int decimals = 1);

// Fixed-point text with thousands separators: format_decimal(1234.5678, 2) is "1,234.57".
std::string format_decimal(double value, int decimals);

// A figure that may be fractional (a quartile, 2.5): grouped like format_count when it is a whole
// number, else with up to `decimals` decimals and trailing zeros dropped ("2.5", not "2.50").
std::string format_number(double value, int decimals = 2);

// Escapes &, <, >, " and ' for HTML text and attribute values.
std::string escape_html(std::string_view text);

// Makes JSON text safe inside a <script> element: <, > and & become \u003c, \u003e, \u0026
// (valid inside JSON strings, the only place JSON can hold them), so no value can close the
// element or open a comment.
std::string escape_json_for_script(std::string_view json_text);

// Makes JavaScript source safe inside a <script> element by breaking every "</script" (any case)
// into "<\/script"; returns the text unchanged when it has none.
std::string escape_script_source(std::string_view source);

// Tolerant reads. `member` returns the value under `key` of an object, or nullptr when `value`
// is not an object or has no such key. `number` returns finite numbers only.
const nlohmann::json* member(const nlohmann::json& value, std::string_view key);
std::optional<double> number(const nlohmann::json* value);
std::optional<double> number_at(const nlohmann::json& object, std::string_view key);
std::optional<std::string> text_at(const nlohmann::json& object, std::string_view key);
// The array under `key`, or nullptr when absent or not an array.
const nlohmann::json* array_at(const nlohmann::json& object, std::string_view key);

// Parses a civil day "YYYY-MM-DD" into days since 1970-01-01; nullopt when malformed.
std::optional<std::int64_t> parse_day(std::string_view text);

}  // namespace sextant::report
