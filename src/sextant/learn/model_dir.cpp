#include "sextant/learn/model_dir.h"

#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <random>

#include <xxhash.h>

#include "sextant/core/error.h"

namespace sextant {
namespace {

namespace fs = std::filesystem;

constexpr char kMagic[12] = {'S', 'X', 'T', 'W', 'E', 'I', 'G', 'H', 'T', 'S', 0, 0};
constexpr std::uint32_t kWeightsVersion = 1;
constexpr char kWeightsFile[] = "weights.bin";
constexpr char kMetaFile[] = "meta.json";

std::size_t element_size(WeightType type) {
    return type == WeightType::kU64 ? 8 : 4;
}

const char* type_name(WeightType type) {
    switch (type) {
        case WeightType::kF32:
            return "f32";
        case WeightType::kU32:
            return "u32";
        case WeightType::kU64:
            return "u64";
    }
    return "?";
}

std::string shape_text(const std::vector<std::int64_t>& shape) {
    std::string s = "[";
    for (std::size_t i = 0; i < shape.size(); ++i) {
        s += (i ? ", " : "") + std::to_string(shape[i]);
    }
    return s + "]";
}

std::uint64_t element_count(const std::vector<std::int64_t>& shape) {
    std::uint64_t n = 1;
    for (std::int64_t d : shape) {
        n *= static_cast<std::uint64_t>(d);
    }
    return n;
}

template <typename T>
Weights::Array make_array(WeightType type, std::span<const T> values,
                          std::vector<std::int64_t> shape, const std::string& name) {
    if (shape.empty()) {
        shape = {static_cast<std::int64_t>(values.size())};
    }
    for (std::int64_t d : shape) {
        if (d < 0) {
            throw Error(ErrorKind::kInternal, "weights: negative dimension in " + name);
        }
    }
    if (element_count(shape) != values.size()) {
        throw Error(ErrorKind::kInternal, "weights: " + name + " has " +
                                              std::to_string(values.size()) + " values for shape " +
                                              shape_text(shape));
    }
    Weights::Array a;
    a.type = type;
    a.shape = std::move(shape);
    a.bytes.resize(values.size_bytes());
    if (!values.empty()) {
        std::memcpy(a.bytes.data(), values.data(), values.size_bytes());
    }
    return a;
}

template <typename T>
std::vector<T> elements(const Weights::Array& a) {
    std::vector<T> out(a.bytes.size() / sizeof(T));
    if (!out.empty()) {
        std::memcpy(out.data(), a.bytes.data(), a.bytes.size());
    }
    return out;
}

template <typename T>
void put_raw(std::vector<std::uint8_t>& out, T value) {
    const auto* p = reinterpret_cast<const std::uint8_t*>(&value);
    out.insert(out.end(), p, p + sizeof(T));
}

// Reads from a byte span, failing with the source's name when it runs out.
class Cursor {
public:
    Cursor(std::span<const std::uint8_t> bytes, const std::string& source)
        : bytes_(bytes), source_(source) {}

    template <typename T>
    T take() {
        need(sizeof(T));
        T value;
        std::memcpy(&value, bytes_.data() + at_, sizeof(T));
        at_ += sizeof(T);
        return value;
    }

    std::span<const std::uint8_t> take_bytes(std::uint64_t n) {
        need(n);
        auto s = bytes_.subspan(at_, n);
        at_ += n;
        return s;
    }

    bool done() const { return at_ == bytes_.size(); }

    [[noreturn]] void fail(const std::string& what) const {
        throw_invalid(source_ + ": " + what + " at byte " + std::to_string(at_));
    }

private:
    void need(std::uint64_t n) const {
        if (n > bytes_.size() - at_) {
            fail("truncated: " + std::to_string(n) + " more bytes needed, " +
                 std::to_string(bytes_.size() - at_) + " left");
        }
    }

    std::span<const std::uint8_t> bytes_;
    const std::string& source_;
    std::size_t at_ = 0;
};

std::vector<std::uint8_t> as_bytes(const std::string& s) {
    return {s.begin(), s.end()};
}

// Model files are read whole: a directory, FIFO or device in their place is refused first.
void require_regular_file(const fs::path& path) {
    std::error_code ec;
    if (!fs::is_regular_file(path, ec)) {
        throw_invalid(path.string() + ": not a regular file");
    }
}

std::vector<std::uint8_t> read_file(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw_not_found(path.string() + ": cannot open: " + std::strerror(errno));
    }
    std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                                    std::istreambuf_iterator<char>());
    if (in.bad()) {
        throw_io(path.string() + ": read failed");
    }
    return bytes;
}

// Writes and flushes a file to disk, so that the rename that publishes it follows its contents.
void write_file(const fs::path& path, std::span<const std::uint8_t> bytes) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        throw_io(path.string() + ": cannot create: " + std::strerror(errno));
    }
    std::size_t done = 0;
    while (done < bytes.size()) {
        ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            int e = errno;
            ::close(fd);
            throw_io(path.string() + ": write failed: " + std::strerror(e));
        }
        done += static_cast<std::size_t>(n);
    }
    if (::fsync(fd) != 0 || ::close(fd) != 0) {
        throw_io(path.string() + ": write failed: " + std::strerror(errno));
    }
}

// The checksum meta.json carries of itself: of its compact dump without the "checksum" key.
std::string meta_checksum(nlohmann::json meta) {
    meta.erase("checksum");
    return checksum_hex(as_bytes(meta.dump()));
}

std::string temp_suffix() {
    std::random_device rd;
    char buf[32];
    std::snprintf(buf, sizeof buf, ".tmp-%d-%08x", static_cast<int>(::getpid()), rd());
    return buf;
}

}  // namespace

void Weights::add(const std::string& name, std::span<const float> values,
                  std::vector<std::int64_t> shape) {
    arrays_[name] = make_array(WeightType::kF32, values, std::move(shape), name);
}

void Weights::add(const std::string& name, std::span<const std::uint32_t> values,
                  std::vector<std::int64_t> shape) {
    arrays_[name] = make_array(WeightType::kU32, values, std::move(shape), name);
}

void Weights::add(const std::string& name, std::span<const std::uint64_t> values,
                  std::vector<std::int64_t> shape) {
    arrays_[name] = make_array(WeightType::kU64, values, std::move(shape), name);
}

const std::vector<std::int64_t>& Weights::shape(const std::string& name) const {
    auto it = arrays_.find(name);
    if (it == arrays_.end()) {
        throw_invalid((source_.empty() ? "weights" : source_) + ": no array \"" + name + "\"");
    }
    return it->second.shape;
}

const Weights::Array& Weights::get(const std::string& name, WeightType type,
                                   const std::vector<std::int64_t>& shape) const {
    std::string where = source_.empty() ? "weights" : source_;
    auto it = arrays_.find(name);
    if (it == arrays_.end()) {
        throw_invalid(where + ": no array \"" + name + "\"");
    }
    const Array& a = it->second;
    if (a.type != type) {
        throw_invalid(where + ": array \"" + name + "\" is " + type_name(a.type) + ", expected " +
                      type_name(type));
    }
    if (!shape.empty() && a.shape != shape) {
        throw_invalid(where + ": array \"" + name + "\" has shape " + shape_text(a.shape) +
                      ", expected " + shape_text(shape) + " (meta.json and the weights disagree)");
    }
    return a;
}

std::vector<float> Weights::f32(const std::string& name, std::vector<std::int64_t> shape) const {
    return elements<float>(get(name, WeightType::kF32, shape));
}

std::vector<std::uint32_t> Weights::u32(const std::string& name,
                                        std::vector<std::int64_t> shape) const {
    return elements<std::uint32_t>(get(name, WeightType::kU32, shape));
}

std::vector<std::uint64_t> Weights::u64(const std::string& name,
                                        std::vector<std::int64_t> shape) const {
    return elements<std::uint64_t>(get(name, WeightType::kU64, shape));
}

std::vector<std::uint8_t> Weights::serialize() const {
    std::vector<std::uint8_t> out(kMagic, kMagic + sizeof kMagic);
    put_raw<std::uint32_t>(out, kWeightsVersion);
    put_raw<std::uint32_t>(out, static_cast<std::uint32_t>(arrays_.size()));
    for (const auto& [name, a] : arrays_) {
        put_raw<std::uint32_t>(out, static_cast<std::uint32_t>(name.size()));
        out.insert(out.end(), name.begin(), name.end());
        put_raw<std::uint8_t>(out, static_cast<std::uint8_t>(a.type));
        put_raw<std::uint8_t>(out, static_cast<std::uint8_t>(a.shape.size()));
        for (std::int64_t d : a.shape) {
            put_raw<std::int64_t>(out, d);
        }
        out.insert(out.end(), a.bytes.begin(), a.bytes.end());
    }
    return out;
}

Weights Weights::parse(std::span<const std::uint8_t> bytes, const std::string& source) {
    Cursor in(bytes, source);
    auto magic = in.take_bytes(sizeof kMagic);
    if (std::memcmp(magic.data(), kMagic, sizeof kMagic) != 0) {
        in.fail("not a Sextant weights file");
    }
    auto version = in.take<std::uint32_t>();
    if (version != kWeightsVersion) {
        in.fail("weights format version " + std::to_string(version) + ", this build reads " +
                std::to_string(kWeightsVersion));
    }
    auto count = in.take<std::uint32_t>();
    Weights w;
    w.source_ = source;
    for (std::uint32_t k = 0; k < count; ++k) {
        auto name_size = in.take<std::uint32_t>();
        auto name_bytes = in.take_bytes(name_size);
        std::string name(name_bytes.begin(), name_bytes.end());
        auto type = in.take<std::uint8_t>();
        if (type < 1 || type > 3) {
            in.fail("array \"" + name + "\" has unknown type " + std::to_string(type));
        }
        Array a;
        a.type = static_cast<WeightType>(type);
        auto rank = in.take<std::uint8_t>();
        std::uint64_t n = 1;
        for (std::uint8_t r = 0; r < rank; ++r) {
            auto d = in.take<std::int64_t>();
            // Bounded so that the product cannot overflow before the length check below.
            if (d < 0 || d > (std::int64_t{1} << 40) || (d > 0 && n > (1ULL << 40) / d)) {
                in.fail("array \"" + name + "\" has an impossible dimension");
            }
            a.shape.push_back(d);
            n *= static_cast<std::uint64_t>(d);
        }
        auto data = in.take_bytes(n * element_size(a.type));
        a.bytes.assign(data.begin(), data.end());
        if (!w.arrays_.emplace(std::move(name), std::move(a)).second) {
            in.fail("array repeated");
        }
    }
    if (!in.done()) {
        in.fail("unexpected bytes after the last array");
    }
    return w;
}

std::string checksum_hex(std::span<const std::uint8_t> bytes) {
    XXH128_hash_t h = XXH3_128bits(bytes.data(), bytes.size());
    char buf[33];
    std::snprintf(buf, sizeof buf, "%016llx%016llx", static_cast<unsigned long long>(h.high64),
                  static_cast<unsigned long long>(h.low64));
    return buf;
}

namespace {

// Refuses to replace anything at `target` but an empty folder or a model directory: the path
// is the user's to choose, and a typo must not cost them a file or a folder of their own.
void check_replaceable(const fs::path& target) {
    std::error_code ec;
    fs::file_status status = fs::symlink_status(target, ec);
    if (!fs::exists(status)) {
        return;
    }
    std::string why;
    if (!fs::is_directory(status)) {
        why = fs::is_symlink(status) ? "is a link, not a model directory"
                                     : "is a file, not a model directory";
    } else if (!fs::is_empty(target, ec)) {
        std::ifstream meta(target / kMetaFile);
        std::string text((std::istreambuf_iterator<char>(meta)), std::istreambuf_iterator<char>());
        if (text.find("\"sextant-model\"") == std::string::npos) {
            why = "is a folder that holds other files, not a model directory";
        }
    }
    if (!why.empty()) {
        throw_invalid(target.string() + ": " + why +
                      "; nothing was written (choose another path, or remove it first)");
    }
}

}  // namespace

void save_model_dir(const fs::path& dir, const ModelFiles& files) {
    fs::path target = fs::absolute(dir).lexically_normal();
    if (target.filename().empty()) {
        target = target.parent_path();
    }
    check_replaceable(target);
    std::error_code ec;
    fs::create_directories(target.parent_path(), ec);
    if (ec) {
        throw_io(target.parent_path().string() + ": cannot create: " + ec.message());
    }
    fs::path temp = target;
    temp += temp_suffix();
    fs::create_directory(temp, ec);
    if (ec) {
        throw_io(temp.string() + ": cannot create: " + ec.message());
    }
    try {
        std::map<std::string, std::vector<std::uint8_t>> contents;
        contents[kWeightsFile] = files.weights.serialize();
        for (const auto& [name, bytes] : files.extra) {
            if (name.empty() || name.find('/') != std::string::npos || name == kMetaFile ||
                name == kWeightsFile) {
                throw Error(ErrorKind::kInternal, "model directory: bad file name " + name);
            }
            contents[name] = bytes;
        }
        nlohmann::json meta = files.meta;
        meta["format"] = "sextant-model";
        meta["format_version"] = kModelFormatVersion;
        meta["files"] = nlohmann::json::object();
        for (const auto& [name, bytes] : contents) {
            write_file(temp / name, bytes);
            meta["files"][name] = {{"bytes", bytes.size()}, {"xxh3_128", checksum_hex(bytes)}};
        }
        meta["checksum"] = meta_checksum(meta);
        write_file(temp / kMetaFile, as_bytes(meta.dump(2) + "\n"));

        if (fs::exists(target)) {
            // Swap the new directory in atomically, then remove the old one (now at temp).
            if (::renameat2(AT_FDCWD, temp.c_str(), AT_FDCWD, target.c_str(), RENAME_EXCHANGE) !=
                0) {
                throw_io(target.string() + ": cannot replace: " + std::strerror(errno));
            }
        } else if (::rename(temp.c_str(), target.c_str()) != 0) {
            throw_io(target.string() + ": cannot create: " + std::strerror(errno));
        }
    } catch (...) {
        fs::remove_all(temp, ec);
        throw;
    }
    fs::remove_all(temp, ec);
}

LoadedModelDir load_model_dir(const fs::path& dir) {
    std::string name = dir.string();
    if (name.empty()) {
        throw_invalid("model directory: empty path");
    }
    std::error_code ec;
    fs::file_status status = fs::status(dir, ec);
    if (ec && ec != std::errc::no_such_file_or_directory) {
        throw_invalid(name + ": cannot read: " + ec.message());
    }
    if (!fs::exists(status)) {
        throw_not_found(name + ": no model directory there");
    }
    if (!fs::is_directory(status)) {
        throw_invalid(name + ": not a directory (a model is a directory with meta.json)");
    }
    fs::path meta_path = dir / kMetaFile;
    if (!fs::exists(meta_path, ec)) {
        throw_not_found(meta_path.string() + ": missing (not a model directory)");
    }
    require_regular_file(meta_path);
    std::vector<std::uint8_t> meta_bytes = read_file(meta_path);
    LoadedModelDir out;
    out.dir = dir;
    out.meta = nlohmann::json::parse(meta_bytes.begin(), meta_bytes.end(), nullptr, false);
    const std::string meta_name = meta_path.string();
    if (out.meta.is_discarded() || !out.meta.is_object()) {
        throw_invalid(meta_name + ": not valid JSON (truncated or edited?)");
    }
    if (out.meta.value("format", "") != "sextant-model") {
        throw_invalid(meta_name + ": not a Sextant model (no \"format\": \"sextant-model\")");
    }
    int version = meta_field<int>(out.meta, "format_version", meta_name);
    if (version != kModelFormatVersion) {
        throw_invalid(meta_name + ": model format version " + std::to_string(version) +
                      "; this build reads version " + std::to_string(kModelFormatVersion));
    }
    if (meta_field<std::string>(out.meta, "checksum", meta_name) != meta_checksum(out.meta)) {
        throw_invalid(meta_name + ": edited after it was written (its checksum differs)");
    }
    const nlohmann::json& listed = out.meta["files"];
    if (!listed.is_object() || !listed.contains(kWeightsFile)) {
        throw_invalid(meta_name + ": field \"files\" does not list " + kWeightsFile);
    }
    for (const auto& [file, info] : listed.items()) {
        fs::path path = dir / file;
        if (file.find('/') != std::string::npos || !fs::exists(path, ec)) {
            throw_invalid(path.string() + ": missing (meta.json lists it)");
        }
        require_regular_file(path);
        std::vector<std::uint8_t> bytes = read_file(path);
        auto expected = meta_field<std::uint64_t>(info, "bytes", meta_name + " files." + file);
        if (bytes.size() != expected) {
            throw_invalid(path.string() + ": " + std::to_string(bytes.size()) + " bytes, " +
                          std::to_string(expected) +
                          " expected by meta.json (one of the two was truncated or replaced)");
        }
        if (checksum_hex(bytes) !=
            meta_field<std::string>(info, "xxh3_128", meta_name + " files." + file)) {
            throw_invalid(path.string() + ": checksum differs from meta.json (edited or damaged)");
        }
        if (file == kWeightsFile) {
            out.weights = Weights::parse(bytes, path.string());
        } else {
            out.extra[file] = std::move(bytes);
        }
    }
    return out;
}

namespace {

const nlohmann::json* find_dotted(const nlohmann::json& root, const std::string& key) {
    const nlohmann::json* at = &root;
    std::size_t start = 0;
    while (true) {
        std::size_t dot = key.find('.', start);
        std::string part = key.substr(start, dot == std::string::npos ? dot : dot - start);
        if (!at->is_object() || !at->contains(part)) {
            return nullptr;
        }
        at = &(*at)[part];
        if (dot == std::string::npos) {
            return at;
        }
        start = dot + 1;
    }
}

template <typename T>
const char* expected_kind() {
    if constexpr (std::is_same_v<T, std::vector<std::string>>) {
        return "an array of strings";
    } else if constexpr (std::is_same_v<T, std::string>) {
        return "a string";
    } else if constexpr (std::is_same_v<T, bool>) {
        return "true or false";
    } else if constexpr (std::is_floating_point_v<T>) {
        return "a number";
    } else if constexpr (std::is_unsigned_v<T>) {
        return "a non-negative integer";
    } else {
        return "an integer";
    }
}

template <typename T>
bool fits(const nlohmann::json& v) {
    if constexpr (std::is_same_v<T, std::vector<std::string>>) {
        return v.is_array() &&
               std::all_of(v.begin(), v.end(), [](const auto& e) { return e.is_string(); });
    } else if constexpr (std::is_same_v<T, std::string>) {
        return v.is_string();
    } else if constexpr (std::is_same_v<T, bool>) {
        return v.is_boolean();
    } else if constexpr (std::is_floating_point_v<T>) {
        return v.is_number();
    } else if constexpr (std::is_unsigned_v<T>) {
        return v.is_number_unsigned() || (v.is_number_integer() && v.get<std::int64_t>() >= 0);
    } else {
        return v.is_number_integer();
    }
}

}  // namespace

template <typename T>
T meta_field(const nlohmann::json& meta, const std::string& key, const std::string& file) {
    const nlohmann::json* v = find_dotted(meta, key);
    if (v == nullptr) {
        throw_invalid(file + ": field \"" + key + "\" is missing");
    }
    if (!fits<T>(*v)) {
        throw_invalid(file + ": field \"" + key + "\": expected " + expected_kind<T>());
    }
    return v->get<T>();
}

template int meta_field<int>(const nlohmann::json&, const std::string&, const std::string&);
template std::int64_t meta_field<std::int64_t>(const nlohmann::json&, const std::string&,
                                               const std::string&);
template std::uint64_t meta_field<std::uint64_t>(const nlohmann::json&, const std::string&,
                                                 const std::string&);
template double meta_field<double>(const nlohmann::json&, const std::string&, const std::string&);
template bool meta_field<bool>(const nlohmann::json&, const std::string&, const std::string&);
template std::string meta_field<std::string>(const nlohmann::json&, const std::string&,
                                             const std::string&);
template std::vector<std::string> meta_field<std::vector<std::string>>(const nlohmann::json&,
                                                                       const std::string&,
                                                                       const std::string&);

}  // namespace sextant
