#include "sextant/data/csv_reader.h"

#include <algorithm>
#include <array>
#include <cstring>

namespace sextant {

CsvReader::CsvReader(ByteSource& source, std::size_t block_size)
    : source_(source), block_size_(std::max<std::size_t>(block_size, 8)) {
    set_dialect(CsvDialect{});
}

void CsvReader::set_dialect(const CsvDialect& dialect) {
    dialect_ = dialect;
    std::fill(std::begin(special_), std::end(special_), false);
    special_[static_cast<unsigned char>('\n')] = true;
    special_[static_cast<unsigned char>('\r')] = true;
    if (!dialect.whole_line) {
        special_[static_cast<unsigned char>(dialect.delimiter)] = true;
    }
}

bool CsvReader::fill() {
    if (eof_) {
        return false;
    }
    if (pos_ > 0) {
        std::memmove(buf_.data(), buf_.data() + pos_, end_ - pos_);
        consumed_before_ += pos_;
        end_ -= pos_;
        pos_ = 0;
    }
    // Grow geometrically, so that a record longer than a block is rescanned O(1) times overall.
    if (buf_.size() - end_ < block_size_) {
        buf_.resize(std::max(buf_.size() * 2, end_ + block_size_));
    }
    std::size_t k = source_.read(buf_.data() + end_, buf_.size() - end_);
    end_ += k;
    eof_ = k == 0;
    return k > 0;
}

std::string_view CsvReader::peek(std::size_t n) {
    while (end_ - pos_ < n && fill()) {
    }
    return {buf_.data() + pos_, std::min(n, end_ - pos_)};
}

bool CsvReader::is_delimiter_at(std::size_t i, bool& need_more) const {
    const char d = dialect_.delimiter;
    if (dialect_.whole_line || buf_[i] != d) {
        return false;
    }
    if (!dialect_.double_delimiter) {
        return true;
    }
    if (i + 1 == end_) {
        need_more = !eof_;
        return false;
    }
    return buf_[i + 1] == d;
}

bool CsvReader::ends_field(std::size_t i, bool& need_more) const {
    const char c = buf_[i];
    if (c == '\n') {
        return true;
    }
    if (c == '\r') {
        // CRLF ends the line; a lone CR inside a field is an ordinary character.
        if (i + 1 == end_) {
            need_more = !eof_;
            return eof_;
        }
        return buf_[i + 1] == '\n';
    }
    return is_delimiter_at(i, need_more);
}

CsvReader::Scan CsvReader::scan(CsvRecord& record) {
    const char* b = buf_.data();
    const std::size_t e = end_;
    std::size_t i = pos_;

    // A blank line: LF, CRLF, or a lone CR at the very end.
    if (b[i] == '\n' || (b[i] == '\r' && (i + 1 == e || b[i + 1] == '\n'))) {
        if (b[i] == '\r' && i + 1 == e && !eof_) {
            return Scan::kNeedMore;
        }
        pos_ = i + (b[i] == '\r' && i + 1 < e ? 2 : 1);
        ++line_;
        return Scan::kBlank;
    }

    scratch_.clear();
    spans_.clear();
    record.unterminated_quote = false;
    std::uint64_t inner_newlines = 0;
    const char delimiter_width = dialect_.double_delimiter ? 2 : 1;
    bool need_more = false;

    while (true) {
        if (dialect_.quoting && i < e && b[i] == '"') {
            // Quoted field: copy the text between quotes to scratch_, undoubling quotes.
            const std::size_t begin = scratch_.size();
            ++i;
            while (true) {
                const void* q = std::memchr(b + i, '"', e - i);
                std::size_t stop = q == nullptr ? e : static_cast<const char*>(q) - b;
                if (q == nullptr && !eof_) {
                    return Scan::kNeedMore;
                }
                scratch_.append(b + i, stop - i);
                inner_newlines += static_cast<std::uint64_t>(std::count(b + i, b + stop, '\n'));
                if (q == nullptr) {
                    record.unterminated_quote = true;
                    i = e;
                    break;
                }
                if (stop + 1 == e && !eof_) {
                    return Scan::kNeedMore;
                }
                if (stop + 1 < e && b[stop + 1] == '"') {
                    scratch_.push_back('"');
                    i = stop + 2;
                    continue;
                }
                i = stop + 1;
                break;
            }
            // Text after the closing quote is kept as written (`"a"b` reads as `ab`).
            while (i < e) {
                if (special_[static_cast<unsigned char>(b[i])]) {
                    if (ends_field(i, need_more)) {
                        break;
                    }
                    if (need_more) {
                        return Scan::kNeedMore;
                    }
                }
                scratch_.push_back(b[i++]);
            }
            spans_.push_back({true, begin, scratch_.size() - begin});
        } else {
            const std::size_t begin = i;
            while (i < e) {
                if (special_[static_cast<unsigned char>(b[i])]) {
                    if (ends_field(i, need_more)) {
                        break;
                    }
                    if (need_more) {
                        return Scan::kNeedMore;
                    }
                }
                ++i;
            }
            spans_.push_back({false, begin, i - begin});
        }

        // Now at a delimiter, a line end, or the end of the data.
        if (i == e) {
            if (!eof_) {
                return Scan::kNeedMore;
            }
            break;
        }
        if (b[i] == '\n' || b[i] == '\r') {
            break;
        }
        i += delimiter_width;
    }

    // i is at the line end (or the end of the data): the record is [pos_, i).
    std::size_t next = i;
    if (i < e) {
        next = b[i] == '\r' && i + 1 < e ? i + 2 : i + 1;
    }
    record.raw = std::string_view(b + pos_, i - pos_);
    record.line = line_;
    record.fields.clear();
    for (const Span& s : spans_) {
        const char* base = s.in_scratch ? scratch_.data() : b;
        record.fields.emplace_back(base + s.begin, s.size);
    }
    line_ += 1 + inner_newlines;
    pos_ = next;
    return Scan::kRecord;
}

bool CsvReader::skip_line() {
    if (pos_ == end_ && !fill()) {
        return false;
    }
    while (true) {
        const void* nl = std::memchr(buf_.data() + pos_, '\n', end_ - pos_);
        if (nl != nullptr) {
            pos_ = static_cast<std::size_t>(static_cast<const char*>(nl) - buf_.data()) + 1;
            ++line_;
            return true;
        }
        pos_ = end_;
        if (!fill()) {
            return true;
        }
    }
}

bool CsvReader::next(CsvRecord& record) {
    while (true) {
        if (pos_ == end_ && !fill()) {
            return false;
        }
        switch (scan(record)) {
            case Scan::kRecord:
                return true;
            case Scan::kBlank:
                break;
            case Scan::kNeedMore:
                fill();
                break;
        }
    }
}

char sniff_delimiter(std::string_view head) {
    constexpr std::array<char, 4> kCandidates = {',', '\t', ';', '|'};
    constexpr std::size_t kMaxLines = 20;

    // Count candidates outside quotes on each complete line (a partial last line is dropped
    // unless it is all there is).
    std::vector<std::array<std::size_t, 4>> counts;
    std::array<std::size_t, 4> current{};
    bool in_quotes = false;
    bool line_has_text = false;
    for (std::size_t i = 0; i < head.size() && counts.size() < kMaxLines; ++i) {
        const char c = head[i];
        if (c == '"') {
            in_quotes = !in_quotes;
        } else if (c == '\n' && !in_quotes) {
            if (line_has_text) {
                counts.push_back(current);
            }
            current = {};
            line_has_text = false;
            continue;
        } else if (!in_quotes) {
            for (std::size_t k = 0; k < kCandidates.size(); ++k) {
                current[k] += c == kCandidates[k] ? 1 : 0;
            }
        }
        if (c != '\r') {
            line_has_text = true;
        }
    }
    if (counts.empty() && line_has_text) {
        counts.push_back(current);
    }
    if (counts.empty()) {
        return ',';
    }

    int best = -1;
    for (std::size_t k = 0; k < kCandidates.size(); ++k) {
        const std::size_t first = counts[0][k];
        bool consistent = first > 0;
        for (const auto& line : counts) {
            consistent = consistent && line[k] == first;
        }
        if (consistent && (best < 0 || first > counts[0][best])) {
            best = static_cast<int>(k);
        }
    }
    if (best < 0) {
        for (std::size_t k = 0; k < kCandidates.size(); ++k) {
            if (counts[0][k] > 0 && (best < 0 || counts[0][k] > counts[0][best])) {
                best = static_cast<int>(k);
            }
        }
    }
    return best < 0 ? ',' : kCandidates[best];
}

}  // namespace sextant
