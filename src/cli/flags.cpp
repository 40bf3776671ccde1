#include "flags.h"

#include "sextant/core/error.h"

namespace sextant::cli {

char parse_delimiter(const std::string& text) {
    if (text.empty()) {
        return 0;
    }
    if (text == "\\t" || text == "tab") {
        return '\t';
    }
    if (text.size() == 1) {
        return text[0];
    }
    throw_invalid("--delimiter: expected one character, got \"" + text + "\"");
}

Encoding parse_encoding(const std::string& text) {
    if (text == "utf-8" || text == "utf8" || text == "UTF-8") {
        return Encoding::kUtf8;
    }
    if (text == "latin1" || text == "iso-8859-1") {
        return Encoding::kLatin1;
    }
    if (text == "cp1252" || text == "windows-1252") {
        return Encoding::kCp1252;
    }
    throw_invalid("--encoding: unknown encoding \"" + text + "\" (use utf-8, latin1 or cp1252)");
}

}  // namespace sextant::cli
