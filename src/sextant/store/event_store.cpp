#include "sextant/store/event_store.h"

#include <xxhash.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>

#include "sextant/core/error.h"
#include "sextant/core/log.h"
#include "sextant/store/sqlite_db.h"

namespace sextant {
namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS ingests(
    id INTEGER PRIMARY KEY,
    path TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    bytes INTEGER NOT NULL,
    at TEXT NOT NULL,
    format TEXT, layout TEXT, mapping TEXT,
    rows INTEGER, stored INTEGER, skipped INTEGER, duplicate_ids INTEGER,
    exact_duplicates INTEGER, skip_reasons TEXT, epoch_unit TEXT, synthetic INTEGER);
CREATE INDEX IF NOT EXISTS ingests_hash ON ingests(content_hash);
CREATE TABLE IF NOT EXISTS users(id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS items(id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS names(id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS events(
    seq INTEGER PRIMARY KEY,
    user INTEGER NOT NULL,
    item INTEGER,
    name INTEGER NOT NULL,
    time INTEGER NOT NULL,
    value REAL,
    event_id TEXT,
    ingest INTEGER NOT NULL);
CREATE UNIQUE INDEX IF NOT EXISTS events_event_id ON events(event_id) WHERE event_id IS NOT NULL;
)sql";

constexpr std::int64_t kSchemaVersion = 1;

std::string now_iso() {
    auto now = std::chrono::system_clock::now();
    return format_utc(
        std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count());
}

// XXH3-128 of the file's bytes, as hex. This reads the file once more before parsing it; at
// ~10 GB/s of hashing that costs a few percent of an ingest, and it lets a repeated file be
// refused before anything is parsed. Throws kNotFound when the file cannot be opened.
std::string content_hash(const std::string& file, std::uint64_t& bytes) {
    std::FILE* f = std::fopen(file.c_str(), "rb");
    if (f == nullptr) {
        throw_not_found("cannot open \"" + file + "\": " + std::strerror(errno));
    }
    XXH3_state_t* state = XXH3_createState();
    XXH3_128bits_reset(state);
    std::vector<char> buf(1 << 20);
    bytes = 0;
    std::size_t n;
    while ((n = std::fread(buf.data(), 1, buf.size(), f)) > 0) {
        XXH3_128bits_update(state, buf.data(), n);
        bytes += n;
    }
    bool failed = std::ferror(f) != 0;
    std::fclose(f);
    XXH128_hash_t h = XXH3_128bits_digest(state);
    XXH3_freeState(state);
    if (failed) {
        throw_io("cannot read \"" + file + "\"");
    }
    char hex[40];
    std::snprintf(hex, sizeof hex, "%016llx%016llx", static_cast<unsigned long long>(h.high64),
                  static_cast<unsigned long long>(h.low64));
    return hex;
}

// Loads one dictionary table (ids are dense from 0).
void load_dictionary(sqlite::Db& db, const char* table, Dictionary& dict) {
    sqlite::Statement count(db,
                            std::string("SELECT count(*), coalesce(max(id), -1) FROM ") + table);
    count.step();
    std::int64_t n = count.column_int(0);
    if (count.column_int(1) != n - 1) {
        throw Error(ErrorKind::kInvalidInput,
                    "store \"" + db.path() + "\": table " + table + " is damaged (ids not dense)");
    }
    std::vector<std::string> texts(static_cast<std::size_t>(n));
    sqlite::Statement rows(db, std::string("SELECT id, key FROM ") + table);
    while (rows.step()) {
        texts[static_cast<std::size_t>(rows.column_int(0))] = rows.column_text(1);
    }
    dict.assign(std::move(texts));
}

// Interns `text`, inserting it into the store's dictionary table when it is new.
std::uint32_t intern(Dictionary& dict, sqlite::Statement& insert, std::string_view text) {
    std::size_t before = dict.size();
    std::uint32_t id = dict.intern(text);
    if (dict.size() != before) {
        insert.bind(1, static_cast<std::int64_t>(id));
        insert.bind(2, text);
        insert.run();
    }
    return id;
}

std::string random_id() {
    std::random_device rd;
    char buf[40];
    std::snprintf(buf, sizeof buf, "%08x%08x%08x", rd(), rd(), rd());
    return buf;
}

}  // namespace

EventStore::EventStore(const std::string& path) : path_(path) {
    db_ = std::make_unique<sqlite::Db>(path);
    db_->exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;");
    db_->exec(kSchema);
    sqlite::Statement version(*db_, "SELECT value FROM meta WHERE key = 'schema_version'");
    if (version.step()) {
        if (std::stoll(version.column_text(0)) != kSchemaVersion) {
            throw_invalid("store \"" + path + "\" has schema version " + version.column_text(0) +
                          "; this sextant reads version " + std::to_string(kSchemaVersion));
        }
    } else {
        db_->exec("INSERT INTO meta VALUES('schema_version', '" + std::to_string(kSchemaVersion) +
                  "'), ('generation', '0'), ('store_id', '" + random_id() + "')");
    }
}

EventStore::EventStore(const std::string& path, Existing) : path_(path) {
    std::error_code ec;
    auto status = std::filesystem::status(path, ec);
    if (ec || !std::filesystem::exists(status)) {
        throw_not_found("store \"" + path + "\": no such file");
    }
    if (!std::filesystem::is_regular_file(status) || std::filesystem::file_size(path, ec) == 0) {
        throw_invalid("store \"" + path + "\": not a Sextant store (" +
                      (std::filesystem::is_regular_file(status) ? "empty file" : "not a file") +
                      ")");
    }
    db_ = std::make_unique<sqlite::Db>(path);
    bool ok = false;
    try {
        sqlite::Statement version(*db_, "SELECT value FROM meta WHERE key = 'schema_version'");
        ok = version.step() && std::stoll(version.column_text(0)) == kSchemaVersion;
    } catch (const Error& e) {
        if (e.kind() == ErrorKind::kInvalidInput) {
            throw;
        }
    } catch (const std::exception&) {
    }
    if (!ok) {
        throw_invalid("store \"" + path + "\": not a Sextant store of schema version " +
                      std::to_string(kSchemaVersion));
    }
}

std::unique_ptr<EventStore> EventStore::open_existing(const std::string& path) {
    return std::unique_ptr<EventStore>(new EventStore(path, Existing{}));
}

EventStore::~EventStore() = default;

std::int64_t EventStore::generation() {
    sqlite::Statement q(*db_, "SELECT value FROM meta WHERE key = 'generation'");
    return q.step() ? std::stoll(q.column_text(0)) : 0;
}

std::uint64_t EventStore::n_events() {
    sqlite::Statement q(*db_, "SELECT count(*) FROM events");
    q.step();
    return static_cast<std::uint64_t>(q.column_int(0));
}

IngestResult EventStore::ingest(const std::string& file, const IngestOptions& options,
                                BadRowPolicy policy, const ReadProgress& progress) {
    IngestResult result;
    std::uint64_t bytes = 0;
    std::string hash = content_hash(file, bytes);

    {
        sqlite::Statement seen(*db_, "SELECT at, path FROM ingests WHERE content_hash = ?");
        seen.bind(1, hash);
        if (seen.step()) {
            result.already_ingested = true;
            result.already_ingested_at = seen.column_text(0);
            result.already_ingested_as = seen.column_text(1);
            result.read.path = file;
            return result;
        }
    }

    sqlite::Transaction tx(*db_);
    Dictionary users, items, names;
    load_dictionary(*db_, "users", users);
    load_dictionary(*db_, "items", items);
    load_dictionary(*db_, "names", names);

    sqlite::Statement insert_user(*db_, "INSERT INTO users(id, key) VALUES(?, ?)");
    sqlite::Statement insert_item(*db_, "INSERT INTO items(id, key) VALUES(?, ?)");
    sqlite::Statement insert_name(*db_, "INSERT INTO names(id, key) VALUES(?, ?)");
    sqlite::Statement id_seen(*db_, "SELECT 1 FROM events WHERE event_id = ?");
    sqlite::Statement insert_event(
        *db_,
        "INSERT INTO events(user, item, name, time, value, event_id, ingest) "
        "VALUES(?, ?, ?, ?, ?, ?, (SELECT coalesce(max(id), 0) + 1 FROM ingests))");

    // Bad rows are known only once the whole file is read; under the reject policy the
    // transaction then rolls back whatever the sink inserted.
    auto sink = [&](const Event& e) {
        if (!e.id.empty()) {
            id_seen.bind(1, e.id);
            bool dup = id_seen.step();
            id_seen.reset();
            if (dup) {
                ++result.duplicate_ids;
                return;
            }
        }
        insert_event.bind(1, static_cast<std::int64_t>(intern(users, insert_user, e.user)));
        if (e.item.empty()) {
            insert_event.bind_null(2);
        } else {
            insert_event.bind(2, static_cast<std::int64_t>(intern(items, insert_item, e.item)));
        }
        insert_event.bind(3, static_cast<std::int64_t>(intern(names, insert_name, e.name)));
        insert_event.bind(4, static_cast<std::int64_t>(e.time));
        if (std::isnan(e.value)) {
            insert_event.bind_null(5);
        } else {
            insert_event.bind(5, e.value);
        }
        if (e.id.empty()) {
            insert_event.bind_null(6);
        } else {
            insert_event.bind(6, e.id);
        }
        insert_event.run();
        ++result.stored;
    };
    result.read = read_events(file, options, sink, progress);

    if (result.read.bad_rows > 0 && policy == BadRowPolicy::kReject) {
        // The transaction rolls back when `tx` goes out of scope.
        std::string message = result.read.describe_errors();
        message += "\nnothing from \"" + file + "\" was stored: fix these rows, or pass " +
                   "--on-bad-row=skip to store the good rows and skip the bad ones";
        throw_invalid(message);
    }
    result.skipped = result.read.bad_rows;
    result.synthetic = result.read.synthetic;

    nlohmann::json reasons = result.read.bad_reasons;
    sqlite::Statement record(
        *db_,
        "INSERT INTO ingests(path, content_hash, bytes, at, format, layout, mapping, rows, "
        "stored, skipped, duplicate_ids, exact_duplicates, skip_reasons, epoch_unit, "
        "synthetic) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    record.bind(1, file);
    record.bind(2, hash);
    record.bind(3, static_cast<std::int64_t>(bytes));
    record.bind(4, now_iso());
    record.bind(5, result.read.format);
    record.bind(6, result.read.layout);
    record.bind(7, result.read.mapping);
    record.bind(8, static_cast<std::int64_t>(result.read.rows));
    record.bind(9, static_cast<std::int64_t>(result.stored));
    record.bind(10, static_cast<std::int64_t>(result.skipped));
    record.bind(11, static_cast<std::int64_t>(result.duplicate_ids));
    record.bind(12, static_cast<std::int64_t>(result.read.exact_duplicates));
    record.bind(13, reasons.dump());
    record.bind(14, result.read.epoch_unit);
    record.bind(15, static_cast<std::int64_t>(result.synthetic ? 1 : 0));
    record.run();
    if (result.stored > 0) {
        db_->exec("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'generation'");
    }
    tx.commit();
    return result;
}

std::vector<IngestRecord> EventStore::ingests() {
    std::vector<IngestRecord> out;
    sqlite::Statement q(*db_,
                        "SELECT id, path, at, format, layout, mapping, rows, stored, skipped, "
                        "duplicate_ids, exact_duplicates, skip_reasons, epoch_unit, synthetic "
                        "FROM ingests ORDER BY id");
    while (q.step()) {
        IngestRecord r;
        r.id = q.column_int(0);
        r.path = q.column_text(1);
        r.at = q.column_text(2);
        r.format = q.column_text(3);
        r.layout = q.column_text(4);
        r.mapping = q.column_text(5);
        r.rows = static_cast<std::uint64_t>(q.column_int(6));
        r.stored = static_cast<std::uint64_t>(q.column_int(7));
        r.skipped = static_cast<std::uint64_t>(q.column_int(8));
        r.duplicate_ids = static_cast<std::uint64_t>(q.column_int(9));
        r.exact_duplicates = static_cast<std::uint64_t>(q.column_int(10));
        auto reasons = nlohmann::json::parse(q.column_text(11), nullptr, false);
        if (reasons.is_object()) {
            for (auto& [k, v] : reasons.items()) {
                r.skip_reasons[k] = v.get<std::uint64_t>();
            }
        }
        r.epoch_unit = q.column_text(12);
        r.synthetic = q.column_int(13) != 0;
        out.push_back(std::move(r));
    }
    return out;
}

EventTable EventStore::load_table() {
    std::int64_t gen = generation();
    std::string store_id;
    {
        sqlite::Statement q(*db_, "SELECT value FROM meta WHERE key = 'store_id'");
        store_id = q.step() ? q.column_text(0) : "";
    }
    std::string cache = path_ + ".table";
    // The cache is keyed by the store's identity and generation together.
    std::int64_t key =
        gen ^ static_cast<std::int64_t>(XXH3_64bits(store_id.data(), store_id.size()));

    EventTable table;
    if (read_table_cache(cache, key, table)) {
        log::debug("event table: read from cache " + cache);
        return table;
    }

    load_dictionary(*db_, "users", table.users);
    load_dictionary(*db_, "items", table.items);
    load_dictionary(*db_, "names", table.names);
    std::size_t n = n_events();
    table.user.reserve(n);
    table.item.reserve(n);
    table.name.reserve(n);
    table.time.reserve(n);
    table.value.reserve(n);
    sqlite::Statement q(*db_, "SELECT user, item, name, time, value FROM events ORDER BY seq");
    while (q.step()) {
        table.user.push_back(static_cast<std::uint32_t>(q.column_int(0)));
        table.item.push_back(q.column_is_null(1) ? kNoItem
                                                 : static_cast<std::uint32_t>(q.column_int(1)));
        table.name.push_back(static_cast<std::uint32_t>(q.column_int(2)));
        table.time.push_back(q.column_int(3));
        table.value.push_back(q.column_is_null(4) ? std::nanf("")
                                                  : static_cast<float>(q.column_double(4)));
    }
    table.sort_and_index();
    try {
        write_table_cache(table, cache, key);
    } catch (const Error& e) {
        log::warn(std::string("could not write the table cache: ") + e.what());
    }
    return table;
}

}  // namespace sextant
