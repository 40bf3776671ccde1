// Scalar curves in TensorBoard's event file format, without TensorFlow or protobuf.
//
// An event file is a sequence of records, each
//     uint64 length (little endian) | uint32 masked_crc32c(length bytes) | data |
//     uint32 masked_crc32c(data)
// where masked_crc(c) = ((c >> 15) | (c << 17)) + 0xa282ead8 and CRC32C uses the Castagnoli
// polynomial. Each record's data is a serialized tensorflow.Event, encoded here by hand: the first
// record carries only file_version "brain.Event:2"; every other one carries one scalar as
// Summary.Value {tag, simple_value}. TensorBoard reads any file named *tfevents* in the folder it
// is pointed at.
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace sextant {

// CRC32C (Castagnoli, reflected polynomial 0x82F63B78) of `data`, table-driven.
std::uint32_t crc32c(std::string_view data);

// The masked form TensorFlow stores: ((crc >> 15) | (crc << 17)) + 0xa282ead8 (mod 2^32).
std::uint32_t masked_crc32c(std::uint32_t crc);

// The serialized tensorflow.Event of one scalar, and of the file-version record (for tests).
std::string encode_scalar_event(std::string_view tag, std::int64_t step, float value,
                                double wall_time);
std::string encode_file_version_event(double wall_time);

// Appends scalars to one new event file. Not thread-safe; one writer per training run. Each
// record is flushed as soon as it is written, so TensorBoard sees the curve grow and a crash
// loses at most the record being written.
class TensorBoardWriter {
public:
    // Creates `dir` (and its parents) when missing and opens
    // DIR/events.out.tfevents.<unix-time>.<hostname> (with ".1", ".2", ... appended when that
    // name is taken), then writes the file-version record stamped `wall_time` (seconds since the
    // epoch; the system clock when omitted). Throws sextant::Error (kIo) naming the path when the
    // folder cannot be made or the file cannot be opened or written.
    explicit TensorBoardWriter(const std::string& dir);
    TensorBoardWriter(const std::string& dir, double wall_time);

    // Closes the file; errors are ignored here (call close() to see them).
    ~TensorBoardWriter();

    TensorBoardWriter(TensorBoardWriter&&) noexcept;
    TensorBoardWriter& operator=(TensorBoardWriter&&) noexcept;
    TensorBoardWriter(const TensorBoardWriter&) = delete;
    TensorBoardWriter& operator=(const TensorBoardWriter&) = delete;

    // Writes one scalar record and flushes it. wall_time is seconds since the epoch (the system
    // clock when omitted). Throws sextant::Error (kIo) naming the path when the write fails, and
    // kInternal after close().
    void add_scalar(std::string_view tag, std::int64_t step, float value, double wall_time);
    void add_scalar(std::string_view tag, std::int64_t step, float value);

    // Flushes and closes the file; further calls do nothing. Throws sextant::Error (kIo) naming
    // the path when the operating system reports a failure.
    void close();

    // The event file's path.
    const std::string& path() const { return path_; }

private:
    struct FileCloser {
        void operator()(std::FILE* file) const;
    };

    void write_record(const std::string& data);

    std::string path_;
    std::unique_ptr<std::FILE, FileCloser> file_;
};

// One scalar read back from an event file.
struct TensorBoardScalar {
    std::string tag;
    std::int64_t step = 0;
    float value = 0;
    double wall_time = 0;
};

struct TensorBoardFile {
    std::string file_version;  // from the record that carries it ("brain.Event:2"); empty if none
    std::vector<TensorBoardScalar> scalars;  // in file order
    std::size_t n_records = 0;               // every record, the file-version one included
};

// Reads every record of an event file, checking both CRCs of each, and decodes the file version
// and the simple_value scalars (other fields are skipped). Throws sextant::Error: kIo when the
// file cannot be read, kInvalidInput naming the path and the record's byte offset on a CRC
// mismatch ("CRC mismatch"), a truncated record or a malformed Event.
TensorBoardFile read_tensorboard_scalars(const std::string& path);

}  // namespace sextant
