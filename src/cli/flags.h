// Flag values shared by several subcommands, parsed the same way everywhere.
#pragma once

#include <string>

#include "sextant/core/error.h"
#include "sextant/data/ingest.h"

namespace sextant::cli {

// "," / ";" / "\t" / "tab": the delimiter character; "" -> 0 (detect). Throws Error
// (kInvalidInput) naming --delimiter for anything longer than one character.
char parse_delimiter(const std::string& text);

// utf-8 (utf8, UTF-8), latin1 (iso-8859-1), cp1252 (windows-1252). Throws Error (kInvalidInput)
// naming --encoding otherwise.
Encoding parse_encoding(const std::string& text);

// Runs parse(text) and, when it refuses, says which flag the text came from.
template <typename Parse>
auto parse_flag(const std::string& flag, const std::string& text, Parse parse) {
    try {
        return parse(text);
    } catch (const Error& e) {
        throw_invalid(flag + ": " + e.what());
    }
}

}  // namespace sextant::cli
