// The embedded event store: one SQLite file per project.
//
// An ingest is one transaction: either every good row of a file is stored, or (when a row is bad
// and the policy is to reject, or when the process dies half-way) nothing is. Ingesting a file
// whose content was ingested before adds nothing and says so. Events with an id are de-duplicated
// by it. Users, items and event names are interned into dense ids kept in the store, so the
// columnar table loads without re-parsing; that table is also cached beside the store.
// Not thread-safe: one EventStore per thread.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "sextant/data/event_table.h"
#include "sextant/data/ingest.h"

namespace sextant {

namespace sqlite {
class Db;
}

struct IngestResult {
    ReadReport read;                  // what reading the file found
    bool already_ingested = false;    // the same content was stored before: nothing added
    std::string already_ingested_at;  // when that was (ISO UTC)
    std::string already_ingested_as;  // the path it had then
    std::uint64_t stored = 0;         // events added by this ingest
    std::uint64_t duplicate_ids = 0;  // rows whose id was already stored (not added again)
    std::uint64_t skipped = 0;        // bad rows skipped under BadRowPolicy::kSkip
    bool synthetic = false;           // the file says it was written by `sextant simulate`
};

// One past ingest, as recorded in the store.
struct IngestRecord {
    std::int64_t id = 0;
    std::string path;
    std::string at;  // ISO UTC
    std::string format;
    std::string layout;
    std::string mapping;
    std::uint64_t rows = 0;
    std::uint64_t stored = 0;
    std::uint64_t skipped = 0;
    std::uint64_t duplicate_ids = 0;
    std::uint64_t exact_duplicates = 0;
    std::map<std::string, std::uint64_t> skip_reasons;
    std::string epoch_unit;
    bool synthetic = false;
};

class EventStore {
public:
    // Opens the store at `path`, creating the file and its schema when new. Throws Error (kIo or
    // kInvalidInput for a file that is not a Sextant store) naming the path.
    explicit EventStore(const std::string& path);
    ~EventStore();

    // Opens a store that must already exist and writes nothing to open it (for readers such as
    // `sextant recommend`). Throws Error: kNotFound when there is no file; kInvalidInput naming
    // the path when it is a directory, empty, or not a Sextant store.
    static std::unique_ptr<EventStore> open_existing(const std::string& path);
    EventStore(const EventStore&) = delete;
    EventStore& operator=(const EventStore&) = delete;

    const std::string& path() const { return path_; }

    // Reads `file` and stores its good rows in one transaction. With BadRowPolicy::kReject, any
    // bad row stores nothing and throws Error(kInvalidInput) whose message lists the first bad
    // rows (file:line: column "x": what) and how to go on.
    IngestResult ingest(const std::string& file, const IngestOptions& options, BadRowPolicy policy,
                        const ReadProgress& progress = {});

    // The columnar table of every stored event. Served from the cache file beside the store
    // (`<path>.table`) when it is current; otherwise built from the store and cached.
    EventTable load_table();

    std::vector<IngestRecord> ingests();

    // Increases with every ingest that stored something; the table cache is keyed by it.
    std::int64_t generation();

    std::uint64_t n_events();

private:
    struct Existing {};
    EventStore(const std::string& path, Existing);

    std::string path_;
    std::unique_ptr<sqlite::Db> db_;
};

// Writes and reads the binary table cache (exposed for tests). read_table_cache returns false
// when the file is absent, of another generation or damaged.
void write_table_cache(const EventTable& table, const std::string& path, std::int64_t generation);
bool read_table_cache(const std::string& path, std::int64_t generation, EventTable& table);

}  // namespace sextant
