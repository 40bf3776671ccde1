#include "sextant/data/ndjson.h"

#include <charconv>
#include <nlohmann/json.hpp>

namespace sextant {

// SAX events of nlohmann::json, folded into the flat field list of NdjsonLineParser.
struct NdjsonSax {
    using Json = nlohmann::json;

    NdjsonLineParser& out;
    std::string& error;
    int depth = 0;
    bool saw_object = false;

    bool not_object() {
        error = "not a JSON object";
        return false;
    }
    // A value at depth 1 belongs to the last key; deeper values are inside a nested value.
    bool value(std::string_view text) {
        if (depth == 0) {
            return not_object();
        }
        if (depth == 1 && out.n_fields_ > 0) {
            out.fields_[out.n_fields_ - 1].text.assign(text);
        }
        return true;
    }
    template <typename Int>
    bool integer(Int v) {
        char buf[24];
        auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
        return value(std::string_view(buf, static_cast<std::size_t>(end - buf)));
    }

    bool null() { return value(""); }
    bool boolean(bool v) { return value(v ? "true" : "false"); }
    bool number_integer(Json::number_integer_t v) { return integer(v); }
    bool number_unsigned(Json::number_unsigned_t v) { return integer(v); }
    bool number_float(Json::number_float_t, const Json::string_t& text) { return value(text); }
    bool string(Json::string_t& v) { return value(v); }
    bool binary(Json::binary_t&) { return value(""); }

    bool start_object(std::size_t) {
        if (depth == 0) {
            if (saw_object) {
                error = "more than one JSON value on the line";
                return false;
            }
            saw_object = true;
        } else if (depth == 1 && out.n_fields_ > 0) {
            out.fields_[out.n_fields_ - 1].nested = true;
        }
        ++depth;
        return true;
    }
    bool end_object() {
        --depth;
        return true;
    }
    bool start_array(std::size_t) {
        if (depth == 0) {
            return not_object();
        }
        if (depth == 1 && out.n_fields_ > 0) {
            out.fields_[out.n_fields_ - 1].nested = true;
        }
        ++depth;
        return true;
    }
    bool end_array() {
        --depth;
        return true;
    }
    bool key(Json::string_t& k) {
        if (depth == 1) {
            if (out.n_fields_ == out.fields_.size()) {
                out.fields_.emplace_back();
            }
            JsonField& f = out.fields_[out.n_fields_++];
            f.key = k;
            f.text.clear();
            f.nested = false;
        }
        return true;
    }
    bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& e) {
        // "[json.exception.parse_error.101] parse error at line 1, column 9: syntax error ..."
        // becomes "column 9: syntax error ...": the caller names the line of the file.
        std::string_view what = e.what();
        std::size_t column = what.find("column ");
        std::size_t close = what.find("] ");
        if (column != std::string_view::npos) {
            what.remove_prefix(column);
        } else if (close != std::string_view::npos) {
            what.remove_prefix(close + 2);
        }
        error = std::string(what);
        return false;
    }
};

bool NdjsonLineParser::parse(std::string_view line, std::string& error) {
    n_fields_ = 0;
    error.clear();
    NdjsonSax sax{*this, error};
    bool ok = nlohmann::json::sax_parse(line.begin(), line.end(), &sax);
    if (ok && !sax.saw_object) {
        error = "not a JSON object";
        ok = false;
    }
    return ok;
}

const JsonField* NdjsonLineParser::find(std::string_view key, std::size_t hint) const {
    if (hint < n_fields_ && fields_[hint].key == key) {
        return &fields_[hint];
    }
    for (std::size_t i = 0; i < n_fields_; ++i) {
        if (fields_[i].key == key) {
            return &fields_[i];
        }
    }
    return nullptr;
}

}  // namespace sextant
