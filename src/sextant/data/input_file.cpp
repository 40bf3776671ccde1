#include "sextant/data/input_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "sextant/core/error.h"
#include "sextant/data/encoding.h"

namespace sextant {
namespace {

constexpr std::size_t kCompressedBlock = 1 << 18;
constexpr unsigned char kGzipMagic[2] = {0x1f, 0x8b};
constexpr char kBom[3] = {'\xEF', '\xBB', '\xBF'};

std::string quoted(const std::string& path) {
    return "\"" + path + "\"";
}

}  // namespace

std::size_t StringSource::read(char* dst, std::size_t n) {
    std::size_t k = std::min(n, text_.size());
    std::memcpy(dst, text_.data(), k);
    text_.remove_prefix(k);
    return k;
}

struct InputFile::Inflater {
    z_stream stream{};
    std::vector<unsigned char> in = std::vector<unsigned char>(kCompressedBlock);
    bool input_done = false;
    bool member_done = false;

    Inflater() {
        // 15 + 16: a gzip wrapper is required (the magic bytes said it is there).
        if (inflateInit2(&stream, 15 + 16) != Z_OK) {
            throw Error(ErrorKind::kInternal, "zlib could not start");
        }
    }
    ~Inflater() { inflateEnd(&stream); }
};

InputFile::InputFile(const std::string& path, Encoding encoding)
    : path_(path), encoding_(encoding) {
    fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) {
        throw_not_found("cannot open " + quoted(path) + ": " + std::strerror(errno));
    }
    struct stat st {};
    if (::fstat(fd_, &st) == 0 && S_ISDIR(st.st_mode)) {
        ::close(fd_);
        fd_ = -1;
        throw_io("cannot read " + quoted(path) + ": it is a directory");
    }

    // Sniff the magic bytes; what was read is replayed by read_plain or fed to zlib.
    pending_.resize(kCompressedBlock);
    std::size_t got = 0;
    while (got < 2) {
        std::size_t k = read_raw(pending_.data() + got, pending_.size() - got);
        if (k == 0) {
            break;
        }
        got += k;
    }
    pending_.resize(got);
    gzip_ = got >= 2 && static_cast<unsigned char>(pending_[0]) == kGzipMagic[0] &&
            static_cast<unsigned char>(pending_[1]) == kGzipMagic[1];
    if (gzip_) {
        inflater_ = std::make_unique<Inflater>();
    }
}

InputFile::~InputFile() {
    if (fd_ >= 0) {
        ::close(fd_);
    }
}

std::size_t InputFile::read_raw(char* dst, std::size_t n) {
    while (true) {
        ssize_t k = ::read(fd_, dst, n);
        if (k >= 0) {
            return static_cast<std::size_t>(k);
        }
        if (errno != EINTR) {
            throw_io("cannot read " + quoted(path_) + ": " + std::strerror(errno));
        }
    }
}

std::size_t InputFile::read_plain(char* dst, std::size_t n) {
    if (pending_pos_ < pending_.size()) {
        std::size_t k = std::min(n, pending_.size() - pending_pos_);
        std::memcpy(dst, pending_.data() + pending_pos_, k);
        pending_pos_ += k;
        return k;
    }
    return read_raw(dst, n);
}

std::size_t InputFile::read_decompressed(char* dst, std::size_t n) {
    if (replay_pos_ < replay_.size()) {
        std::size_t k = std::min(n, replay_.size() - replay_pos_);
        std::memcpy(dst, replay_.data() + replay_pos_, k);
        replay_pos_ += k;
        return k;
    }
    if (!gzip_) {
        return read_plain(dst, n);
    }
    Inflater& z = *inflater_;
    z.stream.next_out = reinterpret_cast<Bytef*>(dst);
    const auto room = static_cast<uInt>(std::min<std::size_t>(n, 1u << 30));
    z.stream.avail_out = room;
    while (z.stream.avail_out == room) {
        if (z.stream.avail_in == 0 && !z.input_done) {
            std::size_t k = read_plain(reinterpret_cast<char*>(z.in.data()), z.in.size());
            z.input_done = k == 0;
            z.stream.next_in = z.in.data();
            z.stream.avail_in = static_cast<uInt>(k);
        }
        if (z.stream.avail_in == 0 && z.input_done) {
            if (!z.member_done) {
                throw_invalid(quoted(path_) + " is not valid gzip data: it ends too early");
            }
            break;
        }
        if (z.member_done) {
            // Another gzip member follows (files made with `cat a.gz b.gz`).
            inflateReset(&z.stream);
            z.member_done = false;
        }
        int rc = inflate(&z.stream, Z_NO_FLUSH);
        if (rc == Z_STREAM_END) {
            z.member_done = true;
        } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
            std::string why =
                z.stream.msg != nullptr ? z.stream.msg : "error " + std::to_string(rc);
            throw_invalid(quoted(path_) + " is not valid gzip data: " + why);
        }
    }
    return room - z.stream.avail_out;
}

std::size_t InputFile::read_transcoded(char* dst, std::size_t n) {
    if (encoding_ == Encoding::kUtf8) {
        std::size_t k = read_decompressed(dst, n);
        bytes_in_ += k;
        return k;
    }
    // Read a third of n so that the worst case (3 bytes per byte) still fits in dst.
    std::size_t want = std::max<std::size_t>(1, n / kMaxTranscodeGrowth);
    stage_.resize(want);
    std::size_t k = read_decompressed(stage_.data(), want);
    bytes_in_ += k;
    std::string_view text(stage_.data(), k);
    return encoding_ == Encoding::kLatin1 ? transcode_latin1(text, dst)
                                          : transcode_cp1252(text, dst);
}

std::size_t InputFile::read(char* dst, std::size_t n) {
    if (n < kMaxTranscodeGrowth) {
        throw Error(ErrorKind::kInternal, "InputFile::read needs room for 3 bytes");
    }
    if (!started_) {
        // Drop a byte-order mark before transcoding: it says the text is UTF-8 whatever was
        // asked, and read as Latin-1 it would become three letters.
        started_ = true;
        char head[3];
        std::size_t got = 0;
        while (got < 3) {
            std::size_t k = read_decompressed(head + got, 3 - got);
            if (k == 0) {
                break;
            }
            got += k;
        }
        if (got == 3 && std::memcmp(head, kBom, 3) == 0) {
            bytes_in_ += 3;
        } else {
            replay_.assign(head, head + got);
        }
    }
    return read_transcoded(dst, n);
}

}  // namespace sextant
