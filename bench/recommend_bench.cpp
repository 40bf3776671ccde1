// Recommendation benchmark: one raw event file through Sextant's recommendation pipeline, phase
// by phase, with the figures bench/recommend_compare.py needs to set it beside a plain PyTorch
// script (bench/torch_peer.py) that trains the same networks with the same settings.
//
// Usage: recommend_bench FILE --model NAME [--epochs N] [--batch-size N] [--lr X] [--max-len N]
//                        [--hidden N] [--dropout X] [--seed N] [--latency-users N]
//   NAME is popular, item_knn, ease, bpr, gru4rec or sasrec. The flags that set training apply
//   to the three trained models; each keeps its own default for a flag not given.
//
// Phases, each timed once with a steady clock:
//   read      read_events() into events, then EventTable::from_events() (intern, sort by time)
//   split     leave_last_out()
//   fit       Recommender::fit(): a fixed number of epochs (patience above the epoch count, so no
//             early stopping), validation NDCG@10 after every epoch, best epoch's weights kept
//   valid     one more evaluate() at Stage::kValid with the options fit() uses, to tell how much
//             of each epoch was validation
//   test      evaluate() at Stage::kTest on one thread (full ranking, history masked)
//   latency   score + mask history + top 10, one test user at a time on one thread
// Prints one JSON object on stdout holding the settings (which the peer reads so that both sides
// train alike), the phases, the learning curve, the test metrics, the latency percentiles and
// memory. Errors go to stderr with exit status 1.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <exception>
#include <functional>
#include <iostream>
#include <limits>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "bench_flags.h"
#include "sextant/core/error.h"
#include "sextant/core/log.h"
#include "sextant/data/ingest.h"
#include "sextant/recommend/bpr.h"
#include "sextant/recommend/ease.h"
#include "sextant/recommend/evaluate.h"
#include "sextant/recommend/gru4rec.h"
#include "sextant/recommend/item_knn.h"
#include "sextant/recommend/popular.h"
#include "sextant/recommend/sasrec.h"
#include "sextant/recommend/split.h"

namespace {

using sextant::bench::parse_real;
using sextant::bench::parse_unsigned;

using Json = nlohmann::json;

// Command-line settings; a negative or zero value means "the model's default".
struct BenchOptions {
    std::string file;
    std::string model;
    int epochs = 0;
    std::size_t batch_size = 0;
    double learning_rate = 0;
    std::size_t max_len = 0;
    std::size_t hidden = 0;
    double dropout = -1;
    std::uint64_t seed = 42;
    std::size_t latency_users = 1000;  // 0 = no latency measurement
    int threads = 1;  // training threads: 2 or more train data-parallel (ModuleTask::replicas)
};

double seconds_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Runs `step` and returns its wall seconds.
double timed(const std::function<void()>& step) {
    auto start = std::chrono::steady_clock::now();
    step();
    return seconds_since(start);
}

double cpu_seconds() {
    timespec t{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
}

std::uint64_t peak_rss_bytes() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return static_cast<std::uint64_t>(usage.ru_maxrss) * 1024;  // Linux reports KiB
}

BenchOptions parse_args(int argc, char** argv) {
    BenchOptions o;
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        const char* value = i + 1 < argc ? argv[i + 1] : nullptr;
        bool takes_value = arg.starts_with("--");
        if (takes_value && value == nullptr) {
            sextant::throw_invalid(arg + " wants a value");
        }
        if (arg == "--model") {
            o.model = value;
        } else if (arg == "--epochs") {
            o.epochs = static_cast<int>(parse_unsigned(arg, value, 1000));
        } else if (arg == "--batch-size") {
            o.batch_size = parse_unsigned(arg, value, 1 << 16);
        } else if (arg == "--lr") {
            o.learning_rate = parse_real(arg, value, 10);
        } else if (arg == "--max-len") {
            o.max_len = parse_unsigned(arg, value, 10000);
        } else if (arg == "--hidden") {
            o.hidden = parse_unsigned(arg, value, 4096);
        } else if (arg == "--dropout") {
            o.dropout = parse_real(arg, value, 0.99);
        } else if (arg == "--seed") {
            o.seed = parse_unsigned(arg, value, std::numeric_limits<std::uint64_t>::max());
        } else if (arg == "--threads") {
            o.threads = static_cast<int>(parse_unsigned(arg, value, 64));
        } else if (arg == "--latency-users") {
            o.latency_users = parse_unsigned(arg, value, 1000000);
        } else if (!takes_value && o.file.empty()) {
            o.file = arg;
            continue;
        } else {
            sextant::throw_invalid("unexpected argument \"" + arg + "\"");
        }
        ++i;
    }
    if (o.file.empty() || o.model.empty()) {
        sextant::throw_invalid("usage: recommend_bench FILE --model NAME [--epochs N] ...");
    }
    return o;
}

// Applies the command line to a model's training options: a fixed epoch count with early
// stopping out of reach, and no time budget, so that the work done is what was asked for.
void apply_train(const BenchOptions& o, sextant::TrainOptions& train) {
    if (o.epochs > 0) {
        train.max_epochs = o.epochs;
    }
    train.patience = train.max_epochs + 1;
    train.budget_seconds = 0;
    train.seed = o.seed;
    train.threads = o.threads;
    if (o.batch_size > 0) {
        train.batch_size = o.batch_size;
    }
    if (o.learning_rate > 0) {
        train.learning_rate = o.learning_rate;
    }
}

Json train_json(const sextant::TrainOptions& t) {
    return {
        {"epochs", t.max_epochs},
        {"batch_size", t.batch_size},
        {"learning_rate", t.learning_rate},
        {"weight_decay", t.weight_decay},
        {"clip_grad_norm", t.clip_grad_norm},
        {"optimizer", t.optimizer == sextant::OptimizerKind::kAdam ? "adam" : "adamw"},
        {"schedule", t.schedule == sextant::LrSchedule::kConstant ? "constant" : "warmup_cosine"},
        {"warmup_steps", t.warmup_steps},
        {"min_lr_fraction", t.min_lr_fraction},
        {"threads", t.threads},
        {"seed", t.seed}};
}

// A model to measure, with its settings as JSON and the bytes of its parameters or arrays.
struct ModelUnderTest {
    std::unique_ptr<sextant::Recommender> model;
    Json settings;
    std::function<std::uint64_t(std::size_t n_items)> model_bytes;
};

ModelUnderTest make_gru4rec(const BenchOptions& o) {
    sextant::Gru4RecOptions g;
    apply_train(o, g.train);
    if (o.max_len > 0) {
        g.max_len = o.max_len;
    }
    if (o.hidden > 0) {
        g.embedding_dim = o.hidden;
        g.hidden_size = o.hidden;
    }
    if (o.dropout >= 0) {
        g.dropout = o.dropout;
    }
    Json settings = {{"embedding_dim", g.embedding_dim},
                     {"hidden_size", g.hidden_size},
                     {"max_len", g.max_len},
                     {"dropout", g.dropout},
                     {"all_windows", g.all_windows},
                     {"train", train_json(g.train)}};
    // Embedding (n + 1) x E; GRU: 3H x E and 3H x H weights, two 3H biases; linear H x n + n.
    auto bytes = [g](std::size_t n) -> std::uint64_t {
        std::uint64_t e = g.embedding_dim;
        std::uint64_t h = g.hidden_size;
        return 4 * ((n + 1) * e + 3 * h * (e + h) + 6 * h + h * n + n);
    };
    return {std::make_unique<sextant::Gru4Rec>(g), settings, bytes};
}

ModelUnderTest make_sasrec(const BenchOptions& o) {
    sextant::SasRecOptions s;
    s.max_len = 50;  // the bench's default: the 2-core machine trains 200 about 4x slower
    apply_train(o, s.train);
    if (o.max_len > 0) {
        s.max_len = o.max_len;
    }
    if (o.hidden > 0) {
        s.hidden = o.hidden;
    }
    if (o.dropout >= 0) {
        s.dropout = o.dropout;
    }
    if (s.loss != sextant::SasRecLoss::kBce) {
        sextant::throw_invalid("recommend_bench: the peer only implements SASRec's BCE loss");
    }
    Json settings = {{"max_len", s.max_len},
                     {"hidden", s.hidden},
                     {"n_blocks", s.n_blocks},
                     {"n_heads", s.n_heads},
                     {"dropout", s.dropout},
                     {"attention_dropout", s.attention_dropout},
                     {"n_negatives", s.n_negatives},
                     {"exclude_history", s.exclude_history},
                     {"loss", "bce"},
                     {"train", train_json(s.train)}};
    // Items (n + 1) x d, positions L x d; per block two layer norms (2d each), the qkv projection
    // 3d x d + 3d and three d x d + d linears; the final layer norm 2d.
    auto bytes = [s](std::size_t n) -> std::uint64_t {
        std::uint64_t d = s.hidden;
        std::uint64_t block = 4 * d + (3 * d * d + 3 * d) + 3 * (d * d + d);
        return 4 * ((n + 1) * d + s.max_len * d + s.n_blocks * block + 2 * d);
    };
    return {std::make_unique<sextant::SasRec>(s), settings, bytes};
}

ModelUnderTest make_bpr(const BenchOptions& o) {
    sextant::BprOptions b;
    apply_train(o, b.train);
    if (o.hidden > 0) {
        b.embedding_dim = o.hidden;
    }
    Json settings = {
        {"embedding_dim", b.embedding_dim}, {"l2", b.l2}, {"train", train_json(b.train)}};
    // Item and context tables n x d and the item bias.
    auto bytes = [b](std::size_t n) -> std::uint64_t { return 4 * (2 * n * b.embedding_dim + n); };
    return {std::make_unique<sextant::Bpr>(b), settings, bytes};
}

ModelUnderTest make_model(const BenchOptions& o) {
    if (o.model == "gru4rec") {
        return make_gru4rec(o);
    }
    if (o.model == "sasrec") {
        return make_sasrec(o);
    }
    if (o.model == "bpr") {
        return make_bpr(o);
    }
    if (o.model == "popular") {
        auto model = std::make_unique<sextant::MostPopular>();
        auto* p = model.get();
        return {std::move(model), Json::object(),
                [p](std::size_t) -> std::uint64_t { return 8 * p->counts().size(); }};
    }
    if (o.model == "ease") {
        auto model = std::make_unique<sextant::Ease>();
        Json settings = {{"lambda", model->options().lambda}};
        return {std::move(model), settings,
                [](std::size_t n) -> std::uint64_t { return std::uint64_t{4} * n * n; }};
    }
    if (o.model == "item_knn") {
        sextant::ItemKnnOptions k;
        auto model = std::make_unique<sextant::ItemKnn>(k);
        auto* p = model.get();
        // The neighbour rows and their offsets.
        auto bytes = [p](std::size_t n) -> std::uint64_t {
            std::uint64_t entries = 0;
            for (std::size_t i = 0; i < n; ++i) {
                entries += p->neighbours_of(static_cast<std::uint32_t>(i)).size();
            }
            return entries * sizeof(sextant::Neighbour) + (n + 1) * sizeof(std::uint64_t);
        };
        return {std::move(model), Json{{"neighbours", k.neighbours}}, bytes};
    }
    sextant::throw_invalid("unknown model \"" + o.model +
                           "\" (popular, item_knn, ease, bpr, gru4rec, sasrec)");
}

sextant::EventTable read_table(const std::string& file, Json& out) {
    std::vector<sextant::Event> events;
    sextant::ReadReport report = sextant::read_events(
        file, sextant::IngestOptions{}, [&](const sextant::Event& e) { events.push_back(e); });
    if (report.bad_rows > 0) {
        sextant::throw_invalid(report.describe_errors());
    }
    out["rows"] = report.rows;
    return sextant::EventTable::from_events(events);
}

// Sums of the validation and test items' original ids (numbers in MovieLens) over the evaluated
// users: a cheap check that the peer's split is the same. -1 when an id is not a number.
Json split_check(const sextant::EventTable& table, const sextant::Split& split) {
    std::uint64_t train_items = 0;
    long long valid_sum = 0;
    long long test_sum = 0;
    for (std::size_t i = 0; i < split.n_users(); ++i) {
        train_items += split.train[i].size();
        char* end = nullptr;
        valid_sum += std::strtoll(table.items.text(split.valid[i]).c_str(), &end, 10);
        test_sum += std::strtoll(table.items.text(split.test[i]).c_str(), &end, 10);
    }
    return {{"n_users", split.n_users()},
            {"n_items", split.n_items},
            {"train_items", train_items},
            {"valid_item_id_sum", valid_sum},
            {"test_item_id_sum", test_sum}};
}

double percentile(std::vector<double> values, double q) {
    std::sort(values.begin(), values.end());
    std::size_t at = static_cast<std::size_t>(std::ceil(q * static_cast<double>(values.size())));
    return values[std::clamp<std::size_t>(at, 1, values.size()) - 1];
}

// What one request does: score the history, mask its items, keep the 10 best (ties to the lower
// id). Returns the top item so that the work cannot be optimised away.
std::uint32_t recommend_top10(const sextant::Recommender& model, std::span<const std::uint32_t> h,
                              std::vector<float>& scores, std::vector<std::uint32_t>& order) {
    model.score(h, scores);
    for (std::uint32_t item : h) {
        scores[item] = -std::numeric_limits<float>::infinity();
    }
    order.resize(scores.size());
    for (std::size_t j = 0; j < order.size(); ++j) {
        order[j] = static_cast<std::uint32_t>(j);
    }
    std::size_t k = std::min<std::size_t>(10, order.size());
    std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(k), order.end(),
                      [&](std::uint32_t a, std::uint32_t b) {
                          return scores[a] != scores[b] ? scores[a] > scores[b] : a < b;
                      });
    return order[0];
}

Json measure_latency(const sextant::Recommender& model, const sextant::Split& split,
                     std::size_t n_users) {
    n_users = std::min(n_users, split.n_users());
    std::vector<float> scores(split.n_items);
    std::vector<std::uint32_t> order;
    std::vector<std::uint32_t> history;
    std::vector<double> micros;
    std::uint64_t checksum = 0;
    for (std::size_t i = 0; i < n_users; ++i) {
        sextant::history_at(split, i, sextant::Stage::kTest, history);
        auto start = std::chrono::steady_clock::now();
        checksum += recommend_top10(model, history, scores, order);
        micros.push_back(seconds_since(start) * 1e6);
    }
    if (micros.empty()) {
        return nullptr;
    }
    double sum = 0;
    for (double m : micros) {
        sum += m;
    }
    return {{"users", n_users},
            {"p50_us", percentile(micros, 0.5)},
            {"p99_us", percentile(micros, 0.99)},
            {"mean_us", sum / static_cast<double>(micros.size())},
            {"checksum", checksum}};
}

Json metrics_json(const sextant::RankingMetrics& m) {
    return {{"ndcg_at_10", m.ndcg_at_10},
            {"hr_at_10", m.hr_at_10},
            {"mrr", m.mrr},
            {"n_users", m.n_users},
            {"n_targets_in_history", m.n_targets_in_history}};
}

// Adds the learning curve and the training-only time: each epoch less one validation pass.
void add_training(const sextant::LearningCurve& curve, double valid_seconds, Json& out) {
    Json epochs = Json::array();
    double train_seconds = 0;
    std::uint64_t n_samples = 0;
    for (const sextant::EpochRecord& e : curve.epochs) {
        epochs.push_back({{"epoch", e.epoch},
                          {"loss", e.train_loss},
                          {"valid_ndcg_at_10", e.valid_metric},
                          {"seconds", e.epoch_seconds}});
        train_seconds += std::max(0.0, e.epoch_seconds - valid_seconds);
        n_samples += e.n_samples;
    }
    out["epochs"] = epochs;
    out["best_epoch"] = curve.best_epoch;
    out["stop"] = curve.stop_message;
    out["train_samples"] = n_samples;
    out["train_seconds"] = train_seconds;
    out["samples_per_second"] = train_seconds > 0 ? n_samples / train_seconds : 0.0;
    out["seconds_per_epoch"] = curve.epochs.empty() ? 0.0 : curve.seconds / curve.epochs.size();
}

Json run(const BenchOptions& o) {
    auto start = std::chrono::steady_clock::now();
    Json out;
    out["side"] = "sextant";
    out["file"] = o.file;
    out["model"] = o.model;
    ModelUnderTest m = make_model(o);
    out["settings"] = m.settings;

    Json phases;
    sextant::EventTable table;
    phases["read"] = timed([&] { table = read_table(o.file, out); });
    out["events"] = table.n_events();
    sextant::Split split;
    phases["split"] = timed([&] { split = sextant::leave_last_out(table); });
    out["split"] = split_check(table, split);

    // CPU seconds as well: a busy machine disturbs them less than wall time.
    double cpu_start = cpu_seconds();
    phases["fit"] = timed([&] { m.model->fit(split); });
    out["fit_cpu_seconds"] = cpu_seconds() - cpu_start;
    const sextant::LearningCurve* curve = m.model->learning_curve();
    if (curve != nullptr) {
        phases["valid"] =
            timed([&] { sextant::evaluate(*m.model, split, sextant::Stage::kValid); });
        add_training(*curve, phases["valid"].get<double>(), out);
    }
    sextant::EvaluateOptions one_thread;
    one_thread.n_threads = 1;
    sextant::RankingMetrics test;
    phases["test"] = timed(
        [&] { test = sextant::evaluate(*m.model, split, sextant::Stage::kTest, one_thread); });
    out["test"] = metrics_json(test);
    out["end_to_end_seconds"] = seconds_since(start);

    if (o.latency_users > 0) {
        out["latency"] = measure_latency(*m.model, split, o.latency_users);
    }
    out["phases"] = phases;
    out["model_bytes"] = m.model_bytes(split.n_items);
    out["peak_rss_bytes"] = peak_rss_bytes();
    return out;
}

}  // namespace

int main(int argc, char** argv) {
    // Keep the library's info lines out of the timings' way; warnings still show.
    sextant::log::set_level(sextant::log::Level::kWarn);
    try {
        std::cout << run(parse_args(argc, argv)).dump() << "\n";
        return 0;
    } catch (const std::exception& e) {
        std::cerr << "recommend_bench: " << e.what() << "\n";
        return 1;
    }
}
