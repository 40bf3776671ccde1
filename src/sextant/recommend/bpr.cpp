#include "sextant/recommend/bpr.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "sextant/core/error.h"
#include "sextant/learn/torch_trainer.h"
#include "sextant/recommend/evaluate.h"
#include "sextant/recommend/model_io_torch.h"

namespace sextant {
namespace {

namespace F = torch::nn::functional;

torch::Tensor bpr_loss_tensor(const torch::Tensor& positive, const torch::Tensor& negative,
                              const torch::Tensor& squared_norms, double l2) {
    // -log sigmoid(d) = softplus(-d), which stays finite for large |d|.
    return F::softplus(negative - positive).mean() + l2 * squared_norms.mean();
}

torch::Tensor to_long(const std::vector<std::int64_t>& values) {
    return torch::tensor(values, torch::kLong);
}

// Sorted distinct copy of `items`; throws when one is outside the catalogue.
void distinct_sorted(std::span<const std::uint32_t> items, std::size_t n_items, const char* what,
                     std::vector<std::uint32_t>& out) {
    out.assign(items.begin(), items.end());
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    if (!out.empty() && out.back() >= n_items) {
        throw_invalid(std::string("bpr: ") + what + " item id " + std::to_string(out.back()) +
                      " is outside the catalogue of " + std::to_string(n_items) + " items");
    }
}

}  // namespace

double bpr_loss(std::span<const float> positive, std::span<const float> negative,
                std::span<const float> squared_norms, double l2) {
    if (positive.empty() || negative.size() != positive.size() ||
        squared_norms.size() != positive.size()) {
        throw_invalid("bpr_loss: needs as many positive, negative and squared-norm values (got " +
                      std::to_string(positive.size()) + ", " + std::to_string(negative.size()) +
                      ", " + std::to_string(squared_norms.size()) + "), at least one");
    }
    auto tensor = [](std::span<const float> v) {
        return torch::tensor(std::vector<float>(v.begin(), v.end()), torch::kFloat);
    };
    torch::NoGradGuard no_grad;
    return bpr_loss_tensor(tensor(positive), tensor(negative), tensor(squared_norms), l2)
        .item<double>();
}

void sample_negatives(std::span<const std::uint32_t> positives, std::size_t n_items,
                      std::size_t count, std::mt19937_64& rng, std::vector<std::uint32_t>& out) {
    if (positives.size() >= n_items) {
        throw_invalid("bpr: no negative item left: the user has " +
                      std::to_string(positives.size()) + " of " + std::to_string(n_items) +
                      " items");
    }
    if (!positives.empty() && positives.back() >= n_items) {
        throw_invalid("bpr: positive item id " + std::to_string(positives.back()) +
                      " is outside the catalogue of " + std::to_string(n_items) + " items");
    }

    // Rejection is cheap while the user has at most half the catalogue (at most 2 draws per
    // negative on average); beyond that, draw from the explicit complement.
    if (2 * positives.size() <= n_items) {
        std::uniform_int_distribution<std::uint32_t> draw(0,
                                                          static_cast<std::uint32_t>(n_items - 1));
        for (std::size_t k = 0; k < count; ++k) {
            std::uint32_t j = draw(rng);
            while (std::binary_search(positives.begin(), positives.end(), j)) {
                j = draw(rng);
            }
            out.push_back(j);
        }
        return;
    }
    std::vector<std::uint32_t> complement;
    complement.reserve(n_items - positives.size());
    std::size_t next = 0;
    for (std::uint32_t j = 0; j < n_items; ++j) {
        if (next < positives.size() && positives[next] == j) {
            ++next;
        } else {
            complement.push_back(j);
        }
    }
    std::uniform_int_distribution<std::size_t> draw(0, complement.size() - 1);
    for (std::size_t k = 0; k < count; ++k) {
        out.push_back(complement[draw(rng)]);
    }
}

struct BprNetImpl : torch::nn::Module {
    BprNetImpl(std::size_t n_items, const BprOptions& o) {
        auto n = static_cast<std::int64_t>(n_items);
        auto d = static_cast<std::int64_t>(o.embedding_dim);
        item = register_parameter("item", torch::randn({n, d}) * o.init_std);
        context = register_parameter("context", torch::randn({n, d}) * o.init_std);
        bias = register_parameter("bias", torch::zeros({n}));
    }

    // Scores b_j + <c_r, p_j> of every item for rows r, c_r the mean of the context vectors of
    // bag r (items[offsets[r] .. offsets[r + 1])); an empty bag gets c = 0.
    torch::Tensor score_bags(const torch::Tensor& items, const torch::Tensor& offsets,
                             const torch::Tensor& sizes) {
        torch::Tensor sums = F::embedding_bag(
            items, context, F::EmbeddingBagFuncOptions().offsets(offsets).mode(torch::kSum));
        torch::Tensor users = sums / sizes.clamp_min(1).unsqueeze(1);
        return torch::addmm(bias, users, item.t());
    }

    torch::Tensor item;
    torch::Tensor context;
    torch::Tensor bias;
};
TORCH_MODULE(BprNet);

struct Bpr::Net {
    BprNet module;
};

Bpr::Bpr(BprOptions options) : options_(std::move(options)) {
    if (options_.embedding_dim == 0) {
        throw_invalid("bpr: embedding_dim must be >= 1");
    }
    if (!(options_.l2 >= 0) || !std::isfinite(options_.l2) || !(options_.init_std >= 0) ||
        !std::isfinite(options_.init_std)) {
        throw_invalid("bpr: l2 and init_std must be finite numbers >= 0");
    }
}

Bpr::~Bpr() = default;

void Bpr::fit(const Split& split) {
    // The users that can be trained on, each with their sorted distinct training items.
    const std::size_t n_items = split.n_items;
    std::vector<std::vector<std::uint32_t>> users;
    std::uint64_t n_pairs = 0;
    std::vector<std::uint32_t> items;
    for (const std::vector<std::uint32_t>& train : split.train) {
        distinct_sorted(train, n_items, "training", items);
        if (items.size() >= 2 && items.size() < n_items) {
            n_pairs += items.size();
            users.push_back(items);
        }
    }
    if (users.empty()) {
        throw_invalid("bpr: no user has 2 or more distinct training items and a possible negative");
    }

    n_items_ = n_items;
    seed_torch(options_.train.seed);
    net_ = std::make_unique<Net>(Net{BprNet(n_items_, options_)});
    BprNet& net = net_->module;

    // One negative per positive, redrawn each epoch from a state that depends on the seed and
    // the epoch alone (so a resumed run draws what the uninterrupted one drew); negatives[u][k]
    // pairs with users[u][k].
    std::mt19937_64 rng(options_.train.seed);
    std::vector<std::vector<std::uint32_t>> negatives(users.size());
    ModuleTask task;
    task.what = "bpr";
    task.log_style.metric = "valid NDCG@10";
    task.n_examples = users.size();
    task.n_samples_per_epoch = n_pairs;
    task.begin_epoch = [&](int epoch) {
        rng.seed(options_.train.seed + 0x9e3779b97f4a7c15ULL * static_cast<std::uint64_t>(epoch));
        for (std::size_t u = 0; u < users.size(); ++u) {
            negatives[u].clear();
            sample_negatives(users[u], n_items, users[u].size(), rng, negatives[u]);
        }
    };

    std::vector<std::int64_t> flat, negative, offsets, owner;
    std::vector<float> denominators;
    task.batch_loss = [&](std::span<const std::size_t> examples) {
        flat.clear();
        negative.clear();
        offsets.clear();
        owner.clear();
        denominators.clear();
        for (std::size_t r = 0; r < examples.size(); ++r) {
            const std::vector<std::uint32_t>& positives = users[examples[r]];
            offsets.push_back(static_cast<std::int64_t>(flat.size()));
            denominators.push_back(static_cast<float>(positives.size() - 1));
            flat.insert(flat.end(), positives.begin(), positives.end());
            const std::vector<std::uint32_t>& drawn = negatives[examples[r]];
            negative.insert(negative.end(), drawn.begin(), drawn.end());
            owner.insert(owner.end(), positives.size(), static_cast<std::int64_t>(r));
        }
        torch::Tensor pos = to_long(flat);
        torch::Tensor neg = to_long(negative);
        torch::Tensor who = to_long(owner);

        // The user vector of each pair leaves its positive out: (sum of the bag - q_i) / (n - 1).
        torch::Tensor sums = F::embedding_bag(
            pos, net->context,
            F::EmbeddingBagFuncOptions().offsets(to_long(offsets)).mode(torch::kSum));
        torch::Tensor denominator = torch::tensor(denominators).index_select(0, who);
        torch::Tensor user = (sums.index_select(0, who) - net->context.index_select(0, pos)) /
                             denominator.unsqueeze(1);
        torch::Tensor p_pos = net->item.index_select(0, pos);
        torch::Tensor p_neg = net->item.index_select(0, neg);
        torch::Tensor b_pos = net->bias.index_select(0, pos);
        torch::Tensor b_neg = net->bias.index_select(0, neg);
        torch::Tensor x_pos = b_pos + (user * p_pos).sum(1);
        torch::Tensor x_neg = b_neg + (user * p_neg).sum(1);
        torch::Tensor squared = user.square().sum(1) + p_pos.square().sum(1) +
                                p_neg.square().sum(1) + b_pos.square() + b_neg.square();
        return BatchLoss{bpr_loss_tensor(x_pos, x_neg, squared, options_.l2), flat.size()};
    };
    // Validation runs on the training's threads, so that --threads bounds the whole fit.
    EvaluateOptions valid_options;
    valid_options.n_threads = static_cast<std::size_t>(std::max(1, options_.train.threads));
    task.validate = [&] { return evaluate(*this, split, Stage::kValid, valid_options).ndcg_at_10; };
    curve_ = train_module(*net, task, options_.train);
}

void Bpr::score(std::span<const std::uint32_t> history, std::span<float> scores) const {
    score_batch({history}, scores);
}

void Bpr::score_batch(const std::vector<std::span<const std::uint32_t>>& histories,
                      std::span<float> scores) const {
    if (!net_) {
        throw Error(ErrorKind::kInternal, "bpr: score called before fit");
    }
    if (scores.size() != histories.size() * n_items_) {
        throw Error(ErrorKind::kInternal, "bpr: score buffer holds " +
                                              std::to_string(scores.size()) + " floats, not " +
                                              std::to_string(histories.size() * n_items_));
    }
    if (histories.empty()) {
        return;
    }

    std::vector<std::int64_t> flat, offsets;
    std::vector<float> sizes;
    std::vector<std::uint32_t> items;
    for (std::span<const std::uint32_t> history : histories) {
        distinct_sorted(history, n_items_, "history", items);
        offsets.push_back(static_cast<std::int64_t>(flat.size()));
        sizes.push_back(static_cast<float>(items.size()));
        flat.insert(flat.end(), items.begin(), items.end());
    }
    torch::NoGradGuard no_grad;
    torch::Tensor out =
        net_->module->score_bags(to_long(flat), to_long(offsets), torch::tensor(sizes))
            .contiguous();
    std::memcpy(scores.data(), out.data_ptr<float>(), scores.size() * sizeof(float));
}

}  // namespace sextant

namespace sextant {

nlohmann::json Bpr::config() const {
    return {{"embedding_dim", options_.embedding_dim},
            {"l2", options_.l2},
            {"init_std", options_.init_std},
            {"train", train_options_json(options_.train)}};
}

void Bpr::save(Weights& out) const {
    save_module(net_ ? net_->module.get() : nullptr, name(), out);
}

void Bpr::load(std::size_t n_items, const Weights& in) {
    net_ = std::make_unique<Net>(Net{load_module(BprNet(n_items, options_), in)});
    n_items_ = n_items;
}

std::unique_ptr<Bpr> Bpr::from_config(const nlohmann::json& config, const std::string& source) {
    BprOptions o;
    o.embedding_dim = meta_field<std::uint64_t>(config, "embedding_dim", source);
    o.l2 = meta_field<double>(config, "l2", source);
    o.init_std = meta_field<double>(config, "init_std", source);
    return with_source(source, [&] { return std::make_unique<Bpr>(o); });
}

ItemVectors Bpr::item_vectors() const {
    if (!net_) {
        return {};
    }
    return embedding_rows(net_->module->item, 0);
}

}  // namespace sextant
