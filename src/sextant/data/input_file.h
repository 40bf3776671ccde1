// Byte sources for the readers: a file on disk (plain or gzip, detected by its magic bytes) or a
// string in memory. Both hand out UTF-8 text: a leading UTF-8 byte-order mark is dropped and
// Latin-1 or Windows-1252 input is transcoded as it streams.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sextant/data/ingest.h"

namespace sextant {

// A stream of bytes read front to back. Not thread-safe.
class ByteSource {
public:
    virtual ~ByteSource() = default;

    // Copies up to n bytes into dst and returns how many; 0 only at the end of the input.
    // Throws Error for I/O failures or corrupt data.
    virtual std::size_t read(char* dst, std::size_t n) = 0;
};

// Text held in memory (tests, request bodies). The text must outlive the source.
class StringSource : public ByteSource {
public:
    explicit StringSource(std::string_view text) : text_(text) {}
    std::size_t read(char* dst, std::size_t n) override;

private:
    std::string_view text_;
};

// A file opened for reading. gzip input (magic 1f 8b, whatever the file is called, including
// several concatenated members) is decompressed while streaming.
class InputFile : public ByteSource {
public:
    // Opens `path`. Throws Error(kNotFound) `cannot open "x.csv": No such file or directory`
    // when the file cannot be opened, and Error(kIo) when it is a directory.
    InputFile(const std::string& path, Encoding encoding);
    ~InputFile() override;
    InputFile(const InputFile&) = delete;
    InputFile& operator=(const InputFile&) = delete;

    // Reads UTF-8 text; n must be at least kMaxTranscodeGrowth. Throws Error(kInvalidInput) `"x.gz"
    // is not valid gzip data: ...` for a corrupt or truncated gzip stream and Error(kIo) when the
    // system refuses a read.
    std::size_t read(char* dst, std::size_t n) override;

    bool gzip() const { return gzip_; }

    // Bytes of the (decompressed) input consumed so far, before any transcoding, BOM included.
    std::uint64_t bytes_in() const { return bytes_in_; }

private:
    struct Inflater;

    std::size_t read_raw(char* dst, std::size_t n);
    std::size_t read_decompressed(char* dst, std::size_t n);
    std::size_t read_plain(char* dst, std::size_t n);
    std::size_t read_transcoded(char* dst, std::size_t n);

    std::string path_;
    Encoding encoding_;
    int fd_ = -1;
    bool gzip_ = false;
    bool started_ = false;
    std::uint64_t bytes_in_ = 0;
    std::vector<char> pending_;  // file bytes read while sniffing the magic, replayed first
    std::size_t pending_pos_ = 0;
    std::vector<char> replay_;  // decompressed bytes read while looking for a BOM
    std::size_t replay_pos_ = 0;
    std::unique_ptr<Inflater> inflater_;
    std::vector<char> stage_;  // raw text waiting to be transcoded
};

}  // namespace sextant
