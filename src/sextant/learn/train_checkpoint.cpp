#include "sextant/learn/train_checkpoint.h"

#include <xxhash.h>

#include <cstring>
#include <fstream>
#include <iterator>
#include <mutex>
#include <sstream>
#include <system_error>
#include <utility>
#include <vector>

#include "sextant/core/error.h"

namespace sextant {
namespace {

constexpr const char* kFormat = "sextant-checkpoint-1";
// The file's header: magic, payload size, XXH3-128 of the payload (low, high), little-endian.
constexpr char kMagic[8] = {'S', 'X', 'T', 'C', 'K', 'P', 'T', '\0'};
constexpr std::size_t kHeaderSize = 8 + 8 + 16;

std::string file_header(const std::string& payload) {
    XXH128_hash_t h = XXH3_128bits(payload.data(), payload.size());
    std::uint64_t fields[3] = {payload.size(), h.low64, h.high64};
    std::string header(kMagic, sizeof kMagic);
    header.append(reinterpret_cast<const char*>(fields), sizeof fields);
    return header;
}

using NamedTensors = std::vector<std::pair<std::string, torch::Tensor>>;

NamedTensors module_tensors(const torch::nn::Module& module) {
    NamedTensors out;
    for (const auto& item : module.named_parameters()) {
        out.emplace_back(item.key(), item.value());
    }
    for (const auto& item : module.named_buffers()) {
        out.emplace_back(item.key(), item.value());
    }
    return out;
}

nlohmann::json shape_list(const NamedTensors& tensors) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& [name, t] : tensors) {
        out.push_back({name, t.sizes().vec()});
    }
    return out;
}

const char* to_string(OptimizerKind kind) {
    return kind == OptimizerKind::kAdamW ? "adamw" : "adam";
}

const char* to_string(LrSchedule schedule) {
    return schedule == LrSchedule::kWarmupCosine ? "warmup_cosine" : "constant";
}

// The torch generator's state, read under its lock.
torch::Tensor torch_rng_state() {
    auto generator = at::globalContext().defaultGenerator(at::kCPU);
    std::lock_guard<std::mutex> lock(generator.mutex());
    return generator.get_state();
}

void set_torch_rng_state(const torch::Tensor& state) {
    auto generator = at::globalContext().defaultGenerator(at::kCPU);
    std::lock_guard<std::mutex> lock(generator.mutex());
    generator.set_state(state);
}

torch::Tensor text_tensor(const std::string& text) {
    return torch::tensor(std::vector<std::uint8_t>(text.begin(), text.end()), torch::kUInt8);
}

// The first line of an exception's message, without libtorch's backtrace.
std::string first_line(const std::exception& e) {
    const auto* c10_error = dynamic_cast<const c10::Error*>(&e);
    std::string message = c10_error ? c10_error->what_without_backtrace() : e.what();
    return message.substr(0, message.find('\n'));
}

[[noreturn]] void refuse(const std::filesystem::path& path, const std::string& why) {
    throw Error(ErrorKind::kInvalidInput, "checkpoint " + path.string() + " " + why +
                                              ": delete it or drop resume to start afresh");
}

// Names the first field where two fingerprints differ ("options.learning_rate: 0.01 in the
// checkpoint, 0.001 now"); empty when they are equal.
std::string first_difference(const nlohmann::json& saved, const nlohmann::json& now,
                             const std::string& prefix = "") {
    if (saved.is_object() && now.is_object()) {
        for (const auto& [key, value] : now.items()) {
            std::string name = prefix.empty() ? key : prefix + "." + key;
            if (!saved.contains(key)) {
                return name + " is missing in the checkpoint";
            }
            std::string diff = first_difference(saved.at(key), value, name);
            if (!diff.empty()) {
                return diff;
            }
        }
        if (saved.size() != now.size()) {
            return prefix + " has other fields";
        }
        return "";
    }
    if (saved == now) {
        return "";
    }
    std::string a = saved.dump();
    std::string b = now.dump();
    if (prefix == "tensors") {
        return "the model's tensor names or shapes differ";
    }
    if (a.size() > 60 || b.size() > 60) {
        return prefix + " differs";
    }
    return prefix + ": " + a + " in the checkpoint, " + b + " now";
}

// Everything a checkpoint holds, read before any of it is applied.
struct Loaded {
    TrainingState state;
    NamedTensors module;
    NamedTensors best;
    torch::Tensor torch_rng;
    std::mt19937_64 shuffle_rng;
    torch::serialize::InputArchive optimizer;
};

std::string read_string(torch::serialize::InputArchive& archive, const std::string& key) {
    c10::IValue value;
    archive.read(key, value);
    return value.toStringRef();
}

NamedTensors read_tensors(torch::serialize::InputArchive& archive, const std::string& prefix,
                          const nlohmann::json& names) {
    NamedTensors out;
    for (std::size_t i = 0; i < names.size(); ++i) {
        torch::Tensor t;
        archive.read(prefix + "/" + std::to_string(i), t);
        out.emplace_back(names.at(i).get<std::string>(), t);
    }
    return out;
}

// Tensors of the same names, shapes and types as the module's, in the same order.
bool matches(const NamedTensors& loaded, const NamedTensors& live) {
    if (loaded.size() != live.size()) {
        return false;
    }
    for (std::size_t i = 0; i < live.size(); ++i) {
        if (loaded[i].first != live[i].first || !loaded[i].second.defined() ||
            loaded[i].second.sizes() != live[i].second.sizes() ||
            loaded[i].second.scalar_type() != live[i].second.scalar_type()) {
            return false;
        }
    }
    return true;
}

TrainingState state_from_json(const nlohmann::json& j, const std::string& source) {
    TrainingState s;
    s.epoch = j.at("epoch").get<int>();
    s.n_steps = j.at("n_steps").get<std::int64_t>();
    s.warmup_steps = j.at("warmup_steps").get<std::int64_t>();
    s.since_best = j.at("since_best").get<int>();
    s.finished = j.at("finished").get<bool>();
    s.curve = learning_curve_from_json(j.at("curve"), source);
    if (s.epoch < 0 || s.n_steps < 0 || s.since_best < 0 ||
        s.curve.epochs.size() != static_cast<std::size_t>(s.epoch)) {
        throw_invalid(source + ": inconsistent training state");
    }
    return s;
}

Loaded read_checkpoint(const std::filesystem::path& path, const nlohmann::json& fingerprint,
                       const RunParts& parts) {
    Loaded in;
    std::ifstream file(path, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
    if (!file.good() && !file.eof()) {
        refuse(path, "cannot be read");
    }
    if (bytes.size() < kHeaderSize || std::memcmp(bytes.data(), kMagic, sizeof kMagic) != 0) {
        refuse(path, "is not a Sextant checkpoint, or is truncated");
    }
    std::uint64_t fields[3];
    std::memcpy(fields, bytes.data() + sizeof kMagic, sizeof fields);
    if (fields[0] != bytes.size() - kHeaderSize) {
        refuse(path, "is truncated or overlong (" + std::to_string(bytes.size() - kHeaderSize) +
                         " bytes after its header, " + std::to_string(fields[0]) + " expected)");
    }
    std::string payload = bytes.substr(kHeaderSize);
    if (file_header(payload) != bytes.substr(0, kHeaderSize)) {
        refuse(path, "is corrupt (its checksum does not match)");
    }
    torch::serialize::InputArchive archive;
    archive.load_from(payload.data(), payload.size());
    if (read_string(archive, "format") != kFormat) {
        refuse(path, "is not a checkpoint of this version of Sextant");
    }
    nlohmann::json saved = nlohmann::json::parse(read_string(archive, "fingerprint"));
    std::string diff = first_difference(saved, fingerprint);
    if (!diff.empty()) {
        refuse(path, "was written by another run (" + diff + ")");
    }

    nlohmann::json state = nlohmann::json::parse(read_string(archive, "state"));
    try {
        in.state = state_from_json(state, path.string());
    } catch (const Error& e) {
        refuse(path, std::string("holds a bad training state (") + e.what() + ")");
    }
    in.module = read_tensors(archive, "module", state.at("module_names"));
    in.best = read_tensors(archive, "best", state.at("best_names"));
    NamedTensors live = module_tensors(parts.module);
    if (!matches(in.module, live) || (!in.best.empty() && !matches(in.best, live))) {
        refuse(path, "holds tensors that do not fit the model");
    }

    archive.read("torch_rng", in.torch_rng);
    torch::Tensor current = torch_rng_state();
    if (in.torch_rng.scalar_type() != torch::kUInt8 || in.torch_rng.numel() != current.numel()) {
        refuse(path, "holds a generator state of another size");
    }
    torch::Tensor rng_text;
    archive.read("shuffle_rng", rng_text);
    rng_text = rng_text.contiguous();
    std::istringstream rng_stream(std::string(reinterpret_cast<const char*>(rng_text.data_ptr()),
                                              static_cast<std::size_t>(rng_text.numel())));
    rng_stream >> in.shuffle_rng;
    if (!rng_stream) {
        refuse(path, "holds an unreadable shuffling state");
    }
    archive.read("optimizer", in.optimizer);
    return in;
}

}  // namespace

std::filesystem::path checkpoint_path(const std::string& dir, const std::string& what) {
    std::string name = what.empty() ? "train" : what;
    for (char& c : name) {
        bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                     c == '-' || c == '_' || c == '.';
        if (!plain) {
            c = '_';
        }
    }
    return std::filesystem::path(dir) / (name + ".checkpoint");
}

nlohmann::json run_fingerprint(const torch::nn::Module& module, const std::string& what,
                               std::size_t n_examples, const TrainOptions& options) {
    nlohmann::json opts = {{"max_epochs", options.max_epochs},
                           {"batch_size", options.batch_size},
                           {"optimizer", to_string(options.optimizer)},
                           {"learning_rate", options.learning_rate},
                           {"schedule", to_string(options.schedule)},
                           {"warmup_steps", options.warmup_steps},
                           {"min_lr_fraction", options.min_lr_fraction},
                           {"weight_decay", options.weight_decay},
                           {"clip_grad_norm", options.clip_grad_norm},
                           {"patience", options.patience},
                           {"seed", options.seed}};
    return {{"what", what},
            {"n_examples", n_examples},
            {"tensors", shape_list(module_tensors(module))},
            {"options", std::move(opts)}};
}

void save_checkpoint(const std::filesystem::path& path, const nlohmann::json& fingerprint,
                     const TrainingState& state, const RunParts& parts) {
    torch::NoGradGuard no_grad;
    NamedTensors live = module_tensors(parts.module);
    nlohmann::json module_names = nlohmann::json::array();
    nlohmann::json best_names = nlohmann::json::array();
    torch::serialize::OutputArchive archive;
    for (std::size_t i = 0; i < live.size(); ++i) {
        module_names.push_back(live[i].first);
        archive.write("module/" + std::to_string(i), live[i].second.detach());
    }
    const NamedTensors& best = parts.best.tensors();
    for (std::size_t i = 0; i < best.size(); ++i) {
        best_names.push_back(best[i].first);
        archive.write("best/" + std::to_string(i), best[i].second);
    }
    nlohmann::json state_json = {{"epoch", state.epoch},
                                 {"n_steps", state.n_steps},
                                 {"warmup_steps", state.warmup_steps},
                                 {"since_best", state.since_best},
                                 {"finished", state.finished},
                                 {"curve", to_json(state.curve)},
                                 {"module_names", std::move(module_names)},
                                 {"best_names", std::move(best_names)}};
    archive.write("format", c10::IValue(std::string(kFormat)));
    archive.write("fingerprint", c10::IValue(fingerprint.dump()));
    archive.write("state", c10::IValue(state_json.dump()));
    archive.write("torch_rng", torch_rng_state());
    std::ostringstream rng_text;
    rng_text << parts.shuffle_rng;
    archive.write("shuffle_rng", text_tensor(rng_text.str()));
    torch::serialize::OutputArchive optimizer_archive(archive.compilation_unit());
    parts.optimizer.save(optimizer_archive);
    archive.write("optimizer", optimizer_archive);

    std::error_code ec;
    std::filesystem::create_directories(path.parent_path(), ec);
    if (ec) {
        throw_io("cannot create checkpoint folder " + path.parent_path().string() + ": " +
                 ec.message());
    }
    std::filesystem::path temp = path;
    temp += ".tmp";
    std::ostringstream payload;
    try {
        archive.save_to(payload);
    } catch (const std::exception& e) {
        throw Error(ErrorKind::kInternal,
                    "cannot serialise checkpoint " + path.string() + ": " + first_line(e));
    }
    std::string body = payload.str();
    {
        std::ofstream out(temp, std::ios::binary | std::ios::trunc);
        std::string header = file_header(body);
        out.write(header.data(), static_cast<std::streamsize>(header.size()));
        out.write(body.data(), static_cast<std::streamsize>(body.size()));
        out.close();
        if (!out) {
            std::filesystem::remove(temp, ec);
            throw_io("cannot write checkpoint " + temp.string());
        }
    }
    std::filesystem::rename(temp, path, ec);
    if (ec) {
        throw_io("cannot rename " + temp.string() + " to " + path.string() + ": " + ec.message());
    }
}

TrainingState load_checkpoint(const std::filesystem::path& path, const nlohmann::json& fingerprint,
                              RunParts& parts) {
    Loaded in;
    try {
        in = read_checkpoint(path, fingerprint, parts);
        // The optimizer checks its groups before it changes anything.
        parts.optimizer.load(in.optimizer);
    } catch (const Error&) {
        throw;
    } catch (const std::exception& e) {
        refuse(path, "cannot be read (" + first_line(e) + ")");
    }

    torch::NoGradGuard no_grad;
    NamedTensors live = module_tensors(parts.module);
    for (std::size_t i = 0; i < live.size(); ++i) {
        live[i].second.copy_(in.module[i].second);
    }
    parts.best.assign(std::move(in.best));
    set_torch_rng_state(in.torch_rng);
    parts.shuffle_rng = in.shuffle_rng;
    return std::move(in.state);
}

}  // namespace sextant
