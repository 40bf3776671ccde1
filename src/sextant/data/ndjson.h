// One line of NDJSON read as a flat object: each top-level key and the text of its value.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace sextant {

struct JsonField {
    std::string key;
    std::string text;     // strings unescaped; numbers exactly as written; true/false; null ""
    bool nested = false;  // the value is an object or an array (its text is then empty)
};

// Reuses its storage from line to line, so reading many lines allocates little. Not thread-safe.
class NdjsonLineParser {
public:
    // Parses one line. Returns false, with `error` saying why, when the line is not a single
    // JSON object.
    bool parse(std::string_view line, std::string& error);

    // The fields of the last line parsed, in the order written.
    std::size_t size() const { return n_fields_; }
    const JsonField& field(std::size_t i) const { return fields_[i]; }

    // The field named `key`, or nullptr. Looks at position `hint` first, since the lines of one
    // file usually write their keys in the same order.
    const JsonField* find(std::string_view key, std::size_t hint) const;

private:
    friend struct NdjsonSax;
    std::vector<JsonField> fields_;
    std::size_t n_fields_ = 0;
};

}  // namespace sextant
