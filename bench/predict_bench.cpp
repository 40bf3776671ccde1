// Prediction benchmark: the churn models of Sextant on one raw event file, with the same cut of
// the data as the main job (app/predict_job.cpp), and the three parts written as CSV files so
// that bench/predict_peer.py trains scikit-learn and Python XGBoost on the very same numbers.
//
// Usage: predict_bench FILE --out DIR [--horizon DAYS] [--seed N] [--reps N] [--dense-reps N]
//   FILE is the UCI Online Retail CSV; it is read with the main job's mapping (user=CustomerID,
//   item=StockCode, time=InvoiceDate, value=Quantity*UnitPrice, times in Europe/London), rows
//   without a customer skipped. DIR receives train.csv, valid.csv and test.csv (header: the
//   feature names, then "label"; one row per user; floats written so they read back exactly).
//
// The cut, as predict_job.cpp's run_task() makes it, with E = the last event's time + 1 s and
// h = the horizon: features before c1 = E - 2h, churn labels from [c1, c1 + h), a seeded
// stratified 75/25 split of those users into train and valid; the test part is every user with
// an event before c2 = E - h, labelled from [c2, E), with c1's event-name columns.
//
// The models are default_classifiers(seed) (logistic, dense_net, gbdt), fitted as
// select_classifier() fits them: on the training part with class weights (positives weigh
// n_neg / n_pos) and with the validation part, carrying the same positive weight, for early
// stopping. Fit and predict (test part) are each timed with a steady clock; the figures are the
// medians over the repetitions. The ensemble is the plain mean of the three probabilities (what
// ensemble.h computes), so its times are the sums of its members'.
//
// Prints one JSON object on stdout: the settings the peer needs (positive weight, each model's
// config), the example counts, the phase times and, per model, the test metrics and times.
// Errors go to stderr with exit status 1.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
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
#include "sextant/core/time.h"
#include "sextant/data/event_table.h"
#include "sextant/data/ingest.h"
#include "sextant/predict/classifier.h"
#include "sextant/predict/dense_net.h"
#include "sextant/predict/features.h"
#include "sextant/predict/gbdt.h"
#include "sextant/predict/logistic.h"
#include "sextant/predict/metrics.h"

namespace {

using sextant::bench::parse_unsigned;

namespace fs = std::filesystem;
using Json = nlohmann::json;

constexpr const char* kMapping =
    "user=CustomerID,item=StockCode,time=InvoiceDate,value=Quantity*UnitPrice";
constexpr const char* kZone = "Europe/London";

struct BenchOptions {
    std::string file;
    std::string out_dir;
    int horizon_days = 90;
    std::uint64_t seed = 42;
    int reps = 5;        // repetitions of fit and predict for logistic and gbdt
    int dense_reps = 3;  // the same for dense_net, the slowest to fit
};

double seconds_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

double timed(const std::function<void()>& step) {
    auto start = std::chrono::steady_clock::now();
    step();
    return seconds_since(start);
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    std::size_t n = v.size();
    return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

BenchOptions parse_args(int argc, char** argv) {
    BenchOptions o;
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        const char* value = i + 1 < argc ? argv[i + 1] : nullptr;
        if (!arg.starts_with("--")) {
            if (!o.file.empty()) {
                sextant::throw_invalid("unexpected argument \"" + arg + "\"");
            }
            o.file = arg;
            continue;
        }
        if (value == nullptr) {
            sextant::throw_invalid(arg + " wants a value");
        }
        if (arg == "--out") {
            o.out_dir = value;
        } else if (arg == "--horizon") {
            o.horizon_days = static_cast<int>(parse_unsigned(arg, value, 3650));
        } else if (arg == "--seed") {
            o.seed = parse_unsigned(arg, value, std::numeric_limits<std::uint64_t>::max());
        } else if (arg == "--reps") {
            o.reps = static_cast<int>(parse_unsigned(arg, value, 1000));
        } else if (arg == "--dense-reps") {
            o.dense_reps = static_cast<int>(parse_unsigned(arg, value, 1000));
        } else {
            sextant::throw_invalid("unknown flag \"" + arg + "\"");
        }
        ++i;
    }
    if (o.file.empty() || o.out_dir.empty() || o.horizon_days == 0 || o.reps == 0 ||
        o.dense_reps == 0) {
        sextant::throw_invalid(
            "usage: predict_bench FILE --out DIR [--horizon DAYS>0] [--seed N] [--reps N>0] "
            "[--dense-reps N>0]");
    }
    return o;
}

// The file through read_events() into a table; rows without a customer are the expected bad
// rows and are skipped, as the main job's ingest skips them.
sextant::EventTable read_table(const std::string& file, Json& out) {
    sextant::IngestOptions options;
    options.map = kMapping;
    options.tz = sextant::TimeZone::named(kZone);
    // The recognised Online Retail layout names every row "purchase"; so does this mapping.
    options.default_name = "purchase";
    std::vector<sextant::Event> events;
    sextant::ReadReport report =
        sextant::read_events(file, options, [&](const sextant::Event& e) { events.push_back(e); });
    out["rows"] = report.rows;
    out["events"] = report.good_rows;
    out["skipped_rows"] = report.bad_rows;
    out["skipped_reasons"] = report.bad_reasons;
    return sextant::EventTable::from_events(events);
}

// As predict_job.cpp's to_dataset(), for the churn label.
sextant::Dataset to_dataset(const sextant::FeatureMatrix& m) {
    sextant::Dataset d;
    d.feature_names = m.feature_names;
    d.n_rows = m.n_rows();
    d.n_cols = m.n_features();
    d.values.assign(m.values.begin(), m.values.end());
    d.labels = *m.churn;
    d.ids = m.user_names;
    d.times.assign(d.n_rows, m.cutoff);
    return d;
}

// One part as CSV. %.9g round-trips every float, so the peer reads the values the models see.
void write_csv(const fs::path& path, const sextant::Dataset& d) {
    std::ofstream out(path);
    for (const std::string& name : d.feature_names) {
        out << name << ',';
    }
    out << "label\n";
    char buffer[32];
    for (std::size_t r = 0; r < d.n_rows; ++r) {
        for (std::size_t c = 0; c < d.n_cols; ++c) {
            std::snprintf(buffer, sizeof buffer, "%.9g,", static_cast<double>(d.at(r, c)));
            out << buffer;
        }
        out << static_cast<int>(d.labels[r]) << '\n';
    }
    if (!out) {
        sextant::throw_io(path.string() + ": write failed");
    }
}

Json part_json(const sextant::Dataset& d) {
    sextant::ClassBalance b = sextant::class_balance(d);
    return {{"rows", b.n_rows}, {"positives", b.n_positives}, {"negatives", b.n_negatives}};
}

Json metrics_json(const sextant::Dataset& d, const std::vector<double>& p) {
    Json j;
    sextant::put_figure(j, "roc_auc", sextant::roc_auc(d.labels, p));
    sextant::put_figure(j, "average_precision", sextant::average_precision(d.labels, p));
    sextant::put_figure(j, "log_loss", sextant::log_loss(d.labels, p));
    return j;
}

// What the fitted model says about its own training: rounds kept, or the epoch kept.
Json fit_details(const sextant::Classifier& model) {
    if (const auto* g = dynamic_cast<const sextant::Gbdt*>(&model)) {
        return {{"rounds", g->n_rounds()}};
    }
    const sextant::LearningCurve* curve = nullptr;
    if (const auto* l = dynamic_cast<const sextant::LogisticRegression*>(&model)) {
        curve = &l->curve();
    } else if (const auto* n = dynamic_cast<const sextant::DenseNet*>(&model)) {
        curve = &n->curve();
    }
    if (curve == nullptr) {
        return Json::object();
    }
    return {{"epochs_run", curve->epochs.size()},
            {"best_epoch", curve->best_epoch},
            {"stop_reason", sextant::to_string(curve->stop_reason)}};
}

struct ModelRun {
    Json json;
    std::vector<double> test_p;
    double fit_seconds = 0;
    double predict_seconds = 0;
};

// Fits a fresh default candidate `index` `reps` times and predicts the test part `reps` times
// with the last fit; the figures come from that last model (each fit is seeded alike).
ModelRun run_model(std::size_t index, std::uint64_t seed, int reps, const sextant::Dataset& train,
                   const sextant::Dataset& early_stop, const sextant::DataSplit& split) {
    std::vector<double> fit_times;
    std::unique_ptr<sextant::Classifier> model;
    for (int k = 0; k < reps; ++k) {
        auto candidates = sextant::default_classifiers(seed);
        model = std::move(candidates.at(index));
        fit_times.push_back(timed([&] { model->fit(train, early_stop); }));
    }
    std::vector<double> predict_times;
    ModelRun run;
    for (int k = 0; k < reps; ++k) {
        predict_times.push_back(timed([&] { run.test_p = model->predict_proba(split.test); }));
    }
    run.fit_seconds = median(fit_times);
    run.predict_seconds = median(predict_times);
    std::vector<double> valid_p = model->predict_proba(split.valid);
    run.json = {
        {"name", model->name()},
        {"config", model->config()},
        {"reps", reps},
        {"fit_seconds", run.fit_seconds},
        {"fit_seconds_all", fit_times},
        {"predict_seconds", run.predict_seconds},
        {"predict_rows_per_second", static_cast<double>(split.test.n_rows) / run.predict_seconds},
        {"fit", fit_details(*model)},
        {"valid", metrics_json(split.valid, valid_p)},
        {"test", metrics_json(split.test, run.test_p)}};
    return run;
}

Json run(const BenchOptions& o) {
    Json out = {{"file", o.file},
                {"mapping", kMapping},
                {"tz", kZone},
                {"horizon_days", o.horizon_days},
                {"seed", o.seed}};
    Json phases;

    sextant::EventTable table;
    phases["read"] = timed([&] { table = read_table(o.file, out); });
    out["users"] = table.n_users();

    // The two cutoffs and the split of run_task() (predict_job.cpp), churn task.
    sextant::FeatureOptions fo;
    fo.horizon_days = o.horizon_days;
    fo.zone = sextant::TimeZone::named(kZone);
    fo.active_within_days = o.horizon_days;  // churn examples are users still active
    sextant::Seconds end = *std::max_element(table.time.begin(), table.time.end()) + 1;
    sextant::Seconds horizon = sextant::Seconds{o.horizon_days} * sextant::kSecondsPerDay;
    sextant::FeatureMatrix earlier;
    sextant::FeatureMatrix later;
    phases["features"] = timed([&] {
        fo.cutoff = end - 2 * horizon;
        earlier = sextant::build_features(table, fo);
        fo.event_names = earlier.event_names;
        fo.cutoff = end - horizon;
        later = sextant::build_features(table, fo);
    });
    sextant::DataSplit split;
    phases["split"] = timed([&] {
        split = sextant::stratified_split(to_dataset(earlier), {0.75, 0.25, 0.0}, o.seed);
        split.test = to_dataset(later);
    });
    out["train_cutoff"] = sextant::format_utc(end - 2 * horizon);
    out["test_cutoff"] = sextant::format_utc(end - horizon);
    out["feature_names"] = split.train.feature_names;
    out["examples"] = {{"train", part_json(split.train)},
                       {"valid", part_json(split.valid)},
                       {"test", part_json(split.test)}};

    fs::create_directories(o.out_dir);
    phases["write_csv"] = timed([&] {
        write_csv(fs::path(o.out_dir) / "train.csv", split.train);
        write_csv(fs::path(o.out_dir) / "valid.csv", split.valid);
        write_csv(fs::path(o.out_dir) / "test.csv", split.test);
    });

    // What select_classifier() fits on (class weights) and stops early on.
    sextant::Dataset train =
        sextant::rebalance(split.train, sextant::Imbalance::kClassWeights, o.seed);
    double positive_weight = *sextant::class_balance(split.train).negatives_per_positive;
    sextant::Dataset early_stop = sextant::with_positive_weight(split.valid, positive_weight);
    out["positive_weight"] = positive_weight;
    out["imbalance"] = "class_weights";

    // default_classifiers() order: logistic, dense_net, gbdt.
    Json models = Json::object();
    std::vector<ModelRun> runs;
    const int reps_of[] = {o.reps, o.dense_reps, o.reps};
    for (std::size_t m = 0; m < 3; ++m) {
        ModelRun r = run_model(m, o.seed, reps_of[m], train, early_stop, split);
        models[r.json["name"].get<std::string>()] = r.json;
        runs.push_back(std::move(r));
    }

    ModelRun ensemble;
    ensemble.test_p.assign(split.test.n_rows, 0.0);
    for (const ModelRun& r : runs) {
        ensemble.fit_seconds += r.fit_seconds;
        ensemble.predict_seconds += r.predict_seconds;
        for (std::size_t i = 0; i < split.test.n_rows; ++i) {
            ensemble.test_p[i] += r.test_p[i] / static_cast<double>(runs.size());
        }
    }
    models["ensemble"] = {{"name", "ensemble"},
                          {"members", {"logistic", "dense_net", "gbdt"}},
                          {"fit_seconds", ensemble.fit_seconds},
                          {"predict_seconds", ensemble.predict_seconds},
                          {"predict_rows_per_second",
                           static_cast<double>(split.test.n_rows) / ensemble.predict_seconds},
                          {"test", metrics_json(split.test, ensemble.test_p)}};
    out["models"] = models;
    out["phases"] = phases;
    return out;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        // The models log a line per fit at info level; the JSON is what this program reports.
        sextant::log::set_level(sextant::log::Level::kWarn);
        BenchOptions options = parse_args(argc, argv);
        std::cout << run(options).dump() << '\n';
        return 0;
    } catch (const std::exception& e) {
        std::cerr << "predict_bench: " << e.what() << '\n';
        return 1;
    }
}
