#include "sextant/data/ingest.h"

#include <xxhash.h>

#include <algorithm>
#include <cctype>
#include <optional>
#include <utility>

#include "sextant/core/error.h"
#include "sextant/core/progress.h"
#include "sextant/data/csv_reader.h"
#include "sextant/data/encoding.h"
#include "sextant/data/input_file.h"
#include "sextant/data/layout.h"
#include "sextant/data/ndjson.h"
#include "sextant/data/row_mapper.h"

namespace sextant {
namespace {

constexpr std::size_t kHeadBytes = 1 << 16;
constexpr std::uint64_t kProgressEveryRows = 1 << 16;
constexpr std::string_view kSyntheticMarker = "# synthetic";

enum class Format { kDelimited, kMovielens, kNdjson };

std::string quoted(const std::string& s) {
    return "\"" + s + "\"";
}

std::string_view first_line(std::string_view head) {
    std::size_t b = head.find_first_not_of("\r\n");
    if (b == std::string_view::npos) {
        return {};
    }
    std::size_t e = head.find('\n', b);
    return head.substr(b, e == std::string_view::npos ? std::string_view::npos : e - b);
}

bool all_digits(std::string_view s) {
    return !s.empty() &&
           std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::size_t count_of(std::string_view text, std::string_view what) {
    std::size_t n = 0;
    for (std::size_t i = text.find(what); i != std::string_view::npos;
         i = text.find(what, i + what.size())) {
        ++n;
    }
    return n;
}

// "::"-separated when every one of the first complete lines holds "::" equally often, and no
// other delimiter is more frequent on the first line (so that a CSV of IPv6 addresses such as
// "1,::1,u" stays a CSV).
bool looks_double_colon(std::string_view head) {
    constexpr std::size_t kMaxLines = 20;
    std::string_view line = first_line(head);
    const std::size_t n = count_of(line, "::");
    if (n == 0) {
        return false;
    }
    const char sniffed = sniff_delimiter(head);
    if (count_of(line, std::string_view(&sniffed, 1)) > n) {
        return false;
    }
    std::size_t start = 0;
    for (std::size_t lines = 0; lines < kMaxLines; ++lines) {
        std::size_t end = head.find('\n', start);
        if (end == std::string_view::npos) {
            break;  // a partial last line says nothing
        }
        std::string_view l = head.substr(start, end - start);
        if (l.find_first_not_of("\r") != std::string_view::npos && count_of(l, "::") != n) {
            return false;
        }
        start = end + 1;
    }
    return true;
}

// Whether every column of the mapping is given by position, "#3" (a product "#3*#4" too).
bool maps_by_position(const std::map<std::string, std::string>& mapping) {
    auto positional = [](std::string_view column) {
        return column.size() >= 2 && column[0] == '#' && all_digits(column.substr(1));
    };
    for (const auto& [key, column] : mapping) {
        std::size_t star = column.find('*');
        bool ok = star == std::string::npos
                      ? positional(column)
                      : positional(column.substr(0, star)) && positional(column.substr(star + 1));
        if (!ok) {
            return false;
        }
    }
    return !mapping.empty();
}

Format detect_format(std::string_view head, char delimiter) {
    std::string_view line = first_line(head);
    std::size_t b = line.find_first_not_of(" \t");
    if (delimiter == 0 && b != std::string_view::npos && line[b] == '{') {
        return Format::kNdjson;
    }
    if ((delimiter == 0 || delimiter == ':') && looks_double_colon(head)) {
        return Format::kMovielens;
    }
    return Format::kDelimited;
}

// A set of 64-bit hashes with open addressing: a tenth of the memory and time of
// std::unordered_set for the ~1M records of a typical log.
class HashSet {
public:
    // Inserts h; returns false when it was already there.
    bool insert(std::uint64_t h) {
        h = h == 0 ? 1 : h;  // 0 marks an empty slot
        if ((size_ + 1) * 2 > slots_.size()) {
            grow();
        }
        std::size_t mask = slots_.size() - 1;
        for (std::size_t i = h & mask;; i = (i + 1) & mask) {
            if (slots_[i] == h) {
                return false;
            }
            if (slots_[i] == 0) {
                slots_[i] = h;
                ++size_;
                return true;
            }
        }
    }

private:
    void grow() {
        std::vector<std::uint64_t> old = std::move(slots_);
        slots_.assign(std::max<std::size_t>(1 << 16, old.size() * 2), 0);
        size_ = 0;
        for (std::uint64_t h : old) {
            if (h != 0) {
                insert(h);
            }
        }
    }

    std::vector<std::uint64_t> slots_;
    std::size_t size_ = 0;
};

// Reads the records of one file and feeds good rows to the sink.
class Reader {
public:
    Reader(const std::string& path, const IngestOptions& options, const EventSink& sink,
           const ReadProgress& progress)
        : path_(path),
          options_(options),
          sink_(sink),
          progress_(progress),
          file_(path, options.encoding),
          csv_(file_) {}

    ReadReport run(const std::map<std::string, std::string>& mapping);

private:
    void start_delimited(Format format, const std::map<std::string, std::string>& mapping);
    void start_ndjson(const std::map<std::string, std::string>& mapping);
    ColumnMap choose_columns(const std::map<std::string, std::string>& mapping);
    void process(const CsvRecord& record, const std::vector<std::string_view>& fields);
    void process_ndjson(const CsvRecord& record);
    bool check_bytes(const CsvRecord& record);
    void add_error(RowError error);

    const std::string& path_;
    const IngestOptions& options_;
    const EventSink& sink_;
    const ReadProgress& progress_;
    InputFile file_;
    CsvReader csv_;
    ReadReport report_;

    Format format_ = Format::kDelimited;
    std::vector<std::string> columns_;
    std::optional<RowMapper> mapper_;
    CsvRecord record_;
    bool first_is_data_ = false;  // the first record (already read) is a data row, not a header
    bool duplicate_ = false;      // the current record repeats an earlier one
    HashSet seen_;
    Event event_;
    NdjsonLineParser json_;
    std::vector<std::string_view> json_fields_;
    std::string json_error_;
};

ColumnMap Reader::choose_columns(const std::map<std::string, std::string>& mapping) {
    if (!mapping.empty()) {
        return resolve_mapping(mapping, columns_, path_, options_.default_name);
    }
    if (format_ == Format::kMovielens && first_is_data_) {
        return movielens_ratings_layout();
    }
    return recognise_layout(columns_, path_, options_.default_name);
}

void Reader::start_delimited(Format format, const std::map<std::string, std::string>& mapping) {
    CsvDialect dialect;
    if (format == Format::kMovielens) {
        dialect.delimiter = ':';
        dialect.double_delimiter = true;
        dialect.quoting = false;
        report_.format = "movielens";
    } else {
        dialect.delimiter =
            options_.delimiter != 0 ? options_.delimiter : sniff_delimiter(csv_.peek(kHeadBytes));
        report_.format = dialect.delimiter == '\t' ? "tsv" : "csv";
    }
    report_.delimiter = dialect.delimiter;
    csv_.set_dialect(dialect);
    if (!csv_.next(record_)) {
        throw_invalid(quoted(path_) + " has only blank lines");
    }

    // MovieLens ratings have no header: four numbers mean the first line is data. A mapping
    // by position ("user=#1,time=#5") says the file has no header either.
    first_is_data_ = format == Format::kMovielens && record_.fields.size() == 4 &&
                     std::all_of(record_.fields.begin(), record_.fields.end(), all_digits);
    if (maps_by_position(mapping)) {
        first_is_data_ = true;
        for (std::size_t i = 1; i <= record_.fields.size(); ++i) {
            columns_.push_back(std::string(1, '#').append(std::to_string(i)));
        }
    } else if (first_is_data_) {
        columns_ = movielens_rating_columns();
    } else {
        std::size_t bad = options_.encoding == Encoding::kUtf8 ? find_invalid_utf8(record_.raw)
                                                               : std::string_view::npos;
        if (bad != std::string_view::npos) {
            throw_invalid(path_ + ":" + std::to_string(record_.line) +
                          ": invalid UTF-8 in the header at byte " + std::to_string(bad + 1) +
                          " (use --encoding latin1 or cp1252 if the file is not UTF-8)");
        }
        for (std::string_view f : record_.fields) {
            std::size_t b = f.find_first_not_of(" \t");
            std::size_t e = f.find_last_not_of(" \t");
            columns_.emplace_back(b == std::string_view::npos ? "" : f.substr(b, e - b + 1));
        }
    }
    mapper_.emplace(choose_columns(mapping), columns_, options_);
}

void Reader::start_ndjson(const std::map<std::string, std::string>& mapping) {
    report_.format = "ndjson";
    CsvDialect dialect;
    dialect.whole_line = true;
    dialect.quoting = false;
    csv_.set_dialect(dialect);
    if (!csv_.next(record_)) {
        throw_invalid(quoted(path_) + " has only blank lines");
    }
    // The first object's keys are the columns; later lines are read by those names.
    if (!json_.parse(record_.raw, json_error_)) {
        throw_invalid(path_ + ":" + std::to_string(record_.line) + ": " + json_error_ +
                      " (the first line of an NDJSON file must be a JSON object)");
    }
    for (std::size_t i = 0; i < json_.size(); ++i) {
        columns_.push_back(json_.field(i).key);
    }
    first_is_data_ = true;
    mapper_.emplace(choose_columns(mapping), columns_, options_);
}

void Reader::add_error(RowError error) {
    ++report_.bad_rows;
    ++report_.bad_reasons[error.reason];
    if (report_.first_errors.size() < options_.max_errors_kept) {
        report_.first_errors.push_back(std::move(error));
    }
}

// Checks what every format shares: duplicates, UTF-8 and quoting. False for a bad row.
bool Reader::check_bytes(const CsvRecord& record) {
    ++report_.rows;
    duplicate_ = !seen_.insert(XXH3_64bits(record.raw.data(), record.raw.size()));
    report_.exact_duplicates += duplicate_ ? 1 : 0;

    if (options_.encoding == Encoding::kUtf8) {
        std::size_t bad = find_invalid_utf8(record.raw);
        if (bad != std::string_view::npos) {
            // Name the physical line of the bad byte and its 1-based position in that line.
            std::string_view before = record.raw.substr(0, bad);
            std::size_t nl = before.rfind('\n');
            std::uint64_t line = record.line + static_cast<std::uint64_t>(
                                                   std::count(before.begin(), before.end(), '\n'));
            std::size_t byte = nl == std::string_view::npos ? bad + 1 : bad - nl;
            add_error({line, "",
                       "invalid UTF-8 at byte " + std::to_string(byte) +
                           " (use --encoding latin1 or cp1252 if the file is not UTF-8)",
                       "invalid UTF-8"});
            return false;
        }
    }
    if (record.unterminated_quote) {
        add_error({record.line, "", "a quoted field is not closed before the end of the file",
                   "unterminated quote"});
        return false;
    }
    return true;
}

void Reader::process(const CsvRecord& record, const std::vector<std::string_view>& fields) {
    if (!check_bytes(record)) {
        return;
    }
    if (fields.size() != columns_.size()) {
        add_error({record.line, "",
                   "expected " + std::to_string(columns_.size()) + " fields, found " +
                       std::to_string(fields.size()),
                   "wrong field count"});
        return;
    }
    RowError error;
    if (!mapper_->map(fields, event_, error)) {
        error.line = record.line;
        add_error(std::move(error));
        return;
    }
    ++report_.good_rows;
    report_.good_duplicates += duplicate_ ? 1 : 0;
    sink_(event_);
}

void Reader::process_ndjson(const CsvRecord& record) {
    if (!json_.parse(record.raw, json_error_)) {
        if (check_bytes(record)) {
            add_error({record.line, "", json_error_, "bad JSON"});
        }
        return;
    }
    json_fields_.assign(columns_.size(), std::string_view());
    for (std::size_t i = 0; i < columns_.size(); ++i) {
        if (const JsonField* f = json_.find(columns_[i], i); f != nullptr) {
            json_fields_[i] = f->text;
        }
    }
    process(record, json_fields_);
}

ReadReport Reader::run(const std::map<std::string, std::string>& mapping) {
    report_.path = path_;
    std::string_view head = csv_.peek(kHeadBytes);
    if (head.empty()) {
        throw_invalid(quoted(path_) + " is empty");
    }
    // `sextant simulate` marks its logs with a comment line before the header.
    if (head.substr(0, kSyntheticMarker.size()) == kSyntheticMarker) {
        report_.synthetic = true;
        csv_.skip_line();
        head = csv_.peek(kHeadBytes);
        if (head.find_first_not_of("\r\n") == std::string_view::npos) {
            throw_invalid(quoted(path_) + " has no header and no data after its first line");
        }
    }
    format_ = detect_format(head, options_.delimiter);
    if (format_ == Format::kNdjson) {
        start_ndjson(mapping);
    } else {
        start_delimited(format_, mapping);
    }
    report_.layout = mapper_->columns().layout;
    report_.mapping = mapper_->columns().mapping;
    if (file_.gzip()) {
        report_.format += " (gzip)";
    }

    bool have = first_is_data_;
    if (!have) {
        have = csv_.next(record_);
        if (!have) {
            throw_invalid(quoted(path_) + " has a header but no data rows");
        }
    }
    for (; have; have = csv_.next(record_)) {
        if (format_ == Format::kNdjson) {
            process_ndjson(record_);
        } else {
            process(record_, record_.fields);
        }
        if (progress_ && report_.rows % kProgressEveryRows == 0) {
            progress_(csv_.bytes_consumed(), report_.rows);
        }
    }

    report_.bytes = file_.bytes_in();
    report_.epoch_unit = mapper_->epoch_unit();
    if (progress_) {
        progress_(report_.bytes, report_.rows);
    }
    return std::move(report_);
}

}  // namespace

ReadReport read_events(const std::string& path, const IngestOptions& options, const EventSink& sink,
                       const ReadProgress& progress) {
    if (options.delimiter == '"' || options.delimiter == '\n' || options.delimiter == '\r') {
        throw_invalid("the delimiter cannot be a quote or a line break");
    }
    std::map<std::string, std::string> mapping;
    if (!options.map.empty()) {
        mapping = parse_mapping(options.map);
    }
    Reader reader(path, options, sink, progress);
    return reader.run(mapping);
}

Encoding parse_encoding(std::string_view name) {
    std::string n(name);
    for (char& c : n) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    if (n == "utf8" || n == "utf-8") {
        return Encoding::kUtf8;
    }
    if (n == "latin1" || n == "latin-1" || n == "iso-8859-1" || n == "iso8859-1") {
        return Encoding::kLatin1;
    }
    if (n == "cp1252" || n == "windows-1252") {
        return Encoding::kCp1252;
    }
    throw_invalid("unknown encoding \"" + std::string(name) + "\" (use utf8, latin1 or cp1252)");
}

std::string ReadReport::describe_errors() const {
    std::string out;
    for (const RowError& e : first_errors) {
        out += (out.empty() ? "" : "\n") + path + ":" + std::to_string(e.line) + ": ";
        if (!e.column.empty()) {
            out += "column \"" + e.column + "\": ";
        }
        out += e.message;
    }
    if (bad_rows > first_errors.size()) {
        // Reasons by count, most frequent first.
        std::vector<std::pair<std::string, std::uint64_t>> reasons(bad_reasons.begin(),
                                                                   bad_reasons.end());
        std::stable_sort(reasons.begin(), reasons.end(),
                         [](const auto& a, const auto& b) { return a.second > b.second; });
        std::string counts;
        for (const auto& [reason, n] : reasons) {
            counts += (counts.empty() ? "" : ", ") + reason + ": " + with_commas(n);
        }
        out += (out.empty() ? "" : "\n") + std::string("... and ") +
               with_commas(bad_rows - first_errors.size()) + " more bad rows (" + counts + ")";
    }
    return out;
}

}  // namespace sextant
