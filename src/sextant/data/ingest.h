// Reading behavior logs: CSV/TSV (any one-character delimiter, RFC 4180 quoting, BOM, CRLF),
// MovieLens `::` files and NDJSON, each optionally gzip-compressed, into Events.
//
// read_events() streams a file, maps each record to an Event through a column mapping, and hands
// every good row to a sink in input order. File-level problems (missing or empty file, unknown
// column in the mapping, unknown encoding) throw sextant::Error with one clear line. Row-level
// problems never throw: they are counted, and the first few are kept with file, line and column,
// so the caller can refuse the whole file (the default) or skip the rows.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "sextant/core/time.h"
#include "sextant/data/event.h"

namespace sextant {

enum class Encoding { kUtf8, kLatin1, kCp1252 };
enum class BadRowPolicy { kReject, kSkip };

struct IngestOptions {
    // Column mapping, "user=CustomerID,item=StockCode,time=InvoiceDate,value=Quantity*UnitPrice".
    // Keys: user, item, time, name, value (a column or the product of two), id. Empty: recognise
    // the layout (MovieLens ratings, Online Retail, or a header naming user/item/time columns).
    // When every column is given by 1-based position ("user=#1,item=#2,time=#5") the file has
    // no header and its first line is data.
    std::string map;
    // Field delimiter; 0 = detect from the first lines.
    char delimiter = 0;
    // Encoding of the input; invalid UTF-8 is a row error unless another encoding is given.
    Encoding encoding = Encoding::kUtf8;
    // Zone of timestamps written without an offset.
    TimeZone tz;
    // Event name for rows without a name column (the recognised layouts set their own).
    std::string default_name = "event";
    // How many row errors to keep verbatim for the message; the rest are only counted.
    std::size_t max_errors_kept = 5;
};

// One bad row: where, which column, what is wrong ("cannot read \"31/02/2024\" as a time").
struct RowError {
    std::uint64_t line = 0;  // 1-based physical line where the record starts
    std::string column;      // the input column's name (or "user", "time" for mapped fields)
    std::string message;
    std::string reason;  // short key for counting ("missing user", "bad time", ...)
};

// What reading a file found.
struct ReadReport {
    std::string path;
    std::string format;           // "csv", "tsv", "movielens", "ndjson" (+ " (gzip)")
    char delimiter = 0;           // for csv-like formats
    std::string layout;           // "movielens ratings", "online retail", "mapped", ...
    std::string mapping;          // the mapping used, in --map syntax
    std::uint64_t rows = 0;       // data records read (header excluded)
    std::uint64_t good_rows = 0;  // handed to the sink
    std::uint64_t bad_rows = 0;   // rows with an error (not handed to the sink)
    // Data records whose bytes equal an earlier record of the file, good or bad (Online Retail:
    // 5,268, the published figure), and those of them that are good rows (5,225): a good row
    // can only repeat a good row. Compared by 64-bit XXH3 hashes of the record bytes, so two
    // different records are taken for equal with odds of about rows^2 / 2^65.
    std::uint64_t exact_duplicates = 0;
    std::uint64_t good_duplicates = 0;
    std::map<std::string, std::uint64_t> bad_reasons;  // reason -> count
    std::vector<RowError> first_errors;                // at most max_errors_kept
    std::string epoch_unit;   // "seconds", "milliseconds", "seconds and milliseconds", or ""
    std::uint64_t bytes = 0;  // size of the (decompressed) input
    // True when the file opens with the marker line that `sextant simulate` writes
    // ("# synthetic ..."); that line is not a record.
    bool synthetic = false;

    // "file:line: column "x": message" for the kept errors, then "... and N more bad rows".
    std::string describe_errors() const;
};

// Called for every good row, in input order. May throw to abort reading (the exception passes
// through read_events unchanged).
using EventSink = std::function<void(const Event&)>;

// Optional progress callback: bytes of the (decompressed) input consumed so far.
using ReadProgress = std::function<void(std::uint64_t bytes_done, std::uint64_t rows)>;

// Reads `path` and calls `sink` for each good row. Throws Error for file-level problems.
ReadReport read_events(const std::string& path, const IngestOptions& options, const EventSink& sink,
                       const ReadProgress& progress = {});

// Parses "user=A,item=B,value=C*D"; throws Error(kInvalidInput) on an unknown key or bad syntax.
std::map<std::string, std::string> parse_mapping(const std::string& text);

// Parses an --encoding name: "utf8"/"utf-8", "latin1"/"iso-8859-1", "cp1252"/"windows-1252"
// (any case). Throws Error(kInvalidInput) naming the accepted names otherwise.
Encoding parse_encoding(std::string_view name);

}  // namespace sextant
