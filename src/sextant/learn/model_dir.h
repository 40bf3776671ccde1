// Model directories: how every trained model of Sextant is kept on disk.
//
// A model is a directory holding
//   meta.json    what the model is: format and version, the model kind, its hyper-parameters,
//                its dictionaries, its metrics, and the size and XXH3-128 checksum of every
//                other file; meta.json carries a checksum of its own content as well;
//   weights.bin  the learned arrays, named, typed and shaped (format below);
//   ...          any further files a model writes (an item index), listed in meta.json.
// save_model_dir() writes everything under a temporary name beside the target and renames it
// into place (an existing directory is swapped out atomically, then removed), so a crash never
// leaves half a model. load_model_dir() verifies sizes and checksums before anything is parsed,
// so a truncated or edited file fails with an error naming that file, never with a crash.
//
// weights.bin, all integers little-endian (the byte order of every machine Sextant builds for):
//   "SXTWEIGHTS\0\0"  (12 bytes), u32 version (1), u32 array count, then per array:
//   u32 name length, name bytes, u8 type (1 = f32, 2 = u32, 3 = u64), u8 rank, i64 dims[rank],
//   then the elements (the product of dims; a rank-0 array holds one element).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace sextant {

inline constexpr int kModelFormatVersion = 1;

enum class WeightType : std::uint8_t { kF32 = 1, kU32 = 2, kU64 = 3 };

// The named arrays of weights.bin, in memory. Names are unique; adding a name twice replaces it.
class Weights {
public:
    struct Array {
        WeightType type = WeightType::kF32;
        std::vector<std::int64_t> shape;  // empty: a scalar
        std::vector<std::uint8_t> bytes;  // the elements, packed
    };

    // Adds an array; `shape` defaults to one dimension of values.size(). Throws
    // sextant::Error (kInternal) when the product of shape differs from values.size().
    void add(const std::string& name, std::span<const float> values,
             std::vector<std::int64_t> shape = {});
    void add(const std::string& name, std::span<const std::uint32_t> values,
             std::vector<std::int64_t> shape = {});
    void add(const std::string& name, std::span<const std::uint64_t> values,
             std::vector<std::int64_t> shape = {});

    // Adds an array as it is (moving arrays between Weights).
    void put(const std::string& name, Array array) { arrays_[name] = std::move(array); }

    bool has(const std::string& name) const { return arrays_.count(name) != 0; }

    // The shape of an array. Throws kInvalidInput naming the array (and source()) when absent.
    const std::vector<std::int64_t>& shape(const std::string& name) const;

    // The elements of an array, checked against `shape` when it is given (non-empty). Throw
    // sextant::Error (kInvalidInput) naming source(), the array and what differs when the array
    // is absent, of another type, or of another shape.
    std::vector<float> f32(const std::string& name, std::vector<std::int64_t> shape = {}) const;
    std::vector<std::uint32_t> u32(const std::string& name,
                                   std::vector<std::int64_t> shape = {}) const;
    std::vector<std::uint64_t> u64(const std::string& name,
                                   std::vector<std::int64_t> shape = {}) const;

    const std::map<std::string, Array>& arrays() const { return arrays_; }

    // Serialises to the format above / parses it. parse() throws kInvalidInput naming `source`
    // (a path, for messages) on any structural problem: bad magic, unknown version or type, a
    // length running past the end, trailing bytes.
    std::vector<std::uint8_t> serialize() const;
    static Weights parse(std::span<const std::uint8_t> bytes, const std::string& source);

    // Where the arrays were read from, for messages ("model/weights.bin"); empty when built.
    const std::string& source() const { return source_; }
    void set_source(std::string source) { source_ = std::move(source); }

private:
    const Array& get(const std::string& name, WeightType type,
                     const std::vector<std::int64_t>& shape) const;

    std::map<std::string, Array> arrays_;
    std::string source_;
};

// XXH3-128 of bytes, as 32 lower-case hex digits.
std::string checksum_hex(std::span<const std::uint8_t> bytes);

// What save_model_dir() writes besides weights.bin.
struct ModelFiles {
    nlohmann::json meta = nlohmann::json::object();  // the model's own keys (kind, config, ...)
    Weights weights;
    // Further files by name (no path separators), e.g. {"items.hnsw", bytes}.
    std::map<std::string, std::vector<std::uint8_t>> extra;
};

// Writes `files` as the model directory `dir` (its parent is created when missing). meta.json
// gets "format": "sextant-model", "format_version", "files" (name -> {bytes, xxh3_128}) and
// "checksum" added to files.meta. Only an empty folder or a model directory is replaced: a file
// or a folder of other files at `dir` is refused (kInvalidInput, naming it) before anything is
// written. Throws sextant::Error (kIo) naming the path when a write or rename fails; `dir` is
// then as it was.
void save_model_dir(const std::filesystem::path& dir, const ModelFiles& files);

// A loaded model directory. `meta` is meta.json as written (with the keys save added).
struct LoadedModelDir {
    std::filesystem::path dir;
    nlohmann::json meta;
    Weights weights;
    std::map<std::string, std::vector<std::uint8_t>> extra;  // every other file meta.json lists
};

// Reads and verifies a model directory. Throws sextant::Error naming the file at fault:
// kNotFound when `dir` or meta.json is missing; kInvalidInput when meta.json is not JSON, is not
// a Sextant model, has another format version, was edited (its checksum differs), or when a
// listed file is missing, has another size (truncated) or checksum (edited), or weights.bin is
// malformed.
LoadedModelDir load_model_dir(const std::filesystem::path& dir);

// Reads meta.json field `key` of `meta` as T, or throws kInvalidInput naming `file` and the key
// ("model/meta.json: field \"config.hidden\": expected a number"). `key` may be a dotted path.
// T is int, std::int64_t, std::uint64_t, double, bool, std::string or std::vector<std::string>.
template <typename T>
T meta_field(const nlohmann::json& meta, const std::string& key, const std::string& file);

// As meta_field(), into `target` when `key` is present; an absent key leaves target as it is.
template <typename T>
void read_field_if_present(const nlohmann::json& object, const std::string& key,
                           const std::string& file, T& target) {
    if (object.is_object() && object.contains(key)) {
        target = meta_field<T>(object, key, file);
    }
}

}  // namespace sextant
