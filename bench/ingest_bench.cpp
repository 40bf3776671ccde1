// Ingest, load and retention benchmark: one real event file through Sextant's pipeline, step by
// step, with the figures bench/compare.py needs to set it beside pandas (bench/pandas_peer.py).
//
// Usage: ingest_bench FILE [--reps N] [--slow-reps N] [--tmp DIR]
//
// Steps, each repeated and timed with a steady clock (medians and every run go to the JSON):
//   parse         read_events() with a sink that only counts (--reps times)
//   store_ingest  EventStore::ingest() into a fresh store, bad rows skipped (--slow-reps times)
//   load_sqlite   load_table() with no cache file: built from SQLite, then cached (--reps times)
//   load_cache    load_table() again: read from the cache file (--reps times)
//   retention     compute_retention() for days 1, 7, 30 in UTC (--reps times)
//   active_users  compute_active_users() in UTC (--reps times)
// Prints one JSON object on stdout; errors go to stderr with exit status 1. The stores live in a
// temporary folder (under --tmp when given) that is removed at the end.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <exception>
#include <filesystem>
#include <functional>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include <unistd.h>

#include "sextant/analytics/active_users.h"
#include "sextant/analytics/retention.h"
#include "sextant/core/error.h"
#include "sextant/core/log.h"
#include "sextant/data/ingest.h"
#include "sextant/store/event_store.h"

namespace fs = std::filesystem;

namespace {

struct BenchOptions {
    std::string file;
    int reps = 5;       // repetitions of the fast steps
    int slow_reps = 3;  // repetitions of the store ingest
    std::string tmp;    // parent of the scratch folder; empty: the system's temporary folder
};

double cpu_seconds() {
    timespec t{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
}

// Times each call of `step`: wall seconds, and the process's CPU seconds, which a busy machine
// disturbs less.
struct Timings {
    std::vector<double> runs;
    std::vector<double> cpu_runs;

    void time(const std::function<void()>& step) {
        double cpu_start = cpu_seconds();
        auto start = std::chrono::steady_clock::now();
        step();
        runs.push_back(
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
        cpu_runs.push_back(cpu_seconds() - cpu_start);
    }

    static double median(const std::vector<double>& values) {
        std::vector<double> sorted = values;
        std::sort(sorted.begin(), sorted.end());
        std::size_t n = sorted.size();
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    nlohmann::json to_json() const {
        return {{"median_s", median(runs)}, {"runs_s", runs}, {"cpu_median_s", median(cpu_runs)}};
    }
};

// A scratch folder that is removed with everything in it when the benchmark ends, even on error.
class ScratchDir {
public:
    explicit ScratchDir(const std::string& parent) {
        fs::path base = parent.empty() ? fs::temp_directory_path() : fs::path(parent);
        path_ = base / ("sextant-bench-" + std::to_string(::getpid()));
        fs::remove_all(path_);
        fs::create_directories(path_);
    }
    ~ScratchDir() {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    ScratchDir(const ScratchDir&) = delete;
    ScratchDir& operator=(const ScratchDir&) = delete;

    const fs::path& path() const { return path_; }

private:
    fs::path path_;
};

int parse_count(const std::string& flag, const char* text) {
    char* end = nullptr;
    long n = std::strtol(text, &end, 10);
    if (*end != '\0' || n < 1 || n > 100) {
        sextant::throw_invalid(flag + " wants a count from 1 to 100, not \"" + text + "\"");
    }
    return static_cast<int>(n);
}

BenchOptions parse_args(int argc, char** argv) {
    BenchOptions options;
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        bool has_value = i + 1 < argc;
        if (arg == "--reps" && has_value) {
            options.reps = parse_count(arg, argv[++i]);
        } else if (arg == "--slow-reps" && has_value) {
            options.slow_reps = parse_count(arg, argv[++i]);
        } else if (arg == "--tmp" && has_value) {
            options.tmp = argv[++i];
        } else if (options.file.empty() && !arg.starts_with("--")) {
            options.file = arg;
        } else {
            sextant::throw_invalid("unexpected argument \"" + arg + "\"");
        }
    }
    if (options.file.empty()) {
        sextant::throw_invalid("usage: ingest_bench FILE [--reps N] [--slow-reps N] [--tmp DIR]");
    }
    return options;
}

nlohmann::json retention_figures(const sextant::Retention& retention) {
    nlohmann::json day = nlohmann::json::object();
    for (const sextant::DayRetention& d : retention.day) {
        day[std::to_string(d.day)] = {{"rate", d.rate ? nlohmann::json(*d.rate) : nullptr},
                                      {"eligible", d.users_eligible},
                                      {"retained", d.users_retained}};
    }
    // Cohorts as [week, users, active_users[]] so the peer's table can be checked entry by entry.
    nlohmann::json cohorts = nlohmann::json::array();
    for (const sextant::Cohort& c : retention.cohorts) {
        cohorts.push_back({c.week, c.users, c.active_users});
    }
    return {{"day_retention", day}, {"cohorts", cohorts}};
}

nlohmann::json run(const BenchOptions& options) {
    sextant::IngestOptions read_options;
    ScratchDir scratch(options.tmp);
    nlohmann::json out;
    out["file"] = options.file;

    // Parse only: the sink counts, so this is the reader, the layout mapping and time parsing.
    Timings parse;
    sextant::ReadReport report;
    std::uint64_t n_events = 0;
    for (int i = 0; i < options.reps; ++i) {
        n_events = 0;
        parse.time([&] {
            report = sextant::read_events(options.file, read_options,
                                          [&](const sextant::Event&) { ++n_events; });
        });
    }
    out["bytes"] = report.bytes;
    out["rows"] = report.rows;
    out["events"] = n_events;
    out["bad_rows"] = report.bad_rows;
    out["layout"] = report.layout;

    // Full ingest, each time into a new store: a store skips content it already holds.
    Timings ingest;
    std::string store_path;
    std::uint64_t stored = 0;
    for (int i = 0; i < options.slow_reps; ++i) {
        store_path = (scratch.path() / ("store-" + std::to_string(i) + ".db")).string();
        sextant::EventStore store(store_path);
        ingest.time([&] {
            stored = store.ingest(options.file, read_options, sextant::BadRowPolicy::kSkip).stored;
        });
    }
    out["stored"] = stored;

    // The first load builds the table from SQLite and writes the cache; the second reads it.
    Timings load_sqlite;
    Timings load_cache;
    sextant::EventTable table;
    {
        sextant::EventStore store(store_path);
        for (int i = 0; i < options.reps; ++i) {
            fs::remove(store_path + ".table");
            load_sqlite.time([&] { table = store.load_table(); });
            load_cache.time([&] { table = store.load_table(); });
        }
    }
    out["users"] = table.n_users();
    out["table_events"] = table.n_events();

    sextant::TimeZone utc;
    Timings retention_time;
    Timings active_time;
    sextant::Retention retention;
    sextant::ActiveUsers active;
    for (int i = 0; i < options.reps; ++i) {
        retention_time.time([&] { retention = sextant::compute_retention(table, utc); });
        active_time.time([&] { active = sextant::compute_active_users(table, utc); });
    }
    out.update(retention_figures(retention));
    out["dau_mean"] = active.dau_mean ? nlohmann::json(*active.dau_mean) : nullptr;
    out["n_days"] = active.daily.size();

    out["steps"] = {{"parse", parse.to_json()},
                    {"store_ingest", ingest.to_json()},
                    {"load_sqlite", load_sqlite.to_json()},
                    {"load_cache", load_cache.to_json()},
                    {"retention", retention_time.to_json()},
                    {"active_users", active_time.to_json()}};
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
        std::cerr << "ingest_bench: " << e.what() << "\n";
        return 1;
    }
}
