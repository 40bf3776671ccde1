// The sextant command: parses arguments into the library's option structs, runs one job, and
// turns any error into one line on stderr and an exit code. Nothing else lives here.
#include <CLI/CLI.hpp>

#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <new>
#include <optional>
#include <string>
#include <vector>

#include "flags.h"
#include "predict_command.h"
#include "sextant/app/jobs.h"
#include "sextant/core/error.h"
#include "sextant/core/log.h"
#include "sextant/core/time.h"
#include "sextant/recommend/service.h"
#include "sextant/sim/simulate.h"

namespace {

using sextant::BadRowPolicy;
using sextant::Encoding;

struct ReadFlags {
    std::string map;
    std::string delimiter;
    std::string encoding = "utf-8";
    std::string tz = "UTC";
    std::string on_bad_row = "reject";
};

void add_read_flags(CLI::App& cmd, ReadFlags& flags) {
    cmd.add_option("--map", flags.map,
                   "column mapping, e.g. user=CustomerID,item=StockCode,time=InvoiceDate,"
                   "value=Quantity*UnitPrice (keys: user item time name value id)");
    cmd.add_option("--delimiter", flags.delimiter,
                   "field delimiter of CSV input (one character, or \\t); detected when absent");
    cmd.add_option("--encoding", flags.encoding, "input encoding: utf-8 (default), latin1, cp1252");
    cmd.add_option("--tz", flags.tz,
                   "IANA time zone of timestamps without an offset and of day boundaries");
    cmd.add_option("--on-bad-row", flags.on_bad_row,
                   "reject (default: a file with any bad row stores nothing) or skip");
}

sextant::IngestOptions to_ingest_options(const ReadFlags& flags) {
    sextant::IngestOptions o;
    o.map = flags.map;
    if (char d = sextant::cli::parse_delimiter(flags.delimiter)) {
        o.delimiter = d;
    }
    o.encoding = sextant::cli::parse_encoding(flags.encoding);
    o.tz = sextant::TimeZone::named(flags.tz);
    return o;
}

BadRowPolicy to_policy(const std::string& text) {
    if (text == "reject") {
        return BadRowPolicy::kReject;
    }
    if (text == "skip") {
        return BadRowPolicy::kSkip;
    }
    sextant::throw_invalid("--on-bad-row: expected reject or skip, got \"" + text + "\"");
}

void set_verbosity(bool quiet, bool verbose) {
    if (quiet) {
        sextant::log::set_level(sextant::log::Level::kWarn);
    } else if (verbose) {
        sextant::log::set_level(sextant::log::Level::kDebug);
    }
}

// --balance and --min-precision (negative: not given) into the analysis options.
void set_selection(sextant::AnalyzeOptions& o, const std::string& balance, double min_precision) {
    o.imbalance = sextant::cli::parse_flag("--balance", balance, sextant::parse_imbalance);
    if (min_precision >= 0) {
        o.min_precision = min_precision;
    }
}

std::optional<std::filesystem::path> store_option(const std::string& flag) {
    if (flag.empty()) {
        return std::nullopt;
    }
    return std::filesystem::path(flag);
}

// Item ids, one per line (blank lines and surrounding spaces ignored).
std::vector<std::string> read_item_list(const std::string& path) {
    std::error_code ec;
    if (std::filesystem::exists(path, ec) && !std::filesystem::is_regular_file(path, ec)) {
        sextant::throw_invalid(path + ": not a file (an item list is one item id per line)");
    }
    std::ifstream in(path);
    if (!in) {
        sextant::throw_not_found(path + ": cannot open the item list");
    }
    std::vector<std::string> items;
    std::string line;
    while (std::getline(in, line)) {
        auto begin = line.find_first_not_of(" \t\r");
        if (begin == std::string::npos) {
            continue;
        }
        auto end = line.find_last_not_of(" \t\r");
        items.push_back(line.substr(begin, end - begin + 1));
    }
    return items;
}

void print_recommendations(const sextant::RecommendResponse& r, bool as_json) {
    if (as_json) {
        std::cout << r.to_json().dump(2) << "\n";
        return;
    }
    std::cout << "user " << r.user << ": " << r.items.size() << " items from " << r.source
              << " (model " << r.model << ", " << r.history_used << " of " << r.history_events
              << " history events known to it)\n";
    if (!r.note.empty()) {
        std::cout << "  note: " << r.note << "\n";
    }
    for (std::size_t i = 0; i < r.items.size(); ++i) {
        std::printf("%3zu. %-24s %s%s\n", i + 1, r.items[i].item.c_str(), r.items[i].reason.c_str(),
                    r.items[i].owned ? " (you have it)" : "");
    }
}

void print_similar(const sextant::SimilarResponse& r, bool as_json) {
    if (as_json) {
        std::cout << r.to_json().dump(2) << "\n";
        return;
    }
    std::cout << "items like " << r.item << " (model " << r.model << ", " << r.method << ")\n";
    for (std::size_t i = 0; i < r.items.size(); ++i) {
        std::printf("%3zu. %-24s similarity %.3f\n", i + 1, r.items[i].first.c_str(),
                    static_cast<double>(r.items[i].second));
    }
}

int run(int argc, char** argv) {
    CLI::App app{
        "sextant: behavior analysis, recommendations and predictions from a product's "
        "own event log"};
    app.require_subcommand(1);
    bool quiet = false;
    bool verbose = false;
    app.add_flag("-q,--quiet", quiet, "only warnings and errors");
    app.add_flag("-v,--verbose", verbose, "debug detail");

    // sextant run
    ReadFlags run_flags;
    std::vector<std::string> run_files;
    std::string run_out = "out";
    std::string run_store;
    double budget = 120;
    std::uint64_t seed = 42;
    auto* run_cmd = app.add_subcommand(
        "run", "ingest a log, analyse it, train and compare recommenders, write the report");
    run_cmd->add_option("events", run_files, "event log files (CSV, TSV, MovieLens, NDJSON, .gz)")
        ->required();
    run_cmd->add_option("--out", run_out, "output folder for report.html and summary.json");
    run_cmd->add_option("--store", run_store, "store file (default: OUT/sextant.db)");
    run_cmd->add_option(
        "--budget", budget,
        "seconds of training, shared by GRU4Rec, SASRec and BPR (default 120; 0 skips them)");
    run_cmd->add_option("--seed", seed, "random seed of training (default 42)");
    int threads = 1;
    bool resume = false;
    run_cmd->add_option("--threads", threads, "threads of training (default 1, best on 2 cores)")
        ->check(CLI::Range(1, 256));
    int horizon = 30;
    std::string target_event;
    bool no_predict = false;
    run_cmd->add_option("--horizon", horizon,
                        "days in which a churn or a purchase is predicted (default 30)");
    run_cmd->add_option("--target-event", target_event,
                        "event name whose occurrence is predicted (default: a purchase-like one)");
    run_cmd->add_flag("--no-predict", no_predict, "skip churn, propensity and forecasts");
    std::string balance = "class_weights";
    double min_precision = -1;
    auto add_selection_flags = [&](CLI::App& cmd) {
        cmd.add_option("--balance", balance,
                       "class imbalance of churn and propensity: class_weights (default), "
                       "oversample, undersample, none");
        cmd.add_option("--min-precision", min_precision,
                       "choose the decision threshold with at least this precision on validation "
                       "(default: maximum F1)")
            ->check(CLI::Range(0.0, 1.0));
    };
    add_selection_flags(*run_cmd);
    run_cmd->add_flag("--resume", resume,
                      "continue the models' training from OUT/checkpoints after an interruption");
    add_read_flags(*run_cmd, run_flags);
    run_cmd->add_flag("-q,--quiet", quiet, "only warnings and errors");
    run_cmd->add_flag("-v,--verbose", verbose, "debug detail");

    // sextant ingest
    ReadFlags ingest_flags;
    std::vector<std::string> ingest_files;
    std::string ingest_store = "sextant.db";
    auto* ingest_cmd = app.add_subcommand("ingest", "store event log files without analysing them");
    ingest_cmd->add_option("events", ingest_files, "event log files")->required();
    ingest_cmd->add_option("--store", ingest_store, "store file (default: ./sextant.db)");
    add_read_flags(*ingest_cmd, ingest_flags);
    ingest_cmd->add_flag("-q,--quiet", quiet, "only warnings and errors");
    ingest_cmd->add_flag("-v,--verbose", verbose, "debug detail");

    // sextant analyze
    std::string analyze_store = "sextant.db";
    std::string analyze_out = "out";
    std::string analyze_tz = "UTC";
    bool no_recommend = false;
    double analyze_budget = 120;
    auto* analyze_cmd =
        app.add_subcommand("analyze", "analyse a store and write report.html and summary.json");
    analyze_cmd->add_option("--store", analyze_store, "store file (default: ./sextant.db)");
    analyze_cmd->add_option("--out", analyze_out, "output folder");
    analyze_cmd->add_option("--tz", analyze_tz, "IANA time zone of day boundaries");
    analyze_cmd->add_option("--budget", analyze_budget, "seconds of deep-model training");
    analyze_cmd->add_option("--seed", seed, "random seed of training");
    analyze_cmd->add_option("--threads", threads, "threads of training (default 1)")
        ->check(CLI::Range(1, 256));
    analyze_cmd->add_flag("--resume", resume, "continue training from OUT/checkpoints");
    analyze_cmd->add_option("--horizon", horizon, "days in which a churn or purchase is predicted");
    analyze_cmd->add_option("--target-event", target_event,
                            "event name whose occurrence is predicted");
    analyze_cmd->add_flag("--no-predict", no_predict, "skip churn, propensity and forecasts");
    add_selection_flags(*analyze_cmd);
    analyze_cmd->add_flag("--no-recommend", no_recommend, "skip the recommenders");
    analyze_cmd->add_flag("-q,--quiet", quiet, "only warnings and errors");
    analyze_cmd->add_flag("-v,--verbose", verbose, "debug detail");

    // sextant simulate
    sextant::SimulateOptions sim;
    std::string sim_out;
    auto* sim_cmd = app.add_subcommand(
        "simulate", "write a synthetic behavior log (users with tastes, sessions, churners)");
    sim_cmd->add_option("--out", sim_out, "CSV file to write")->required();
    sim_cmd->add_option("--users", sim.n_users, "number of users");
    sim_cmd->add_option("--items", sim.n_items, "number of items");
    sim_cmd->add_option("--days", sim.days, "days of activity");
    sim_cmd->add_option("--seed", sim.seed, "random seed");
    sim_cmd->add_option("--churn-share", sim.churn_share, "share of users who churn");
    sim_cmd->add_flag("-q,--quiet", quiet, "only warnings and errors");

    // sextant recommend / similar
    std::string model_dir;
    std::string serve_store;
    std::string rec_user;
    std::size_t rec_k = 10;
    bool include_owned = false;
    bool as_json = false;
    std::string only_file;
    std::string exclude_file;
    auto* rec_cmd = app.add_subcommand(
        "recommend", "top items for one user from a trained model, each with a reason");
    rec_cmd->add_option("--model", model_dir, "model directory (e.g. out/models/best)")->required();
    rec_cmd->add_option("--user", rec_user, "user id as in the event log")->required();
    rec_cmd->add_option("-k", rec_k, "how many items (default 10)")->check(CLI::Range(1, 100000));
    rec_cmd->add_option("--store", serve_store,
                        "event store to read the user's history from (default: the model's)");
    rec_cmd->add_flag("--include-owned", include_owned, "allow items the user already has");
    rec_cmd->add_option("--only-items", only_file,
                        "file of item ids, one per line: recommend only these");
    rec_cmd->add_option("--exclude-items", exclude_file,
                        "file of item ids, one per line: never recommend these");
    rec_cmd->add_flag("--json", as_json, "print JSON");
    rec_cmd->add_flag("-q,--quiet", quiet, "only warnings and errors");
    rec_cmd->add_flag("-v,--verbose", verbose, "debug detail");

    std::string sim_item;
    std::size_t sim_k = 10;
    auto* similar_cmd =
        app.add_subcommand("similar", "items most similar to one item, from a trained model");
    similar_cmd->add_option("--model", model_dir, "model directory")->required();
    similar_cmd->add_option("--item", sim_item, "item id as in the event log")->required();
    similar_cmd->add_option("-k", sim_k, "how many items (default 10)")
        ->check(CLI::Range(1, 100000));
    similar_cmd->add_option("--store", serve_store, "event store (default: the model's)");
    similar_cmd->add_flag("--json", as_json, "print JSON");
    similar_cmd->add_flag("-q,--quiet", quiet, "only warnings and errors");
    similar_cmd->add_flag("-v,--verbose", verbose, "debug detail");

    sextant::cli::PredictCommand predict(app, quiet, verbose);

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        if (e.get_exit_code() == 0) {
            return app.exit(e);  // --help
        }
        std::fprintf(stderr, "sextant: %s (see sextant --help)\n", e.what());
        return sextant::exit_code(sextant::ErrorKind::kInvalidInput);
    }
    set_verbosity(quiet, verbose);

    if (*run_cmd) {
        sextant::RunOptions o;
        o.ingest.files = run_files;
        o.ingest.store = run_store.empty()
                             ? (std::filesystem::path(run_out) / "sextant.db").string()
                             : run_store;
        o.ingest.read = to_ingest_options(run_flags);
        o.ingest.on_bad_row = to_policy(run_flags.on_bad_row);
        o.analyze.store = o.ingest.store;
        o.analyze.out_dir = run_out;
        o.analyze.tz = run_flags.tz;
        o.analyze.budget_seconds = budget;
        o.analyze.seed = seed;
        o.analyze.threads = threads;
        o.analyze.resume = resume;
        o.analyze.predict = !no_predict;
        o.analyze.horizon_days = horizon;
        o.analyze.target_event = target_event;
        set_selection(o.analyze, balance, min_precision);
        sextant::run_job(o);
        std::cout << "report: " << (std::filesystem::path(run_out) / "report.html").string()
                  << "\nsummary: " << (std::filesystem::path(run_out) / "summary.json").string()
                  << "\n";
    } else if (*ingest_cmd) {
        sextant::IngestJobOptions o;
        o.files = ingest_files;
        o.store = ingest_store;
        o.read = to_ingest_options(ingest_flags);
        o.on_bad_row = to_policy(ingest_flags.on_bad_row);
        sextant::ingest_files(o);
    } else if (*analyze_cmd) {
        sextant::AnalyzeOptions o;
        o.store = analyze_store;
        o.out_dir = analyze_out;
        o.tz = analyze_tz;
        o.recommend = !no_recommend;
        o.budget_seconds = analyze_budget;
        o.seed = seed;
        o.threads = threads;
        o.resume = resume;
        o.predict = !no_predict;
        o.horizon_days = horizon;
        o.target_event = target_event;
        set_selection(o, balance, min_precision);
        if (!std::filesystem::exists(o.store)) {
            sextant::throw_not_found("no store at \"" + o.store +
                                     "\" (create it with `sextant ingest FILE --store " + o.store +
                                     "`)");
        }
        sextant::analyze_store(o);
        std::cout << "report: " << (std::filesystem::path(analyze_out) / "report.html").string()
                  << "\n";
    } else if (*rec_cmd) {
        sextant::RecommendService service(model_dir, store_option(serve_store));
        sextant::RecommendRequest request;
        request.user = rec_user;
        request.k = rec_k;
        request.include_owned = include_owned;
        if (!only_file.empty()) {
            auto items = read_item_list(only_file);
            request.only_items.emplace(items.begin(), items.end());
        }
        if (!exclude_file.empty()) {
            auto items = read_item_list(exclude_file);
            request.exclude_items.insert(items.begin(), items.end());
        }
        print_recommendations(service.recommend(request), as_json);
    } else if (*similar_cmd) {
        sextant::RecommendService service(model_dir, store_option(serve_store));
        print_similar(service.similar(sim_item, sim_k), as_json);
    } else if (predict.chosen()) {
        predict.run();
    } else if (*sim_cmd) {
        sextant::simulate_to_file(sim, sim_out);
        std::cout << "synthetic log: " << sim_out << "\n";
    }
    return 0;
}

}  // namespace

// Ctrl-C: one line saying what state things are in, then the conventional exit status. Only
// async-signal-safe calls here. An ingest is one transaction and checkpoints and models are
// renamed into place, so nothing half-written is left behind.
extern "C" void on_interrupt(int) {
    static const char kMessage[] =
        "\nsextant: interrupted; the store keeps what was committed before, and `sextant run` "
        "with --resume continues training from the last checkpoint\n";
    [[maybe_unused]] auto n = ::write(STDERR_FILENO, kMessage, sizeof kMessage - 1);
    ::_exit(130);
}

int main(int argc, char** argv) {
    std::signal(SIGINT, on_interrupt);
    try {
        return run(argc, argv);
    } catch (const sextant::Error& e) {
        std::fprintf(stderr, "sextant: %s\n", e.what());
        return sextant::exit_code(e.kind());
    } catch (const std::bad_alloc&) {
        std::fprintf(stderr, "sextant: out of memory\n");
        return 71;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "sextant: internal error: %s\n", e.what());
        return 70;
    }
}
