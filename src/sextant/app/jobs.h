// The jobs behind the command line and (later) the server: each takes one options struct and
// does its work through the library. They log progress and results, never print or exit.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sextant/data/ingest.h"
#include "sextant/predict/classifier.h"

namespace sextant {

struct IngestJobOptions {
    std::vector<std::string> files;  // inputs, ingested in order, each in its own transaction
    std::string store;               // the SQLite store file
    IngestOptions read;              // mapping, delimiter, encoding, time zone
    BadRowPolicy on_bad_row = BadRowPolicy::kReject;
};

struct AnalyzeOptions {
    std::string store;            // the SQLite store file
    std::string out_dir;          // where summary.json and report.html go
    std::string tz = "UTC";       // zone of day boundaries
    bool recommend = true;        // train and evaluate the recommenders
    double budget_seconds = 120;  // wall-clock budget for training the deep models
    std::uint64_t seed = 42;      // seeds every random choice of training
    // Threads of training and fitting (libtorch's intra-op threads, item-kNN's rows). 1 is the
    // measured best on 2 cores (see TrainOptions::threads).
    int threads = 1;
    // Continue each trained model from its checkpoint in OUT/checkpoints/<model>/ when one
    // matches (a run stopped part way); without it, training starts afresh.
    bool resume = false;
    // Churn and propensity models, scores and forecasts (app/predict_job.h).
    bool predict = true;
    int horizon_days = 30;     // --horizon: days a churn or purchase is looked for
    std::string target_event;  // --target-event; empty: a purchase-like event name when present
    Imbalance imbalance = Imbalance::kClassWeights;  // --balance
    // --min-precision: the decision threshold with the most recall at this precision on
    // validation; absent: the threshold of maximum F1.
    std::optional<double> min_precision;
};

struct RunOptions {
    IngestJobOptions ingest;
    AnalyzeOptions analyze;
};

// Ingests every file; returns the `inputs` array of summary.json. Throws Error on a refused file
// (files before it stay stored, each ingest being its own transaction).
nlohmann::json ingest_files(const IngestJobOptions& options);

// Throws Error(kInvalidInput) naming the option when an analysis option is out of range.
void validate(const AnalyzeOptions& options);

// Analyses the store and writes OUT/summary.json and OUT/report.html; returns the summary.
// `inputs` (from ingest_files) is recorded in the summary when given.
nlohmann::json analyze_store(const AnalyzeOptions& options,
                             const nlohmann::json& inputs = nlohmann::json::array());

// Writes `text` to `path` through a temporary file beside it, renamed over it: a reader sees the
// old file or the whole new one, never a part. Throws Error (kIo) naming the path.
void write_text_atomically(const std::string& text, const std::filesystem::path& path);

// The main job: ingest, then analyse.
nlohmann::json run_job(const RunOptions& options);

}  // namespace sextant
