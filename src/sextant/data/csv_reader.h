// An RFC 4180 tokenizer that streams records out of a ByteSource in large blocks.
//
// Fields are views into the reader's own buffers: no allocation per field, and the views stay
// valid until the next call to next(). Quoted fields may hold delimiters, doubled quotes and
// line breaks; a record's line number is the physical line where it starts. Blank lines are
// skipped, CRLF and LF both end a record, and the last record may lack a final newline.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sextant/data/input_file.h"

namespace sextant {

struct CsvDialect {
    char delimiter = ',';
    bool double_delimiter = false;  // the delimiter is written twice, as in MovieLens "::"
    bool quoting = true;            // false: a quote is an ordinary character
    bool whole_line = false;        // each line is one field (NDJSON)
};

struct CsvRecord {
    std::vector<std::string_view> fields;  // unquoted and unescaped
    std::string_view raw;                  // the record's bytes as written, without its line end
    std::uint64_t line = 0;                // 1-based physical line where the record starts
    bool unterminated_quote = false;       // a quoted field ran to the end of the input
};

class CsvReader {
public:
    static constexpr std::size_t kDefaultBlock = 1 << 20;

    // Reads from `source`, which must outlive the reader, `block_size` bytes at a time.
    explicit CsvReader(ByteSource& source, std::size_t block_size = kDefaultBlock);

    // The first bytes of the input (at least n unless the input is shorter), without consuming
    // them, so the caller can choose the dialect before the first record.
    std::string_view peek(std::size_t n);

    void set_dialect(const CsvDialect& dialect);

    // Reads the next record into `record`; returns false at the end of the input. Throws only
    // what the source throws.
    bool next(CsvRecord& record);

    // Consumes the rest of the current physical line, line end included, whatever it holds
    // (a comment line before the header). Returns false when the input was already at its end.
    bool skip_line();

    // Bytes of text consumed by the records returned so far (blank lines included).
    std::uint64_t bytes_consumed() const { return consumed_before_ + pos_; }

private:
    enum class Scan { kRecord, kBlank, kNeedMore };

    struct Span {
        bool in_scratch;
        std::size_t begin;
        std::size_t size;
    };

    Scan scan(CsvRecord& record);
    bool fill();
    bool is_delimiter_at(std::size_t i, bool& need_more) const;
    // Whether the byte at i (a special byte) ends a field; sets need_more when that depends on
    // bytes not read yet.
    bool ends_field(std::size_t i, bool& need_more) const;

    ByteSource& source_;
    std::size_t block_size_;
    CsvDialect dialect_;
    bool special_[256] = {};  // bytes that end an unquoted field: delimiter, '\n', '\r'

    std::vector<char> buf_;
    std::size_t pos_ = 0;  // start of the first unconsumed byte
    std::size_t end_ = 0;  // end of valid data in buf_
    bool eof_ = false;
    std::uint64_t consumed_before_ = 0;  // bytes dropped from buf_ by compaction
    std::uint64_t line_ = 1;             // physical line at pos_

    std::string scratch_;  // unescaped quoted fields of the current record
    std::vector<Span> spans_;
};

// Picks the delimiter of delimited text from its first lines: of ',', '\t', ';' and '|', the
// one that appears (outside quotes) the same nonzero number of times on every sampled line,
// preferring the larger count; failing that, the one most frequent on the first line; ',' when
// none appears.
char sniff_delimiter(std::string_view head);

}  // namespace sextant
