#include "predict_command.h"

#include <cstdio>
#include <iostream>
#include <sstream>

#include "flags.h"
#include "sextant/app/predict_table_job.h"
#include "sextant/core/error.h"

namespace sextant::cli {
namespace {

// "a=x,b=y" into pairs; a bare word (no '=') goes to `bare` when given, else is refused.
std::vector<std::pair<std::string, std::string>> assignments(const std::string& text,
                                                             const std::string& flag,
                                                             std::string* bare = nullptr) {
    std::vector<std::pair<std::string, std::string>> out;
    std::stringstream in(text);
    std::string part;
    while (std::getline(in, part, ',')) {
        if (part.empty()) {
            continue;
        }
        std::size_t eq = part.rfind('=');
        if (eq == std::string::npos) {
            if (bare == nullptr || !bare->empty()) {
                throw_invalid(flag + ": expected COLUMN=VALUE, got \"" + part + "\"");
            }
            *bare = part;
            continue;
        }
        if (eq == 0 || eq + 1 == part.size()) {
            throw_invalid(flag + ": expected COLUMN=VALUE, got \"" + part + "\"");
        }
        out.emplace_back(part.substr(0, eq), part.substr(eq + 1));
    }
    return out;
}

std::vector<std::string> words(const std::string& text) {
    std::vector<std::string> out;
    std::stringstream in(text);
    std::string part;
    while (std::getline(in, part, ',')) {
        if (!part.empty()) {
            out.push_back(part);
        }
    }
    return out;
}

std::string figure(const nlohmann::json& object, const std::string& key) {
    if (!object.contains(key) || !object[key].is_number()) {
        std::string reason = object.value(key + "_reason", std::string("undefined"));
        return "n/a (" + reason + ")";
    }
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.3f", object[key].get<double>());
    return buffer;
}

void print_training(const nlohmann::json& r) {
    std::cout << "table " << r["table"].get<std::string>() << ": " << r["rows"]["used"]
              << " rows used of " << r["rows"]["read"] << " ("
              << r["rows"]["dropped_missing_target"] << " without a target)\n";
    const nlohmann::json& ratio = r["class_ratio"];
    std::cout << "target " << r["target"].get<std::string>() << ": positive class \""
              << r["positive_label"].get<std::string>() << "\" ("
              << r["positive_rule"].get<std::string>() << "), " << ratio["positives"]
              << " positives, " << ratio["negatives"] << " negatives\n";
    std::cout << "columns:\n";
    for (const auto& c : r["columns"]) {
        if (c["role"] == "ignored") {
            std::cout << "  " << c["name"].get<std::string>() << ": left out, "
                      << c["reason"].get<std::string>() << "\n";
            continue;
        }
        std::cout << "  " << c["name"].get<std::string>() << ": " << c["role"].get<std::string>()
                  << ", " << c["reason"].get<std::string>();
        if (c["role"] == "feature") {
            std::cout << "; " << c["encoding"].get<std::string>();
            if (c["n_missing"].get<std::uint64_t>() > 0) {
                std::cout << "; " << c["n_missing"] << " missing, filled with "
                          << c["imputation"].get<std::string>();
            }
        }
        std::cout << "\n";
    }
    for (const auto& u : r["unseen_categories"]) {
        std::cout << "unseen categories: column " << u["column"].get<std::string>() << ", "
                  << u["count"] << " in the " << u["part"].get<std::string>() << " part\n";
    }
    const nlohmann::json& split = r["split"];
    std::cout << "split: " << split["rule"].get<std::string>() << " (" << split["train"] << " / "
              << split["valid"] << " / " << split["test"] << " rows)\n";
    const nlohmann::json& s = r["selection"];
    std::cout << "models on validation (imbalance: " << s["imbalance"].get<std::string>() << "):\n";
    for (const auto& c : s["candidates"]) {
        std::printf("  %-10s ROC-AUC %s  PR-AUC %s  log loss %s  %.2f s%s\n",
                    c["name"].get<std::string>().c_str(), figure(c, "roc_auc").c_str(),
                    figure(c, "average_precision").c_str(), figure(c, "log_loss").c_str(),
                    c["fit_seconds"].get<double>(), c["name"] == s["chosen"] ? "  <- chosen" : "");
    }
    std::cout << "chosen: " << s["chosen"].get<std::string>() << " (" << s["why"].get<std::string>()
              << ")\n";
    const nlohmann::json& cal = s["calibration"];
    if (cal["method"] == "platt") {
        std::cout << "calibrated on validation (Platt): log loss "
                  << figure(cal, "valid_log_loss_before") << " -> "
                  << figure(cal, "valid_log_loss_after") << "\n";
    }
    std::cout << "threshold: " << s["threshold"].get<double>() << " ("
              << s["threshold_choice"]["reason"].get<std::string>() << ")\n";
    const nlohmann::json& t = s["test"];
    const nlohmann::json& at = t["at_threshold"];
    std::cout << "test (" << t["n_samples"] << " rows, touched once): ROC-AUC "
              << figure(t, "roc_auc") << ", PR-AUC " << figure(t, "average_precision")
              << ", log loss " << figure(t, "log_loss") << ", Brier " << figure(t, "brier_score")
              << ", lift in the top decile " << figure(t, "lift") << "\n";
    std::cout << "  at the threshold: precision " << figure(at, "precision") << ", recall "
              << figure(at, "recall") << ", F1 " << figure(at, "f1") << ", accuracy "
              << figure(at, "accuracy") << "; confusion tp " << at["confusion"]["n_tp"] << " fp "
              << at["confusion"]["n_fp"] << " fn " << at["confusion"]["n_fn"] << " tn "
              << at["confusion"]["n_tn"] << "\n";
    for (const auto& w : s["warnings"]) {
        std::cout << "read with care: " << w.get<std::string>() << "\n";
    }
    std::cout << "model: " << r["model_dir"].get<std::string>()
              << " (score with: sextant predict score --model " << r["model_dir"].get<std::string>()
              << " --table FILE)\n";
}

void print_scores(const nlohmann::json& r) {
    std::cout << "scored " << r["rows"] << " rows with " << r["kind"].get<std::string>()
              << " (threshold " << r["threshold"].get<double>() << "): " << r["risk_bands"]["high"]
              << " high, " << r["risk_bands"]["medium"] << " medium, " << r["risk_bands"]["low"]
              << " low risk";
    if (r["risk_bands"].contains("lapsed")) {
        std::cout << ", " << r["risk_bands"]["lapsed"] << " already lapsed (listed last)";
    }
    std::cout << "\n";
    for (const auto& row : r["top"]) {
        std::string id =
            row.contains("id") ? row["id"].get<std::string>() : row["user"].get<std::string>();
        std::printf("  %-16s %.3f %-6s", id.c_str(), row["probability"].get<double>(),
                    row["risk_band"].get<std::string>().c_str());
        for (const auto& reason : row["reasons"]) {
            std::printf("  %s;", reason.get<std::string>().c_str());
        }
        std::printf("\n");
    }
    std::cout << "scores: " << r["scores_file"].get<std::string>() << "\n";
}

}  // namespace

struct PredictCommand::Flags {
    TableTrainOptions train;
    ScoreOptions score;
    std::string types;
    std::string ignore;
    std::string impute = "median";
    std::string scale = "zscore";
    std::string balance = "class_weights";
    std::string models;
    double min_precision = -1;
    std::string delimiter;
    std::string encoding = "utf-8";
    std::size_t top = 10;
};

PredictCommand::PredictCommand(CLI::App& app, bool& quiet, bool& verbose)
    : flags_(std::make_shared<Flags>()) {
    Flags& f = *flags_;
    predict_ = app.add_subcommand(
        "predict", "train a classifier on a customer table, or score with a saved model");
    predict_->require_subcommand(1);

    train_ = predict_->add_subcommand(
        "train", "train churn / propensity style classifiers on any CSV of customers");
    train_->add_option("--table", f.train.table, "customers CSV (or .gz)")->required();
    train_->add_option("--target", f.train.columns.target, "column to predict (two classes)")
        ->required();
    train_->add_option("--id", f.train.columns.id, "id column (kept aside, never a feature)");
    train_->add_option("--positive", f.train.columns.positive_label,
                       "the class to predict (default: the true word, else the rarer class)");
    train_->add_option("--out", f.train.model_dir, "model directory to write")->required();
    train_->add_option("--ignore", f.ignore,
                       "columns to leave out: COL,COL (a leak, a note, a second id)");
    train_->add_option("--type", f.types,
                       "override inferred column types: COL=numeric|boolean|categorical,...");
    train_->add_option("--impute", f.impute,
                       "missing numbers: mean, median (default), mode, ffill, bfill, knn; "
                       "per column as COL=STRATEGY (e.g. median,age=knn)");
    train_->add_option("--scale", f.scale, "numbers: zscore (default) or minmax");
    train_->add_option("--balance", f.balance,
                       "class imbalance: class_weights (default), oversample, undersample, none");
    train_
        ->add_option("--min-precision", f.min_precision,
                     "choose the threshold with at least this precision on validation "
                     "(default: maximum F1)")
        ->check(CLI::Range(0.0, 1.0));
    train_->add_option("--models", f.models,
                       "candidates: logistic,dense_net,gbdt (default: all, and their ensemble)");
    train_->add_option("--seed", f.train.seed, "seed of the split and the models (default 42)");
    train_->add_option("--delimiter", f.delimiter, "field delimiter (detected when absent)");
    train_->add_option("--encoding", f.encoding, "utf-8 (default), latin1, cp1252");
    train_->add_flag("-q,--quiet", quiet, "only warnings and errors");
    train_->add_flag("-v,--verbose", verbose, "debug detail");

    score_ = predict_->add_subcommand(
        "score", "score every customer or user with a saved model, with reasons");
    score_
        ->add_option("--model", f.score.model_dir,
                     "model directory (from predict train, or OUT/models/churn of sextant run)")
        ->required();
    score_->add_option("--table", f.score.table, "customers CSV to score (table models)");
    score_->add_option("--store", f.score.store,
                       "event store (event models; default: the model's)");
    score_->add_option("--out", f.score.out, "scores CSV to write (default: scores.csv)");
    score_->add_option("--top", f.top, "rows to print (default 10)")->check(CLI::Range(0, 100000));
    score_->add_option("--delimiter", f.delimiter, "field delimiter (detected when absent)");
    score_->add_option("--encoding", f.encoding, "utf-8 (default), latin1, cp1252");
    score_->add_flag("-q,--quiet", quiet, "only warnings and errors");
    score_->add_flag("-v,--verbose", verbose, "debug detail");
}

void PredictCommand::run() const {
    Flags f = *flags_;
    TableReadOptions read;
    read.delimiter = parse_delimiter(f.delimiter);
    read.encoding = parse_encoding(f.encoding);
    if (score_->parsed()) {
        f.score.read = read;
        f.score.top_n = f.top;
        print_scores(score_with_model(f.score));
        return;
    }
    TableTrainOptions& o = f.train;
    o.read = read;
    for (const auto& [column, type] : assignments(f.types, "--type")) {
        o.columns.types[column] = parse_flag("--type", type, parse_column_type);
    }
    std::string strategy;
    for (const auto& [column, name] : assignments(f.impute, "--impute", &strategy)) {
        o.columns.column_imputation[column] = parse_flag("--impute", name, parse_imputation);
    }
    if (!strategy.empty()) {
        o.columns.imputation = parse_flag("--impute", strategy, parse_imputation);
    }
    o.columns.scaling = parse_flag("--scale", f.scale, parse_scaling);
    o.imbalance = parse_flag("--balance", f.balance, parse_imbalance);
    if (f.min_precision >= 0) {
        o.min_precision = f.min_precision;
    }
    o.models = words(f.models);
    o.columns.ignore = words(f.ignore);
    print_training(train_table_model(o));
}

}  // namespace sextant::cli
