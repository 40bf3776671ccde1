#include <algorithm>
#include <filesystem>
#include <memory>

#include "sextant/app/jobs.h"
#include "sextant/core/error.h"
#include "sextant/core/log.h"
#include "sextant/core/progress.h"
#include "sextant/store/event_store.h"

namespace sextant {
namespace {

nlohmann::json input_json(const IngestResult& r) {
    nlohmann::json j;
    j["path"] = r.read.path;
    j["already_ingested"] = r.already_ingested;
    if (r.already_ingested) {
        j["already_ingested_at"] = r.already_ingested_at;
        j["stored"] = 0;
        return j;
    }
    j["format"] = r.read.format;
    j["layout"] = r.read.layout;
    j["mapping"] = r.read.mapping;
    j["rows"] = r.read.rows;
    j["stored"] = r.stored;
    j["rows_skipped"] = r.skipped;
    j["skip_reasons"] = r.read.bad_reasons;
    j["duplicate_ids"] = r.duplicate_ids;
    j["exact_duplicates"] = r.read.exact_duplicates;
    j["exact_duplicates_stored"] = r.read.good_duplicates;
    j["epoch_unit"] =
        r.read.epoch_unit.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.read.epoch_unit);
    j["synthetic"] = r.synthetic;
    return j;
}

void log_result(const IngestResult& r, double seconds) {
    if (r.already_ingested) {
        std::string as = r.already_ingested_as == r.read.path
                             ? ""
                             : " (same content as \"" + r.already_ingested_as + "\")";
        log::info("ingest: \"" + r.read.path + "\" was already ingested on " +
                  r.already_ingested_at + as + "; nothing added");
        return;
    }
    const ReadReport& rr = r.read;
    std::string line = "ingest: " + rr.path + " (" + rr.format + ", " + rr.layout +
                       "): " + with_commas(r.stored) + " events stored from " +
                       with_commas(rr.rows) + " rows";
    char rate[64];
    std::snprintf(rate, sizeof rate, " in %.2f s (%.1f MB/s)", seconds,
                  seconds > 0 ? static_cast<double>(rr.bytes) / 1e6 / seconds : 0.0);
    line += rate;
    log::info(line);
    if (!rr.mapping.empty()) {
        log::info("ingest: columns " + rr.mapping);
    }
    if (!rr.epoch_unit.empty()) {
        log::info("ingest: epoch timestamps read as " + rr.epoch_unit + " (told by magnitude)");
    }
    if (r.skipped > 0) {
        std::string reasons;
        for (const auto& [reason, count] : rr.bad_reasons) {
            reasons += (reasons.empty() ? "" : ", ") + reason + ": " + with_commas(count);
        }
        log::warn("ingest: skipped " + with_commas(r.skipped) + " bad rows (" + reasons + ")");
        log::info(rr.describe_errors());
    }
    if (r.duplicate_ids > 0) {
        log::info("ingest: " + with_commas(r.duplicate_ids) +
                  " rows had an id already stored and were not added again");
    }
    if (rr.exact_duplicates > 0) {
        log::info("ingest: " + with_commas(rr.exact_duplicates) +
                  " records repeat an earlier record exactly; the " +
                  with_commas(rr.good_duplicates) +
                  " of them that were stored are kept and counted in the report");
    }
}

// The store's part of ingest_files(), once the files are checked.
nlohmann::json ingest_into_store(const IngestJobOptions& options) {
    std::filesystem::path store_path(options.store);
    if (store_path.has_parent_path()) {
        std::error_code ec;
        std::filesystem::create_directories(store_path.parent_path(), ec);
        if (ec) {
            throw_io("cannot create \"" + store_path.parent_path().string() +
                     "\": " + ec.message());
        }
    }
    EventStore store(options.store);
    // A store is a project: every later report covers all it holds. Say so when it is not new.
    if (std::uint64_t held = store.n_events(); held > 0) {
        log::info("store " + options.store + " already holds " + with_commas(held) +
                  " events from " + std::to_string(store.ingests().size()) +
                  " earlier ingests; new files are added and the report covers all of them "
                  "(use another --out or --store for a separate project)");
    }
    nlohmann::json inputs = nlohmann::json::array();
    for (const std::string& f : options.files) {
        std::error_code ec;
        auto size = std::filesystem::file_size(f, ec);
        // The reader counts bytes of decompressed input: a share of the file only when plain.
        bool known_size = !ec && !f.ends_with(".gz") && size > 0;
        Progress progress("ingest " + std::filesystem::path(f).filename().string(), "rows");
        IngestResult r = store.ingest(
            f, options.read, options.on_bad_row, [&](std::uint64_t bytes, std::uint64_t rows) {
                double fraction =
                    known_size ? std::min(1.0, static_cast<double>(bytes) / size) : -1;
                progress.update(rows, "", fraction);
            });
        double seconds = progress.elapsed();
        progress.close();
        log_result(r, seconds);
        inputs.push_back(input_json(r));
    }
    return inputs;
}

// Removes the store file (and SQLite's side files) when it holds no event.
void remove_if_empty(const std::filesystem::path& store_path) {
    try {
        if (EventStore::open_existing(store_path.string())->n_events() > 0) {
            return;
        }
    } catch (const Error&) {
        return;  // not a store that can be read: leave it be
    }
    std::error_code ec;
    for (const char* suffix : {"", "-journal", "-wal", "-shm"}) {
        std::filesystem::remove(store_path.string() + suffix, ec);
    }
}

}  // namespace

nlohmann::json ingest_files(const IngestJobOptions& options) {
    if (options.files.empty()) {
        throw_invalid("no input file given");
    }
    // Every file is checked before anything is stored (or a store created).
    for (const std::string& f : options.files) {
        if (!std::filesystem::exists(f)) {
            throw_not_found("cannot open \"" + f + "\": No such file or directory");
        }
        if (std::filesystem::is_directory(f)) {
            throw_invalid("\"" + f + "\" is a folder; give the event files inside it");
        }
    }
    std::filesystem::path store_path(options.store);
    const bool new_store = !std::filesystem::exists(store_path);
    try {
        return ingest_into_store(options);
    } catch (...) {
        // A store this call created and left empty (its first file refused) is removed, so that
        // a refused run leaves nothing behind.
        if (new_store) {
            remove_if_empty(store_path);
        }
        throw;
    }
}

}  // namespace sextant
