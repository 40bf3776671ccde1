// Flag values of the benchmark programs, read the same way by each: a bad value is one line
// naming the flag (sextant::Error, invalid input), as in the sextant command.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <string>

#include "sextant/core/error.h"

namespace sextant::bench {

// A whole number from 0 to max.
inline std::uint64_t parse_unsigned(const std::string& flag, const char* text, std::uint64_t max) {
    char* end = nullptr;
    unsigned long long n = std::strtoull(text, &end, 10);
    if (*text == '\0' || *end != '\0' || n > max || text[0] == '-') {
        throw_invalid(flag + " wants a whole number from 0 to " + std::to_string(max) + ", not \"" +
                      text + "\"");
    }
    return n;
}

// A number from 0 to max.
inline double parse_real(const std::string& flag, const char* text, double max) {
    char* end = nullptr;
    double x = std::strtod(text, &end);
    if (*text == '\0' || *end != '\0' || !(x >= 0 && x <= max)) {
        throw_invalid(flag + " wants a number from 0 to " + std::to_string(max) + ", not \"" +
                      text + "\"");
    }
    return x;
}

}  // namespace sextant::bench
