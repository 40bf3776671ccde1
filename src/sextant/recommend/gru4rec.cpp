#include "sextant/recommend/gru4rec.h"

#include <algorithm>
#include <cstring>

#include "sextant/core/error.h"
#include "sextant/learn/linear_cross_entropy.h"
#include "sextant/learn/torch_trainer.h"
#include "sextant/recommend/evaluate.h"
#include "sextant/recommend/model_io_torch.h"

namespace sextant {
namespace {

namespace rnn = torch::nn::utils::rnn;

// A batch of right-padded sequences as the network reads them.
struct Batch {
    torch::Tensor inputs;   // [B, T] int64: item id + 1, 0 after the end
    torch::Tensor lengths;  // [B] int64, every entry >= 1
    torch::Tensor targets;  // [N] int64: the next item at each real position, row by row
};

// Builds a training batch: inputs are each window but its last item, targets all but its first.
// T is the longest input, or pad_to when larger.
Batch make_training_batch(std::span<const std::span<const std::uint32_t>> windows,
                          std::size_t pad_to) {
    std::size_t width = pad_to;
    std::size_t n_targets = 0;
    for (const auto& w : windows) {
        width = std::max(width, w.size() - 1);
        n_targets += w.size() - 1;
    }
    auto b = static_cast<std::int64_t>(windows.size());
    Batch batch;
    batch.inputs = torch::zeros({b, static_cast<std::int64_t>(width)}, torch::kLong);
    batch.lengths = torch::empty({b}, torch::kLong);
    batch.targets = torch::empty({static_cast<std::int64_t>(n_targets)}, torch::kLong);
    auto* inputs = batch.inputs.data_ptr<std::int64_t>();
    auto* lengths = batch.lengths.data_ptr<std::int64_t>();
    auto* targets = batch.targets.data_ptr<std::int64_t>();
    for (std::size_t r = 0; r < windows.size(); ++r) {
        const auto& w = windows[r];
        lengths[r] = static_cast<std::int64_t>(w.size() - 1);
        for (std::size_t t = 0; t + 1 < w.size(); ++t) {
            inputs[r * width + t] = static_cast<std::int64_t>(w[t]) + 1;
            *targets++ = w[t + 1];
        }
    }
    return batch;
}

// The windows of one training sequence: spans of up to max_len + 1 items, cut from the end and
// overlapping by one item, so that every item but the first is a target exactly once.
void add_windows(std::span<const std::uint32_t> sequence, std::size_t max_len, bool all,
                 std::vector<std::span<const std::uint32_t>>& out) {
    std::size_t end = sequence.size();
    while (end >= 2) {
        std::size_t begin = end > max_len + 1 ? end - (max_len + 1) : 0;
        out.push_back(sequence.subspan(begin, end - begin));
        if (!all || begin == 0) {
            break;
        }
        end = begin + 1;
    }
}

}  // namespace

struct Gru4RecNetImpl : torch::nn::Module {
    Gru4RecNetImpl(std::size_t n_items, const Gru4RecOptions& o)
        : embedding(register_module(
              "embedding",
              torch::nn::Embedding(
                  torch::nn::EmbeddingOptions(n_items + 1, o.embedding_dim).padding_idx(0)))),
          gru(register_module(
              "gru", torch::nn::GRU(
                         torch::nn::GRUOptions(o.embedding_dim, o.hidden_size).batch_first(true)))),
          dropout(register_module("dropout", torch::nn::Dropout(o.dropout))),
          output(register_module("output", torch::nn::Linear(o.hidden_size, n_items))) {}

    // Runs the GRU over right-padded inputs; returns the packed outputs and the last state.
    std::tuple<rnn::PackedSequence, torch::Tensor> run(const torch::Tensor& inputs,
                                                       const torch::Tensor& lengths) {
        torch::Tensor x = dropout(embedding(inputs));
        rnn::PackedSequence packed =
            rnn::pack_padded_sequence(x, lengths, /*batch_first=*/true, /*enforce_sorted=*/false);
        return gru->forward_with_packed_input(packed);
    }

    // Mean cross-entropy of the next item at every real position of the batch, through the
    // blockwise softmax of linear_cross_entropy(): the [positions, items] logits are the
    // largest tensors of a step, and never exist whole.
    torch::Tensor loss(const Batch& batch) {
        auto [packed, last] = run(batch.inputs, batch.lengths);
        // Back to [B, T, H] in row order, then keep only the real positions (row by row, as the
        // targets are laid out).
        auto [states, lengths] = rnn::pad_packed_sequence(packed, /*batch_first=*/true);
        torch::Tensor mask =
            torch::arange(states.size(1)).unsqueeze(0) < batch.lengths.unsqueeze(1);
        torch::Tensor real = states.index({mask});
        return linear_cross_entropy(dropout(real), output->weight, output->bias, batch.targets);
    }

    torch::nn::Embedding embedding;
    torch::nn::GRU gru;
    torch::nn::Dropout dropout;
    torch::nn::Linear output;
};
TORCH_MODULE(Gru4RecNet);

struct Gru4Rec::Net {
    Gru4RecNet module;
};

Gru4Rec::Gru4Rec(Gru4RecOptions options) : options_(std::move(options)) {
    if (options_.max_len == 0 || options_.embedding_dim == 0 || options_.hidden_size == 0) {
        throw_invalid("gru4rec: max_len, embedding_dim and hidden_size must be >= 1");
    }
    if (!(options_.dropout >= 0 && options_.dropout < 1)) {
        throw_invalid("gru4rec: dropout must be in [0, 1)");
    }
}

Gru4Rec::~Gru4Rec() = default;

void Gru4Rec::fit(const Split& split) {
    std::vector<std::span<const std::uint32_t>> windows;
    std::uint64_t n_targets = 0;
    for (const auto& sequence : split.train) {
        for (std::uint32_t item : sequence) {
            if (item >= split.n_items) {
                throw_invalid("gru4rec: training item id " + std::to_string(item) +
                              " is outside the catalogue of " + std::to_string(split.n_items) +
                              " items");
            }
        }
        std::size_t before = windows.size();
        add_windows(sequence, options_.max_len, options_.all_windows, windows);
        for (std::size_t w = before; w < windows.size(); ++w) {
            n_targets += windows[w].size() - 1;
        }
    }
    if (windows.empty()) {
        throw_invalid("gru4rec: no user has 2 or more training items");
    }

    n_items_ = split.n_items;
    seed_torch(options_.train.seed);
    net_ = std::make_unique<Net>(Net{Gru4RecNet(n_items_, options_)});

    ModuleTask task;
    task.what = "gru4rec";
    task.log_style.metric = "valid NDCG@10";
    task.n_examples = windows.size();
    task.n_samples_per_epoch = n_targets;
    // One network per training thread beyond the first (ModuleTask::replicas): the batch's parts
    // run side by side, each worker with its own scratch.
    std::size_t workers = static_cast<std::size_t>(std::max(1, options_.train.threads));
    std::vector<Gru4RecNet> replicas;
    for (std::size_t w = 1; w < workers; ++w) {
        replicas.push_back(Gru4RecNet(n_items_, options_));
        task.replicas.push_back(replicas.back().get());
    }
    std::vector<std::vector<std::span<const std::uint32_t>>> scratch(workers);
    task.worker_loss = [&](std::size_t worker, std::span<const std::size_t> examples) {
        std::vector<std::span<const std::uint32_t>>& batch_windows = scratch[worker];
        batch_windows.clear();
        std::uint64_t n = 0;
        for (std::size_t e : examples) {
            batch_windows.push_back(windows[e]);
            n += windows[e].size() - 1;
        }
        Gru4RecNet& net = worker == 0 ? net_->module : replicas[worker - 1];
        return BatchLoss{net->loss(make_training_batch(batch_windows, 0)), n};
    };
    // Validation runs on the training's threads, so that --threads bounds the whole fit.
    EvaluateOptions valid_options;
    valid_options.n_threads = static_cast<std::size_t>(std::max(1, options_.train.threads));
    task.validate = [&] { return evaluate(*this, split, Stage::kValid, valid_options).ndcg_at_10; };
    curve_ = train_module(*net_->module, task, options_.train);
}

void Gru4Rec::check_scorable(std::span<const std::uint32_t> history) const {
    for (std::uint32_t item : history) {
        if (item >= n_items_) {
            throw_invalid("gru4rec: history item id " + std::to_string(item) +
                          " is outside the catalogue of " + std::to_string(n_items_) + " items");
        }
    }
}

void Gru4Rec::score(std::span<const std::uint32_t> history, std::span<float> scores) const {
    score_batch({history}, scores);
}

void Gru4Rec::score_batch(const std::vector<std::span<const std::uint32_t>>& histories,
                          std::span<float> scores) const {
    if (!net_) {
        throw Error(ErrorKind::kInternal, "gru4rec: score called before fit");
    }
    if (scores.size() != histories.size() * n_items_) {
        throw Error(ErrorKind::kInternal, "gru4rec: score buffer holds " +
                                              std::to_string(scores.size()) + " floats, not " +
                                              std::to_string(histories.size() * n_items_));
    }
    torch::NoGradGuard no_grad;

    // Rows with a history go through the GRU; empty ones keep a zero state.
    std::vector<std::size_t> rows;
    std::size_t width = 0;
    for (std::size_t r = 0; r < histories.size(); ++r) {
        check_scorable(histories[r]);
        if (!histories[r].empty()) {
            rows.push_back(r);
            width = std::max(width, std::min(histories[r].size(), options_.max_len));
        }
    }
    auto n_rows = static_cast<std::int64_t>(rows.size());
    torch::Tensor state = torch::zeros(
        {static_cast<std::int64_t>(histories.size()), net_->module->gru->options.hidden_size()});
    if (n_rows > 0) {
        torch::Tensor inputs =
            torch::zeros({n_rows, static_cast<std::int64_t>(width)}, torch::kLong);
        torch::Tensor lengths = torch::empty({n_rows}, torch::kLong);
        auto* in = inputs.data_ptr<std::int64_t>();
        auto* len = lengths.data_ptr<std::int64_t>();
        for (std::size_t k = 0; k < rows.size(); ++k) {
            std::span<const std::uint32_t> h = histories[rows[k]];
            h = h.subspan(h.size() - std::min(h.size(), options_.max_len));
            len[k] = static_cast<std::int64_t>(h.size());
            for (std::size_t t = 0; t < h.size(); ++t) {
                in[k * width + t] = static_cast<std::int64_t>(h[t]) + 1;
            }
        }
        auto [packed, last] = net_->module->run(inputs, lengths);
        torch::Tensor index =
            torch::tensor(std::vector<std::int64_t>(rows.begin(), rows.end()), torch::kLong);
        state.index_copy_(0, index, last[0]);
    }
    torch::Tensor logits = net_->module->output(state).contiguous();
    std::memcpy(scores.data(), logits.data_ptr<float>(), scores.size() * sizeof(float));
}

double Gru4Rec::mean_loss(const std::vector<std::vector<std::uint32_t>>& sequences,
                          std::size_t pad_to) const {
    if (!net_) {
        throw Error(ErrorKind::kInternal, "gru4rec: mean_loss called before fit");
    }
    std::vector<std::span<const std::uint32_t>> windows;
    for (const auto& s : sequences) {
        check_scorable(s);
        if (s.size() >= 2) {
            windows.emplace_back(s);
        }
    }
    if (windows.empty()) {
        return std::nan("");
    }
    // The module is in eval mode (no dropout) from the end of fit() on.
    torch::NoGradGuard no_grad;
    return net_->module->loss(make_training_batch(windows, pad_to)).item<double>();
}

}  // namespace sextant

namespace sextant {

nlohmann::json Gru4Rec::config() const {
    return {{"embedding_dim", options_.embedding_dim},
            {"hidden_size", options_.hidden_size},
            {"max_len", options_.max_len},
            {"dropout", options_.dropout},
            {"all_windows", options_.all_windows},
            {"train", train_options_json(options_.train)}};
}

void Gru4Rec::save(Weights& out) const {
    save_module(net_ ? net_->module.get() : nullptr, name(), out);
}

void Gru4Rec::load(std::size_t n_items, const Weights& in) {
    net_ = std::make_unique<Net>(Net{load_module(Gru4RecNet(n_items, options_), in)});
    n_items_ = n_items;
}

std::unique_ptr<Gru4Rec> Gru4Rec::from_config(const nlohmann::json& config,
                                              const std::string& source) {
    Gru4RecOptions o;
    o.embedding_dim = meta_field<std::uint64_t>(config, "embedding_dim", source);
    o.hidden_size = meta_field<std::uint64_t>(config, "hidden_size", source);
    o.max_len = meta_field<std::uint64_t>(config, "max_len", source);
    o.dropout = meta_field<double>(config, "dropout", source);
    o.all_windows = meta_field<bool>(config, "all_windows", source);
    return with_source(source, [&] { return std::make_unique<Gru4Rec>(o); });
}

ItemVectors Gru4Rec::item_vectors() const {
    if (!net_) {
        return {};
    }
    return embedding_rows(net_->module->embedding->weight, 1);
}

}  // namespace sextant
