#include "sextant/app/recommend_job.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <memory>

#include "sextant/core/log.h"
#include "sextant/core/progress.h"
#include "sextant/learn/tensorboard.h"
#include "sextant/recommend/bpr.h"
#include "sextant/recommend/ease.h"
#include "sextant/recommend/evaluate.h"
#include "sextant/recommend/gru4rec.h"
#include "sextant/recommend/item_knn.h"
#include "sextant/recommend/model_io.h"
#include "sextant/recommend/popular.h"
#include "sextant/recommend/sasrec.h"
#include "sextant/recommend/split.h"

namespace sextant {
namespace {

nlohmann::json finite_or_null(double x) {
    return std::isfinite(x) ? nlohmann::json(x) : nlohmann::json(nullptr);
}

// The summary's learning curve: one point per epoch, with the metric under its own name.
nlohmann::json curve_json(const LearningCurve& curve) {
    nlohmann::json points = nlohmann::json::array();
    for (const EpochRecord& e : curve.epochs) {
        points.push_back({{"epoch", e.epoch},
                          {"train_loss", finite_or_null(e.train_loss)},
                          {"valid_ndcg@10", finite_or_null(e.valid_metric)},
                          {"seconds", e.seconds},
                          {"learning_rate", e.learning_rate},
                          {"complete", e.complete}});
    }
    return points;
}

// Writes the learning curve as TensorBoard scalars in OUT/runs/<model>/, one step per epoch.
void write_tensorboard(const LearningCurve& curve, const std::string& dir) {
    TensorBoardWriter writer(dir);
    auto now =
        std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
    for (const EpochRecord& e : curve.epochs) {
        // Wall times are the epochs' own, counted back from the end of training.
        double wall = now - (curve.seconds - e.seconds);
        writer.add_scalar("train_loss", e.epoch, static_cast<float>(e.train_loss), wall);
        writer.add_scalar("valid_ndcg@10", e.epoch, static_cast<float>(e.valid_metric), wall);
        writer.add_scalar("epoch_seconds", e.epoch, static_cast<float>(e.epoch_seconds), wall);
        writer.add_scalar("learning_rate", e.epoch, static_cast<float>(e.learning_rate), wall);
    }
    writer.close();
}

nlohmann::json metrics_json(const RankingMetrics& test, const RankingMetrics& valid,
                            const RankingMetrics& sampled, double train_seconds) {
    return {{"hr@1", test.hr_at_1},
            {"hr@5", test.hr_at_5},
            {"hr@10", test.hr_at_10},
            {"ndcg@5", test.ndcg_at_5},
            {"ndcg@10", test.ndcg_at_10},
            {"mrr", test.mrr},
            {"coverage@10", finite_or_null(test.coverage_at_10)},
            {"mean_popularity@10", finite_or_null(test.mean_popularity_at_10)},
            {"sampled_100",
             {{"hr@1", sampled.hr_at_1},
              {"hr@5", sampled.hr_at_5},
              {"hr@10", sampled.hr_at_10},
              {"ndcg@5", sampled.ndcg_at_5},
              {"ndcg@10", sampled.ndcg_at_10},
              {"mrr", sampled.mrr}}},
            {"valid_hr@10", valid.hr_at_10},
            {"valid_ndcg@10", valid.ndcg_at_10},
            {"valid_mrr", valid.mrr},
            {"targets_in_history", test.n_targets_in_history},
            {"train_seconds", train_seconds}};
}

std::string format_metric(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.4f", v);
    return buf;
}

std::string figures(const RankingMetrics& m) {
    char buf[128];
    std::snprintf(buf, sizeof buf, "HR@10 %.4f, NDCG@10 %.4f, MRR %.4f", m.hr_at_10, m.ndcg_at_10,
                  m.mrr);
    return buf;
}

}  // namespace

nlohmann::json evaluate_recommenders(const EventTable& table, const AnalyzeOptions& options) {
    nlohmann::json out;
    Split split = leave_last_out(table);
    out["protocol"] = protocol_description();
    out["protocol_sampled_100"] = protocol_description(Protocol::kSampled100);
    out["users_evaluated"] = split.n_users();
    out["users_excluded"] = split.n_users_too_short + split.n_users_without_items;
    out["users_too_short"] = split.n_users_too_short;
    out["users_without_items"] = split.n_users_without_items;
    out["items"] = split.n_items;
    out["budget_seconds"] = options.budget_seconds;
    out["models"] = nlohmann::json::object();
    if (split.n_users() == 0) {
        out["best"] = nullptr;
        out["best_reason"] = "no user has 3 or more events with an item";
        log::warn("recommend: no user has 3 or more events with an item; nothing to evaluate");
        return out;
    }
    log::info("recommend: leave-last-out split of " + with_commas(split.n_users()) + " users (" +
              with_commas(split.n_users_too_short) + " with fewer than 3 item events left out)");

    // The baselines and EASE fit in seconds; the models trained in epochs share the budget
    // equally (each stops early when its validation NDCG@10 stops improving).
    std::vector<std::unique_ptr<Recommender>> models;
    models.push_back(std::make_unique<MostPopular>());
    ItemKnnOptions knn;
    knn.n_threads = static_cast<std::size_t>(std::max(1, options.threads));
    models.push_back(std::make_unique<ItemKnn>(knn));
    EaseOptions ease;
    if (split.n_items <= ease_item_limit(ease)) {
        models.push_back(std::make_unique<Ease>(ease));
    } else {
        out["skipped"]["ease"] = "the catalogue has " + with_commas(split.n_items) +
                                 " items, above EASE's limit of " +
                                 with_commas(ease_item_limit(ease));
    }
    constexpr int kTrained = 3;
    double share = options.budget_seconds / kTrained;
    out["budget_rule"] =
        "gru4rec, sasrec and bpr each get a third of the budget; popular, "
        "item_knn and ease are fitted in one step";
    auto train_options = [&](TrainOptions train, const char* name) {
        train.budget_seconds = share;
        train.seed = options.seed;
        train.threads = options.threads;
        train.checkpoint_dir =
            (std::filesystem::path(options.out_dir) / "checkpoints" / name).string();
        train.resume = options.resume;
        return train;
    };
    if (share > 0) {
        Gru4RecOptions gru;
        gru.train = train_options(gru.train, "gru4rec");
        models.push_back(std::make_unique<Gru4Rec>(gru));
        SasRecOptions sasrec;
        // Attention over the last 50 items: 200 is out of reach of a CPU budget of minutes.
        sasrec.max_len = 50;
        sasrec.train.learning_rate = 3e-3;
        sasrec.train = train_options(sasrec.train, "sasrec");
        models.push_back(std::make_unique<SasRec>(sasrec));
        BprOptions bpr;
        bpr.train = train_options(bpr.train, "bpr");
        models.push_back(std::make_unique<Bpr>(bpr));
    } else {
        for (const char* name : {"gru4rec", "sasrec", "bpr"}) {
            out["skipped"][name] = "no training budget (--budget 0)";
        }
        log::info("recommend: gru4rec, sasrec and bpr skipped (--budget 0)");
    }

    // Every model is saved as OUT/models/<name>/ for `sextant recommend`; models/best points to
    // the one chosen on validation.
    std::filesystem::path models_dir = std::filesystem::path(options.out_dir) / "models";
    RecommenderInfo info;
    info.items = table.items.texts();
    count_popularity(table, 7, info);
    info.data = {{"store", std::filesystem::absolute(options.store).lexically_normal().string()},
                 {"events", table.n_events()},
                 {"users", table.n_users()},
                 {"items", table.n_items()}};

    std::string best;
    double best_valid = -1;
    for (auto& model : models) {
        auto start = std::chrono::steady_clock::now();
        // A model the data cannot train (a log too small for a sequence model) is skipped with
        // its reason; the others, the report and the summary go on without it.
        try {
            model->fit(split);
        } catch (const Error& e) {
            if (e.kind() != ErrorKind::kInvalidInput) {
                throw;
            }
            out["skipped"][model->name()] = e.what();
            log::warn("recommend: " + model->name() + " skipped: " + e.what());
            continue;
        }
        double seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        RankingMetrics valid = evaluate(*model, split, Stage::kValid);
        RankingMetrics test = evaluate(*model, split, Stage::kTest);
        EvaluateOptions sampled_options;
        sampled_options.protocol = Protocol::kSampled100;
        sampled_options.seed = options.seed;
        RankingMetrics sampled = evaluate(*model, split, Stage::kTest, sampled_options);
        nlohmann::json j = metrics_json(test, valid, sampled, seconds);
        if (const LearningCurve* curve = model->learning_curve()) {
            // A resumed run's fit() trains only what was left; its curve counts every call.
            seconds = std::max(seconds, curve->seconds);
            j["train_seconds"] = seconds;
            j["learning_curve"] = curve_json(*curve);
            j["stopped"] = curve->stop_message;
            j["best_epoch"] = curve->best_epoch;
            j["samples_per_second"] = curve->samples_per_second();
            std::string runs =
                (std::filesystem::path(options.out_dir) / "runs" / model->name()).string();
            write_tensorboard(*curve, runs);
            j["tensorboard"] = runs;
        }
        info.metrics = j;
        info.metrics.erase("learning_curve");
        std::filesystem::path model_dir = models_dir / model->name();
        save_recommender(model_dir, *model, info);
        j["model_dir"] = model_dir.string();
        out["models"][model->name()] = j;
        log::info("recommend: " + model->name() + ": " + figures(test) + " (test; fitted in " +
                  seconds_text(seconds) + ")");
        if (valid.ndcg_at_10 > best_valid) {
            best_valid = valid.ndcg_at_10;
            best = model->name();
        }
    }
    out["best"] = best;
    out["best_rule"] = "highest NDCG@10 on the validation items";
    log::info("recommend: best on validation: " + best + " (NDCG@10 " + format_metric(best_valid) +
              "); try it with: sextant recommend --model " + (models_dir / "best").string() +
              " --user USER");
    std::filesystem::path link = models_dir / "best";
    std::error_code ec;
    std::filesystem::remove(link, ec);
    std::filesystem::create_directory_symlink(best, link, ec);
    if (ec) {
        log::warn("recommend: cannot link " + link.string() + " to " + best + ": " + ec.message());
    } else {
        out["best_model_dir"] = link.string();
    }
    return out;
}

}  // namespace sextant
