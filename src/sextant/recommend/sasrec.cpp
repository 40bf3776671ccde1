#include "sextant/recommend/sasrec.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>

#include "sextant/core/error.h"
#include "sextant/learn/torch_trainer.h"
#include "sextant/recommend/evaluate.h"
#include "sextant/recommend/model_io_torch.h"
#include "sextant/recommend/sasrec_net.h"

namespace sextant {
namespace sasrec {

BlockImpl::BlockImpl(const SasRecOptions& o) : n_heads(static_cast<std::int64_t>(o.n_heads)) {
    auto d = static_cast<std::int64_t>(o.hidden);
    attention_norm = register_module("attention_norm", torch::nn::LayerNorm(std::vector{d}));
    in_projection = register_module("in_projection", torch::nn::Linear(d, 3 * d));
    out_projection = register_module("out_projection", torch::nn::Linear(d, d));
    attention_dropout =
        register_module("attention_dropout", torch::nn::Dropout(o.attention_dropout));
    feed_forward_norm = register_module("feed_forward_norm", torch::nn::LayerNorm(std::vector{d}));
    feed_forward_in = register_module("feed_forward_in", torch::nn::Linear(d, d));
    feed_forward_out = register_module("feed_forward_out", torch::nn::Linear(d, d));
    dropout = register_module("dropout", torch::nn::Dropout(o.dropout));
}

torch::Tensor BlockImpl::forward(const torch::Tensor& x, const torch::Tensor& bias) {
    std::int64_t b = x.size(0);
    std::int64_t t = x.size(1);
    std::int64_t d = x.size(2);
    std::int64_t head = d / n_heads;

    // [B, T, 3, H, D/H] -> three [B, H, T, D/H]; the scale goes on the queries (the smaller
    // tensor) rather than on the [T, T] products.
    torch::Tensor qkv = in_projection(attention_norm(x)).view({b, t, 3, n_heads, head});
    qkv = qkv.permute({2, 0, 3, 1, 4});
    torch::Tensor q = qkv[0] * (1.0 / std::sqrt(static_cast<double>(head)));
    torch::Tensor weights = torch::softmax(torch::matmul(q, qkv[1].transpose(-2, -1)) + bias, -1);
    torch::Tensor attended = torch::matmul(attention_dropout(weights), qkv[2]);
    attended = attended.transpose(1, 2).reshape({b, t, d});
    torch::Tensor y = x + dropout(out_projection(attended));

    torch::Tensor h = torch::relu(feed_forward_in(feed_forward_norm(y)));
    return y + dropout(feed_forward_out(dropout(h)));
}

NetImpl::NetImpl(std::size_t n_items, const SasRecOptions& o)
    : max_len(static_cast<std::int64_t>(o.max_len)),
      scale(std::sqrt(static_cast<double>(o.hidden))) {
    auto d = static_cast<std::int64_t>(o.hidden);
    items = register_module(
        "items",
        torch::nn::Embedding(
            torch::nn::EmbeddingOptions(static_cast<std::int64_t>(n_items) + 1, d).padding_idx(0)));
    positions = register_module("positions", torch::nn::Embedding(max_len, d));
    dropout = register_module("dropout", torch::nn::Dropout(o.dropout));
    blocks = register_module("blocks", torch::nn::ModuleList());
    for (std::size_t i = 0; i < o.n_blocks; ++i) {
        blocks->push_back(Block(o));
    }
    final_norm = register_module("final_norm", torch::nn::LayerNorm(std::vector{d}));

    // Glorot-normal weights, as the reference implementations use. The default N(0, 1)
    // embeddings, times sqrt(hidden) and dotted with each other, start the logits at a scale
    // of ~hidden and the sigmoid losses saturated.
    torch::NoGradGuard no_grad;
    for (auto& p : named_parameters()) {
        if (p.value().dim() == 2) {
            torch::nn::init::xavier_normal_(p.value());
        }
    }
    items->weight[0].zero_();
}

torch::Tensor attention_bias(const torch::Tensor& inputs) {
    std::int64_t t = inputs.size(1);
    torch::Tensor causal = torch::ones({t, t}, torch::kBool).tril();
    torch::Tensor self = torch::eye(t, torch::kBool);
    torch::Tensor real_keys = (inputs != 0).unsqueeze(1);  // [B, 1, T]
    torch::Tensor allowed = causal & (real_keys | self);   // [B, T, T]
    return torch::zeros(allowed.sizes())
        .masked_fill_(allowed.logical_not(), -std::numeric_limits<float>::infinity())
        .unsqueeze(1);
}

torch::Tensor NetImpl::forward(const torch::Tensor& inputs) {
    std::int64_t t = inputs.size(1);
    torch::Tensor keep = (inputs != 0).unsqueeze(-1).to(torch::kFloat);  // [B, T, 1]
    torch::Tensor where = torch::arange(max_len - t, max_len, torch::kLong);
    torch::Tensor x = items(inputs) * scale + positions(where).unsqueeze(0);
    x = dropout(x) * keep;

    torch::Tensor bias = attention_bias(inputs);
    for (const auto& block : *blocks) {
        x = block->as<BlockImpl>()->forward(x, bias) * keep;
    }
    return final_norm(x) * keep;
}

torch::Tensor NetImpl::last_scores(const torch::Tensor& inputs) {
    torch::Tensor last = forward(inputs).select(1, inputs.size(1) - 1);  // [B, hidden]
    return torch::matmul(last, items->weight.slice(0, 1).t());
}

torch::Tensor sasrec_loss(const torch::Tensor& pos_logits, const torch::Tensor& neg_logits,
                          const torch::Tensor& mask, double beta) {
    namespace F = torch::nn::functional;
    // -log sigmoid(s) = softplus(-s); -log(1 - sigmoid(s)) = softplus(s).
    torch::Tensor per_position = beta * F::softplus(-pos_logits) + F::softplus(neg_logits).sum(-1);
    torch::Tensor weight = mask.to(per_position.scalar_type());
    return (per_position * weight).sum() / weight.sum();
}

}  // namespace sasrec

namespace {

// A training batch: each row is a user's last max_len + 1 training items, left-padded.
struct Batch {
    torch::Tensor inputs;     // [B, T] int64: item id + 1, 0 = padding
    torch::Tensor targets;    // [B, T] int64: the next item id + 1, 0 = padding
    torch::Tensor negatives;  // [B, T, k] int64: sampled item id + 1 (1 where padding)
    torch::Tensor mask;       // [B, T] bool: real positions
    std::uint64_t n_targets = 0;
};

// Draws negatives for one training run: uniform item ids, never the positive and, when the
// user's sorted distinct items are given, never one of them.
class NegativeSampler {
public:
    NegativeSampler(std::size_t n_items, std::uint64_t seed)
        : rng_(seed ^ 0x5a5e5ecULL), uniform_(0, static_cast<std::uint32_t>(n_items - 1)) {}

    // Restarts the draws of epoch `epoch` from a state that depends on the seed and the epoch
    // alone, so that a run resumed at an epoch draws what the uninterrupted run drew.
    void start_epoch(std::uint64_t seed, int epoch) {
        rng_.seed((seed ^ 0x5a5e5ecULL) +
                  0x9e3779b97f4a7c15ULL * static_cast<std::uint64_t>(epoch));
    }

    std::uint32_t draw(std::uint32_t positive, std::span<const std::uint32_t> excluded) {
        while (true) {
            std::uint32_t item = uniform_(rng_);
            if (item != positive && !std::binary_search(excluded.begin(), excluded.end(), item)) {
                return item;
            }
        }
    }

private:
    std::mt19937_64 rng_;
    std::uniform_int_distribution<std::uint32_t> uniform_;
};

Batch make_batch(std::span<const std::span<const std::uint32_t>> windows,
                 std::span<const std::span<const std::uint32_t>> excluded, std::size_t k,
                 NegativeSampler& sampler) {
    std::size_t width = 0;
    for (const auto& w : windows) {
        width = std::max(width, w.size() - 1);
    }
    auto b = static_cast<std::int64_t>(windows.size());
    auto t = static_cast<std::int64_t>(width);
    auto kk = static_cast<std::int64_t>(k);
    Batch batch;
    batch.inputs = torch::zeros({b, t}, torch::kLong);
    batch.targets = torch::zeros({b, t}, torch::kLong);
    batch.negatives = torch::ones({b, t, kk}, torch::kLong);
    auto* inputs = batch.inputs.data_ptr<std::int64_t>();
    auto* targets = batch.targets.data_ptr<std::int64_t>();
    auto* negatives = batch.negatives.data_ptr<std::int64_t>();
    for (std::size_t r = 0; r < windows.size(); ++r) {
        const auto& w = windows[r];
        std::size_t offset = width - (w.size() - 1);  // left padding of this row
        for (std::size_t i = 0; i + 1 < w.size(); ++i) {
            std::size_t at = r * width + offset + i;
            inputs[at] = static_cast<std::int64_t>(w[i]) + 1;
            targets[at] = static_cast<std::int64_t>(w[i + 1]) + 1;
            for (std::size_t j = 0; j < k; ++j) {
                negatives[at * k + j] =
                    static_cast<std::int64_t>(sampler.draw(w[i + 1], excluded[r])) + 1;
            }
        }
        batch.n_targets += w.size() - 1;
    }
    batch.mask = batch.targets != 0;
    return batch;
}

}  // namespace

double gbce_beta(std::size_t n_negatives, std::size_t n_items, double t) {
    if (n_negatives == 0 || n_items < 2 || n_negatives > n_items - 1 || !(t >= 0 && t <= 1)) {
        throw_invalid("gbce: need 1 <= negatives <= n_items - 1 and 0 <= t <= 1 (got " +
                      std::to_string(n_negatives) + " negatives, " + std::to_string(n_items) +
                      " items, t = " + std::to_string(t) + ")");
    }
    double alpha = static_cast<double>(n_negatives) / static_cast<double>(n_items - 1);
    return alpha * (t * (1 - 1 / alpha) + 1 / alpha);
}

struct SasRec::Net {
    sasrec::Net module;
};

SasRec::SasRec(SasRecOptions options) : options_(std::move(options)) {
    const SasRecOptions& o = options_;
    if (o.max_len == 0 || o.hidden == 0 || o.n_blocks == 0 || o.n_heads == 0 ||
        o.n_negatives == 0) {
        throw_invalid("sasrec: max_len, hidden, n_blocks, n_heads and n_negatives must be >= 1");
    }
    if (o.hidden % o.n_heads != 0) {
        throw_invalid("sasrec: hidden (" + std::to_string(o.hidden) +
                      ") must be a multiple of n_heads (" + std::to_string(o.n_heads) + ")");
    }
    if (!(o.dropout >= 0 && o.dropout < 1) ||
        !(o.attention_dropout >= 0 && o.attention_dropout < 1)) {
        throw_invalid("sasrec: dropout and attention_dropout must be in [0, 1)");
    }
    if (!(o.gbce_t >= 0 && o.gbce_t <= 1)) {
        throw_invalid("sasrec: gbce_t must be in [0, 1]");
    }
}

SasRec::~SasRec() = default;

void SasRec::fit(const Split& split) {
    // One example per user with a target: the last max_len + 1 training items.
    std::vector<std::span<const std::uint32_t>> windows;
    std::vector<std::vector<std::uint32_t>> distinct;
    std::uint64_t n_targets = 0;
    for (const auto& sequence : split.train) {
        for (std::uint32_t item : sequence) {
            if (item >= split.n_items) {
                throw_invalid("sasrec: training item id " + std::to_string(item) +
                              " is outside the catalogue of " + std::to_string(split.n_items) +
                              " items");
            }
        }
        if (sequence.size() < 2) {
            continue;
        }
        std::size_t n = std::min(sequence.size(), options_.max_len + 1);
        windows.emplace_back(std::span(sequence).subspan(sequence.size() - n));
        n_targets += n - 1;
        std::vector<std::uint32_t> items;
        if (options_.exclude_history) {
            items.assign(sequence.begin(), sequence.end());
            std::sort(items.begin(), items.end());
            items.erase(std::unique(items.begin(), items.end()), items.end());
            if (items.size() >= split.n_items) {
                items.clear();
            }
        }
        distinct.push_back(std::move(items));
    }
    if (split.n_items < options_.n_negatives + 1) {
        throw_invalid("sasrec: " + std::to_string(options_.n_negatives) +
                      " negatives need a catalogue of at least " +
                      std::to_string(options_.n_negatives + 1) + " items, not " +
                      std::to_string(split.n_items));
    }
    if (windows.empty()) {
        throw_invalid("sasrec: no user has 2 or more training items");
    }
    double beta = options_.loss == SasRecLoss::kGbce
                      ? gbce_beta(options_.n_negatives, split.n_items, options_.gbce_t)
                      : 1.0;

    n_items_ = split.n_items;
    seed_torch(options_.train.seed);
    net_ = std::make_unique<Net>(Net{sasrec::Net(n_items_, options_)});

    ModuleTask task;
    task.what = "sasrec";
    task.log_style.metric = "valid NDCG@10";
    task.n_examples = windows.size();
    task.n_samples_per_epoch = n_targets;
    // One network, sampler and scratch per training thread (ModuleTask::replicas). Worker w
    // draws from the stream of seed + w, so one thread draws exactly what it always did.
    std::size_t workers = static_cast<std::size_t>(std::max(1, options_.train.threads));
    std::vector<sasrec::Net> replicas;
    std::vector<NegativeSampler> samplers;
    for (std::size_t w = 0; w < workers; ++w) {
        samplers.emplace_back(n_items_, options_.train.seed + w);
        if (w > 0) {
            replicas.push_back(sasrec::Net(n_items_, options_));
            task.replicas.push_back(replicas.back().get());
        }
    }
    task.begin_epoch = [&](int epoch) {
        for (std::size_t w = 0; w < workers; ++w) {
            samplers[w].start_epoch(options_.train.seed + w, epoch);
        }
    };
    struct Scratch {
        std::vector<std::span<const std::uint32_t>> windows;
        std::vector<std::span<const std::uint32_t>> excluded;
    };
    std::vector<Scratch> scratch(workers);
    task.worker_loss = [&](std::size_t worker, std::span<const std::size_t> examples) {
        Scratch& own = scratch[worker];
        own.windows.clear();
        own.excluded.clear();
        for (std::size_t e : examples) {
            own.windows.push_back(windows[e]);
            own.excluded.emplace_back(distinct[e]);
        }
        Batch batch = make_batch(own.windows, own.excluded, options_.n_negatives, samplers[worker]);
        sasrec::NetImpl& net = worker == 0 ? *net_->module : *replicas[worker - 1];
        torch::Tensor h = net.forward(batch.inputs);                                // [B, T, d]
        torch::Tensor pos = (h * net.items(batch.targets)).sum(-1);                 // [B, T]
        torch::Tensor neg = (h.unsqueeze(2) * net.items(batch.negatives)).sum(-1);  // [B, T, k]
        return BatchLoss{sasrec::sasrec_loss(pos, neg, batch.mask, beta), batch.n_targets};
    };
    // Validation runs on the training's threads, so that --threads bounds the whole fit.
    EvaluateOptions valid_options;
    valid_options.n_threads = static_cast<std::size_t>(std::max(1, options_.train.threads));
    task.validate = [&] { return evaluate(*this, split, Stage::kValid, valid_options).ndcg_at_10; };
    curve_ = train_module(*net_->module, task, options_.train);
}

void SasRec::check_scorable(std::span<const std::uint32_t> history) const {
    for (std::uint32_t item : history) {
        if (item >= n_items_) {
            throw_invalid("sasrec: history item id " + std::to_string(item) +
                          " is outside the catalogue of " + std::to_string(n_items_) + " items");
        }
    }
}

void SasRec::score(std::span<const std::uint32_t> history, std::span<float> scores) const {
    score_batch({history}, scores);
}

void SasRec::score_batch(const std::vector<std::span<const std::uint32_t>>& histories,
                         std::span<float> scores) const {
    if (!net_) {
        throw Error(ErrorKind::kInternal, "sasrec: score called before fit");
    }
    if (scores.size() != histories.size() * n_items_) {
        throw Error(ErrorKind::kInternal, "sasrec: score buffer holds " +
                                              std::to_string(scores.size()) + " floats, not " +
                                              std::to_string(histories.size() * n_items_));
    }
    if (histories.empty()) {
        return;
    }
    torch::NoGradGuard no_grad;

    // Left-padded to the longest (cut) history; an empty row is all padding and its zero
    // hidden state scores every item 0.
    std::size_t width = 1;
    for (const auto& h : histories) {
        check_scorable(h);
        width = std::max(width, std::min(h.size(), options_.max_len));
    }
    auto n_rows = static_cast<std::int64_t>(histories.size());
    torch::Tensor inputs = torch::zeros({n_rows, static_cast<std::int64_t>(width)}, torch::kLong);
    auto* in = inputs.data_ptr<std::int64_t>();
    for (std::size_t r = 0; r < histories.size(); ++r) {
        std::span<const std::uint32_t> h = histories[r];
        h = h.subspan(h.size() - std::min(h.size(), options_.max_len));
        std::size_t offset = width - h.size();
        for (std::size_t t = 0; t < h.size(); ++t) {
            in[r * width + offset + t] = static_cast<std::int64_t>(h[t]) + 1;
        }
    }
    // The module is in eval mode (no dropout) from the end of fit() on.
    torch::Tensor logits = net_->module->last_scores(inputs).contiguous();
    std::memcpy(scores.data(), logits.data_ptr<float>(), scores.size() * sizeof(float));
}

}  // namespace sextant

namespace sextant {

nlohmann::json SasRec::config() const {
    const SasRecOptions& o = options_;
    return {{"max_len", o.max_len},
            {"hidden", o.hidden},
            {"n_blocks", o.n_blocks},
            {"n_heads", o.n_heads},
            {"dropout", o.dropout},
            {"attention_dropout", o.attention_dropout},
            {"n_negatives", o.n_negatives},
            {"exclude_history", o.exclude_history},
            {"loss", o.loss == SasRecLoss::kGbce ? "gbce" : "bce"},
            {"gbce_t", o.gbce_t},
            {"train", train_options_json(o.train)}};
}

void SasRec::save(Weights& out) const {
    save_module(net_ ? net_->module.get() : nullptr, name(), out);
}

void SasRec::load(std::size_t n_items, const Weights& in) {
    net_ = std::make_unique<Net>(Net{load_module(sasrec::Net(n_items, options_), in)});
    n_items_ = n_items;
}

std::unique_ptr<SasRec> SasRec::from_config(const nlohmann::json& config,
                                            const std::string& source) {
    SasRecOptions o;
    o.max_len = meta_field<std::uint64_t>(config, "max_len", source);
    o.hidden = meta_field<std::uint64_t>(config, "hidden", source);
    o.n_blocks = meta_field<std::uint64_t>(config, "n_blocks", source);
    o.n_heads = meta_field<std::uint64_t>(config, "n_heads", source);
    o.dropout = meta_field<double>(config, "dropout", source);
    o.attention_dropout = meta_field<double>(config, "attention_dropout", source);
    o.n_negatives = meta_field<std::uint64_t>(config, "n_negatives", source);
    o.exclude_history = meta_field<bool>(config, "exclude_history", source);
    auto loss = meta_field<std::string>(config, "loss", source);
    if (loss != "bce" && loss != "gbce") {
        throw_invalid(source + ": field \"loss\" must be \"bce\" or \"gbce\", not \"" + loss +
                      "\"");
    }
    o.loss = loss == "gbce" ? SasRecLoss::kGbce : SasRecLoss::kBce;
    o.gbce_t = meta_field<double>(config, "gbce_t", source);
    return with_source(source, [&] { return std::make_unique<SasRec>(o); });
}

ItemVectors SasRec::item_vectors() const {
    if (!net_) {
        return {};
    }
    return embedding_rows(net_->module->items->weight, 1);
}

}  // namespace sextant
