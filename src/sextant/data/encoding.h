// Text encodings of input files: UTF-8 validation and Latin-1 / Windows-1252 transcoding.
#pragma once

#include <cstddef>
#include <string_view>

namespace sextant {

// Returns the offset of the first byte of `text` that does not begin or continue a valid UTF-8
// sequence (overlong forms, surrogates and code points above U+10FFFF are invalid), or
// std::string_view::npos when the whole text is valid. A sequence cut short by the end of `text`
// is invalid at its first byte.
std::size_t find_invalid_utf8(std::string_view text);

// Worst-case growth of transcode_latin1/cp1252: output bytes per input byte.
constexpr std::size_t kMaxTranscodeGrowth = 3;

// Transcodes ISO-8859-1 bytes to UTF-8 into `out`, which must hold
// kMaxTranscodeGrowth * text.size() bytes; returns the bytes written.
std::size_t transcode_latin1(std::string_view text, char* out);

// Same for Windows-1252: 0x80-0x9F follow the Windows table (0x80 is U+20AC "€"); the five
// bytes that table leaves undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D) map to the C1 controls of the
// same value, as Windows itself does.
std::size_t transcode_cp1252(std::string_view text, char* out);

}  // namespace sextant
