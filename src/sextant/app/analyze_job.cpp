#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>

#include "sextant/analytics/active_users.h"
#include "sextant/analytics/overview.h"
#include "sextant/analytics/retention.h"
#include "sextant/app/jobs.h"
#include "sextant/app/predict_job.h"
#include "sextant/app/recommend_job.h"
#include "sextant/core/error.h"
#include "sextant/core/log.h"
#include "sextant/core/progress.h"
#include "sextant/report/html_report.h"
#include "sextant/store/event_store.h"

namespace sextant {
namespace {

constexpr const char* kVersion = "0.1.0";

// Totals over every ingest of the store: the report describes the store, not just this run.
void add_store_totals(EventStore& store, nlohmann::json& summary) {
    std::uint64_t skipped = 0;
    std::uint64_t duplicates = 0;
    std::uint64_t duplicate_ids = 0;
    bool synthetic = false;
    std::map<std::string, std::uint64_t> reasons;
    nlohmann::json ingests = nlohmann::json::array();
    for (const IngestRecord& r : store.ingests()) {
        skipped += r.skipped;
        duplicates += r.exact_duplicates;
        duplicate_ids += r.duplicate_ids;
        synthetic = synthetic || r.synthetic;
        for (const auto& [reason, count] : r.skip_reasons) {
            reasons[reason] += count;
        }
        ingests.push_back({{"path", r.path},
                           {"at", r.at},
                           {"format", r.format},
                           {"layout", r.layout},
                           {"rows", r.rows},
                           {"stored", r.stored},
                           {"rows_skipped", r.skipped}});
    }
    summary["synthetic"] = synthetic;
    summary["rows_skipped"] = skipped;
    summary["skip_reasons"] = reasons;
    summary["exact_duplicates"] = duplicates;
    summary["duplicate_ids"] = duplicate_ids;
    summary["ingests"] = ingests;
}

// Timestamps before 1990 are far more often a wrong column (a quantity read as epoch seconds)
// than real data; say so rather than analyse nonsense silently.
void warn_if_implausible(const Overview& overview) {
    constexpr Seconds k1990 = 631152000;
    if (overview.time_range && overview.time_range->first < k1990) {
        log::warn("the first event is at " + format_utc(overview.time_range->first) +
                  ": is the time column right? (map it with --map time=COLUMN)");
    }
}

double seconds_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

void write_text_atomically(const std::string& text, const std::filesystem::path& path) {
    std::filesystem::path tmp = path;
    tmp += ".tmp";
    {
        std::ofstream out(tmp, std::ios::binary);
        out << text;
        out.close();
        if (!out) {
            throw_io("cannot write \"" + tmp.string() + "\": " + std::strerror(errno));
        }
    }
    std::error_code ec;
    std::filesystem::rename(tmp, path, ec);
    if (ec) {
        throw_io("cannot write \"" + path.string() + "\": " + ec.message());
    }
}

void validate(const AnalyzeOptions& options) {
    if (options.horizon_days < 1 || options.horizon_days > 3650) {
        throw_invalid("--horizon: expected days from 1 to 3650, got " +
                      std::to_string(options.horizon_days));
    }
    if (!(options.budget_seconds >= 0) || !std::isfinite(options.budget_seconds)) {
        throw_invalid("--budget: expected a finite number of seconds >= 0, got " +
                      std::to_string(options.budget_seconds));
    }
    if (options.threads < 1) {
        throw_invalid("--threads: expected at least 1, got " + std::to_string(options.threads));
    }
    TimeZone::named(options.tz);
}

nlohmann::json analyze_store(const AnalyzeOptions& options, const nlohmann::json& inputs) {
    validate(options);
    TimeZone zone = TimeZone::named(options.tz);
    unsigned cores = std::thread::hardware_concurrency();
    if (cores > 0 && static_cast<unsigned>(options.threads) >= cores && cores <= 4) {
        log::warn("--threads " + std::to_string(options.threads) + " on " + std::to_string(cores) +
                  " cores: GRU4Rec and SASRec train data-parallel on them; BPR and the other "
                  "libtorch models use them as libtorch threads, which contend with BLAS's and "
                  "gain little");
    }
    std::error_code ec;
    std::filesystem::create_directories(options.out_dir, ec);
    if (ec) {
        throw_io("cannot create \"" + options.out_dir + "\": " + ec.message());
    }

    EventStore store(options.store);
    auto start = std::chrono::steady_clock::now();
    EventTable table = store.load_table();
    log::info("table: " + with_commas(table.n_events()) + " events, " +
              with_commas(table.n_users()) + " users, " + with_commas(table.n_items()) +
              " items loaded in " + seconds_text(seconds_since(start)));
    if (table.n_events() == 0) {
        throw_invalid("the store \"" + options.store + "\" holds no events");
    }

    nlohmann::json summary;
    summary["sextant_version"] = kVersion;
    summary["time_zone"] = zone.name();
    summary["inputs"] = inputs;
    add_store_totals(store, summary);

    start = std::chrono::steady_clock::now();
    Overview overview = compute_overview(table, zone);
    summary.update(to_json(overview));
    warn_if_implausible(overview);
    summary["active_users"] = to_json(compute_active_users(table, zone));
    summary["retention"] = to_json(compute_retention(table, zone));
    log::info("analysis: overview, active users and retention in " +
              seconds_text(seconds_since(start)));

    if (!options.target_event.empty() && !table.names.find(options.target_event)) {
        std::string names;
        for (const std::string& name : table.names.texts()) {
            names += (names.empty() ? "" : ", ") + name;
        }
        throw_invalid("--target-event: no event named \"" + options.target_event +
                      "\" in the store (its event names: " + names + ")");
    }
    if (options.recommend) {
        summary["recommend"] = evaluate_recommenders(table, options);
    }
    if (options.predict) {
        PredictJobOptions p;
        p.out_dir = options.out_dir;
        p.store = std::filesystem::absolute(options.store).string();
        p.horizon_days = options.horizon_days;
        p.target_event = options.target_event;
        p.tz = options.tz;
        p.budget_seconds = options.budget_seconds;
        p.seed = options.seed;
        p.imbalance = options.imbalance;
        p.min_precision = options.min_precision;
        nlohmann::json predictions = run_predictions(table, p);
        summary["predict"] = predictions["predict"];
        summary["forecast"] = predictions["forecast"];
    }

    std::filesystem::path out(options.out_dir);
    write_text_atomically(summary.dump(2) + "\n", out / "summary.json");
    write_report(summary, (out / "report.html").string());
    return summary;
}

nlohmann::json run_job(const RunOptions& options) {
    validate(options.analyze);  // before anything is stored
    nlohmann::json inputs = ingest_files(options.ingest);
    return analyze_store(options.analyze, inputs);
}

}  // namespace sextant
