#include "sextant/data/encoding.h"

#include <cstdint>
#include <cstring>

namespace sextant {
namespace {

bool is_continuation(unsigned char c) {
    return (c & 0xC0) == 0x80;
}

// Code points of Windows-1252 bytes 0x80-0x9F.
constexpr std::uint16_t kCp1252High[32] = {
    0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0x008D, 0x017D, 0x008F, 0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178,
};

std::size_t put_code_point(std::uint32_t cp, char* out) {
    if (cp < 0x80) {
        out[0] = static_cast<char>(cp);
        return 1;
    }
    if (cp < 0x800) {
        out[0] = static_cast<char>(0xC0 | (cp >> 6));
        out[1] = static_cast<char>(0x80 | (cp & 0x3F));
        return 2;
    }
    out[0] = static_cast<char>(0xE0 | (cp >> 12));
    out[1] = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out[2] = static_cast<char>(0x80 | (cp & 0x3F));
    return 3;
}

// Length of the valid sequence starting at text[i] (a non-ASCII lead byte), or 0 if invalid.
std::size_t valid_sequence_length(const unsigned char* p, std::size_t left) {
    unsigned char c = p[0];
    if (c >= 0xC2 && c <= 0xDF) {
        return left >= 2 && is_continuation(p[1]) ? 2 : 0;
    }
    if (c >= 0xE0 && c <= 0xEF) {
        if (left < 3 || !is_continuation(p[1]) || !is_continuation(p[2])) {
            return 0;
        }
        // E0 needs A0..BF (no overlongs); ED needs 80..9F (no surrogates).
        if ((c == 0xE0 && p[1] < 0xA0) || (c == 0xED && p[1] > 0x9F)) {
            return 0;
        }
        return 3;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        if (left < 4 || !is_continuation(p[1]) || !is_continuation(p[2]) ||
            !is_continuation(p[3])) {
            return 0;
        }
        // F0 needs 90..BF (no overlongs); F4 needs 80..8F (nothing above U+10FFFF).
        if ((c == 0xF0 && p[1] < 0x90) || (c == 0xF4 && p[1] > 0x8F)) {
            return 0;
        }
        return 4;
    }
    return 0;
}

template <typename HighByte>
std::size_t transcode(std::string_view text, char* out, HighByte high) {
    std::size_t n = 0;
    for (char ch : text) {
        auto c = static_cast<unsigned char>(ch);
        if (c < 0x80) {
            out[n++] = ch;
        } else {
            n += put_code_point(high(c), out + n);
        }
    }
    return n;
}

}  // namespace

std::size_t find_invalid_utf8(std::string_view text) {
    const auto* p = reinterpret_cast<const unsigned char*>(text.data());
    const std::size_t size = text.size();
    std::size_t i = 0;
    while (i < size) {
        // Most input is ASCII: skip it eight bytes at a time.
        if (i + 8 <= size) {
            std::uint64_t word;
            std::memcpy(&word, p + i, 8);
            if ((word & 0x8080808080808080ULL) == 0) {
                i += 8;
                continue;
            }
        }
        if (p[i] < 0x80) {
            ++i;
            continue;
        }
        std::size_t len = valid_sequence_length(p + i, size - i);
        if (len == 0) {
            return i;
        }
        i += len;
    }
    return std::string_view::npos;
}

std::size_t transcode_latin1(std::string_view text, char* out) {
    return transcode(text, out, [](unsigned char c) { return std::uint32_t{c}; });
}

std::size_t transcode_cp1252(std::string_view text, char* out) {
    return transcode(text, out, [](unsigned char c) {
        return c < 0xA0 ? std::uint32_t{kCp1252High[c - 0x80]} : std::uint32_t{c};
    });
}

}  // namespace sextant
