#include "sextant/learn/tensorboard.h"

#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <system_error>

#include "sextant/core/error.h"

namespace sextant {

namespace {

constexpr std::uint32_t kCastagnoli = 0x82F63B78u;  // reflected
constexpr std::uint32_t kMaskDelta = 0xa282ead8u;
constexpr const char* kFileVersion = "brain.Event:2";

// Protobuf wire types used by tensorflow.Event.
constexpr int kVarint = 0;
constexpr int kFixed64 = 1;
constexpr int kLengthDelimited = 2;
constexpr int kFixed32 = 5;

// The byte-at-a-time table of the reflected Castagnoli polynomial.
constexpr std::array<std::uint32_t, 256> make_crc_table() {
    std::array<std::uint32_t, 256> table{};
    for (std::uint32_t i = 0; i < 256; ++i) {
        std::uint32_t c = i;
        for (int bit = 0; bit < 8; ++bit) {
            c = (c & 1) ? (c >> 1) ^ kCastagnoli : c >> 1;
        }
        table[i] = c;
    }
    return table;
}

constexpr std::array<std::uint32_t, 256> kCrcTable = make_crc_table();

double system_seconds() {
    auto since_epoch = std::chrono::system_clock::now().time_since_epoch();
    return std::chrono::duration<double>(since_epoch).count();
}

// --- Encoding -----------------------------------------------------------------------------

void put_little_endian(std::string& out, std::uint64_t value, int n_bytes) {
    for (int i = 0; i < n_bytes; ++i) {
        out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
    }
}

void put_varint(std::string& out, std::uint64_t value) {
    while (value >= 0x80) {
        out.push_back(static_cast<char>((value & 0x7f) | 0x80));
        value >>= 7;
    }
    out.push_back(static_cast<char>(value));
}

void put_key(std::string& out, int field, int wire_type) {
    put_varint(out, static_cast<std::uint64_t>(field) << 3 | static_cast<std::uint64_t>(wire_type));
}

void put_bytes(std::string& out, int field, std::string_view bytes) {
    put_key(out, field, kLengthDelimited);
    put_varint(out, bytes.size());
    out.append(bytes);
}

void put_double(std::string& out, int field, double value) {
    std::uint64_t bits;
    std::memcpy(&bits, &value, sizeof bits);
    put_key(out, field, kFixed64);
    put_little_endian(out, bits, 8);
}

void put_float(std::string& out, int field, float value) {
    std::uint32_t bits;
    std::memcpy(&bits, &value, sizeof bits);
    put_key(out, field, kFixed32);
    put_little_endian(out, bits, 4);
}

// --- Decoding -----------------------------------------------------------------------------

// Reads protobuf fields from a byte range; every read is bounds-checked, and a failure sets
// `bad` and stops further reads instead of throwing per field.
class FieldReader {
public:
    explicit FieldReader(std::string_view data) : data_(data) {}

    bool done() const { return bad_ || pos_ >= data_.size(); }
    bool bad() const { return bad_; }

    // Reads the next key; false at the end or on a malformed key.
    bool next(int& field, int& wire_type) {
        if (done()) {
            return false;
        }
        std::uint64_t key = varint();
        field = static_cast<int>(key >> 3);
        wire_type = static_cast<int>(key & 7);
        return !bad_;
    }

    std::uint64_t varint() {
        std::uint64_t value = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (pos_ >= data_.size()) {
                break;
            }
            auto byte = static_cast<std::uint8_t>(data_[pos_++]);
            value |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
            if ((byte & 0x80) == 0) {
                return value;
            }
        }
        bad_ = true;
        return 0;
    }

    std::uint64_t fixed(int n_bytes) {
        if (data_.size() - pos_ < static_cast<std::size_t>(n_bytes)) {
            bad_ = true;
            return 0;
        }
        std::uint64_t value = 0;
        for (int i = 0; i < n_bytes; ++i) {
            value |= static_cast<std::uint64_t>(static_cast<std::uint8_t>(data_[pos_ + i]))
                     << (8 * i);
        }
        pos_ += static_cast<std::size_t>(n_bytes);
        return value;
    }

    std::string_view bytes() {
        std::uint64_t n = varint();
        if (bad_ || n > data_.size() - pos_) {
            bad_ = true;
            return {};
        }
        std::string_view out = data_.substr(pos_, n);
        pos_ += n;
        return out;
    }

    void skip(int wire_type) {
        switch (wire_type) {
            case kVarint:
                varint();
                break;
            case kFixed64:
                fixed(8);
                break;
            case kLengthDelimited:
                bytes();
                break;
            case kFixed32:
                fixed(4);
                break;
            default:
                bad_ = true;  // groups (3, 4) are not used by tensorflow.Event
        }
    }

private:
    std::string_view data_;
    std::size_t pos_ = 0;
    bool bad_ = false;
};

double as_double(std::uint64_t bits) {
    double value;
    std::memcpy(&value, &bits, sizeof value);
    return value;
}

float as_float(std::uint64_t bits) {
    auto narrow = static_cast<std::uint32_t>(bits);
    float value;
    std::memcpy(&value, &narrow, sizeof value);
    return value;
}

// Decodes Summary.Value; false when malformed. `has_scalar` says whether simple_value was set.
bool decode_value(std::string_view data, TensorBoardScalar& scalar, bool& has_scalar) {
    FieldReader reader(data);
    int field = 0;
    int wire_type = 0;
    while (reader.next(field, wire_type)) {
        if (field == 1 && wire_type == kLengthDelimited) {
            scalar.tag = std::string(reader.bytes());
        } else if (field == 2 && wire_type == kFixed32) {
            scalar.value = as_float(reader.fixed(4));
            has_scalar = true;
        } else {
            reader.skip(wire_type);
        }
    }
    return !reader.bad();
}

// Decodes one tensorflow.Event into `file`; false when malformed.
bool decode_event(std::string_view data, TensorBoardFile& file) {
    FieldReader reader(data);
    double wall_time = 0;
    std::int64_t step = 0;
    std::vector<TensorBoardScalar> values;
    int field = 0;
    int wire_type = 0;
    while (reader.next(field, wire_type)) {
        if (field == 1 && wire_type == kFixed64) {
            wall_time = as_double(reader.fixed(8));
        } else if (field == 2 && wire_type == kVarint) {
            step = static_cast<std::int64_t>(reader.varint());
        } else if (field == 3 && wire_type == kLengthDelimited) {
            file.file_version = std::string(reader.bytes());
        } else if (field == 5 && wire_type == kLengthDelimited) {
            FieldReader summary(reader.bytes());
            int summary_field = 0;
            int summary_wire = 0;
            while (summary.next(summary_field, summary_wire)) {
                if (summary_field != 1 || summary_wire != kLengthDelimited) {
                    summary.skip(summary_wire);
                    continue;
                }
                TensorBoardScalar scalar;
                bool has_scalar = false;
                if (!decode_value(summary.bytes(), scalar, has_scalar)) {
                    return false;
                }
                if (has_scalar) {
                    values.push_back(std::move(scalar));
                }
            }
            if (summary.bad()) {
                return false;
            }
        } else {
            reader.skip(wire_type);
        }
    }
    if (reader.bad()) {
        return false;
    }
    // The Event's step and wall time apply to every value of its summary.
    for (TensorBoardScalar& scalar : values) {
        scalar.step = step;
        scalar.wall_time = wall_time;
        file.scalars.push_back(std::move(scalar));
    }
    return true;
}

std::uint32_t read_u32(std::string_view data, std::size_t pos) {
    std::uint32_t value = 0;
    for (int i = 0; i < 4; ++i) {
        value |= static_cast<std::uint32_t>(static_cast<std::uint8_t>(data[pos + i])) << (8 * i);
    }
    return value;
}

std::string host_name() {
    std::array<char, 256> buffer{};
    if (gethostname(buffer.data(), buffer.size() - 1) != 0 || buffer[0] == '\0') {
        return "localhost";
    }
    return buffer.data();
}

}  // namespace

std::uint32_t crc32c(std::string_view data) {
    std::uint32_t crc = 0xffffffffu;
    for (char c : data) {
        crc = kCrcTable[(crc ^ static_cast<std::uint8_t>(c)) & 0xff] ^ (crc >> 8);
    }
    return crc ^ 0xffffffffu;
}

std::uint32_t masked_crc32c(std::uint32_t crc) {
    return ((crc >> 15) | (crc << 17)) + kMaskDelta;
}

std::string encode_scalar_event(std::string_view tag, std::int64_t step, float value,
                                double wall_time) {
    std::string scalar;
    put_bytes(scalar, 1, tag);
    put_float(scalar, 2, value);
    std::string summary;
    put_bytes(summary, 1, scalar);

    std::string event;
    put_double(event, 1, wall_time);
    put_key(event, 2, kVarint);
    put_varint(event, static_cast<std::uint64_t>(step));  // negatives as 10-byte two's complement
    put_bytes(event, 5, summary);
    return event;
}

std::string encode_file_version_event(double wall_time) {
    std::string event;
    put_double(event, 1, wall_time);
    put_bytes(event, 3, kFileVersion);
    return event;
}

void TensorBoardWriter::FileCloser::operator()(std::FILE* file) const {
    std::fclose(file);
}

TensorBoardWriter::TensorBoardWriter(const std::string& dir)
    : TensorBoardWriter(dir, system_seconds()) {}

TensorBoardWriter::TensorBoardWriter(const std::string& dir, double wall_time) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) {
        throw_io(dir + ": cannot create the TensorBoard folder: " + ec.message());
    }

    // "x" opens exclusively, so two runs started in the same second never share a file.
    std::string base =
        (std::filesystem::path(dir) /
         ("events.out.tfevents." +
          std::to_string(static_cast<std::int64_t>(std::floor(wall_time))) + "." + host_name()))
            .string();
    for (int suffix = 0; !file_; ++suffix) {
        path_ = suffix == 0 ? base : base + "." + std::to_string(suffix);
        errno = 0;
        file_.reset(std::fopen(path_.c_str(), "wbx"));
        if (!file_ && (errno != EEXIST || suffix >= 1000)) {
            throw_io(path_ + ": cannot create the TensorBoard event file: " + std::strerror(errno));
        }
    }
    write_record(encode_file_version_event(wall_time));
}

TensorBoardWriter::~TensorBoardWriter() = default;
TensorBoardWriter::TensorBoardWriter(TensorBoardWriter&&) noexcept = default;
TensorBoardWriter& TensorBoardWriter::operator=(TensorBoardWriter&&) noexcept = default;

void TensorBoardWriter::add_scalar(std::string_view tag, std::int64_t step, float value,
                                   double wall_time) {
    if (!file_) {
        throw Error(ErrorKind::kInternal, path_ + ": add_scalar after close()");
    }
    write_record(encode_scalar_event(tag, step, value, wall_time));
}

void TensorBoardWriter::add_scalar(std::string_view tag, std::int64_t step, float value) {
    add_scalar(tag, step, value, system_seconds());
}

void TensorBoardWriter::close() {
    if (!file_) {
        return;
    }
    std::FILE* file = file_.release();
    if (std::fclose(file) != 0) {
        throw_io(path_ + ": cannot close the TensorBoard event file: " + std::strerror(errno));
    }
}

void TensorBoardWriter::write_record(const std::string& data) {
    std::string header;
    put_little_endian(header, data.size(), 8);
    std::uint32_t header_crc = masked_crc32c(crc32c(header));
    put_little_endian(header, header_crc, 4);
    std::string footer;
    put_little_endian(footer, masked_crc32c(crc32c(data)), 4);

    std::FILE* file = file_.get();
    bool ok = std::fwrite(header.data(), 1, header.size(), file) == header.size() &&
              std::fwrite(data.data(), 1, data.size(), file) == data.size() &&
              std::fwrite(footer.data(), 1, footer.size(), file) == footer.size() &&
              std::fflush(file) == 0;
    if (!ok) {
        throw_io(path_ + ": cannot write the TensorBoard event file: " + std::strerror(errno));
    }
}

TensorBoardFile read_tensorboard_scalars(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw_io(path + ": cannot open the TensorBoard event file");
    }
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (in.bad()) {
        throw_io(path + ": cannot read the TensorBoard event file");
    }

    TensorBoardFile file;
    std::string_view data(bytes);
    std::size_t pos = 0;
    auto fail = [&](const std::string& what) {
        throw_invalid(path + ": record at byte " + std::to_string(pos) + ": " + what);
    };
    while (pos < data.size()) {
        if (data.size() - pos < 12) {
            fail("truncated header");
        }
        std::uint64_t length = static_cast<std::uint64_t>(read_u32(data, pos)) |
                               static_cast<std::uint64_t>(read_u32(data, pos + 4)) << 32;
        if (masked_crc32c(crc32c(data.substr(pos, 8))) != read_u32(data, pos + 8)) {
            fail("CRC mismatch in the length");
        }
        if (length > data.size() - pos - 12 || data.size() - pos - 12 - length < 4) {
            fail("truncated data (" + std::to_string(length) + " bytes announced)");
        }
        std::string_view record = data.substr(pos + 12, length);
        if (masked_crc32c(crc32c(record)) != read_u32(data, pos + 12 + length)) {
            fail("CRC mismatch in the data");
        }
        if (!decode_event(record, file)) {
            fail("malformed tensorflow.Event");
        }
        ++file.n_records;
        pos += 12 + length + 4;
    }
    return file;
}

}  // namespace sextant
