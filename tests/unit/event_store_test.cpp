#include "sextant/store/event_store.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "sextant/core/error.h"
#include "test_util.h"

namespace sextant {
namespace {

using testing::make_temp_dir;
using testing::write_file;

class EventStoreTest : public ::testing::Test {
protected:
    void SetUp() override { dir_ = make_temp_dir("store"); }
    void TearDown() override { std::filesystem::remove_all(dir_); }
    std::string path(const std::string& name) const { return dir_ + "/" + name; }

    std::string dir_;
};

TEST_F(EventStoreTest, StoresEveryGoodRowAndBuildsTheSortedTable) {
    write_file(path("a.csv"),
               "user,item,time\n"
               "u2,x,2024-01-02T00:00:00Z\n"
               "u1,y,2024-01-03T00:00:00Z\n"
               "u1,x,2024-01-01T00:00:00Z\n");
    EventStore store(path("s.db"));
    IngestResult r = store.ingest(path("a.csv"), IngestOptions{}, BadRowPolicy::kReject);
    EXPECT_EQ(r.stored, 3u);
    EXPECT_FALSE(r.already_ingested);

    EventTable t = store.load_table();
    ASSERT_EQ(t.n_events(), 3u);
    EXPECT_EQ(t.n_users(), 2u);
    EXPECT_EQ(t.n_items(), 2u);
    // Users are interned in order of first appearance: u2 = 0, u1 = 1.
    EXPECT_EQ(t.users.text(0), "u2");
    ASSERT_EQ(t.user_offsets, (std::vector<std::uint64_t>{0, 1, 3}));
    // u1's events come out in time order: x (Jan 1) before y (Jan 3).
    EXPECT_EQ(t.items.text(t.item[1]), "x");
    EXPECT_EQ(t.items.text(t.item[2]), "y");
    EXPECT_EQ(t.time[1], 1704067200);
}

TEST_F(EventStoreTest, SameFileTwiceAddsNothing) {
    write_file(path("a.csv"), "user,item,time\nu1,x,1700000000\nu2,y,1700000001\n");
    EventStore store(path("s.db"));
    store.ingest(path("a.csv"), IngestOptions{}, BadRowPolicy::kReject);
    IngestResult again = store.ingest(path("a.csv"), IngestOptions{}, BadRowPolicy::kReject);
    EXPECT_TRUE(again.already_ingested);
    EXPECT_EQ(again.stored, 0u);
    EXPECT_EQ(store.n_events(), 2u);
    EXPECT_EQ(store.ingests().size(), 1u);
}

TEST_F(EventStoreTest, BadRowUnderRejectStoresNothing) {
    write_file(path("bad.csv"),
               "user,item,time\nu1,x,1700000000\nu2,y,not-a-time\nu3,z,1700000002\n");
    EventStore store(path("s.db"));
    try {
        store.ingest(path("bad.csv"), IngestOptions{}, BadRowPolicy::kReject);
        FAIL() << "expected the file to be refused";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::kInvalidInput);
        std::string message = e.what();
        EXPECT_NE(message.find("bad.csv:3"), std::string::npos) << message;
        EXPECT_NE(message.find("--on-bad-row=skip"), std::string::npos) << message;
    }
    EXPECT_EQ(store.n_events(), 0u);
    EXPECT_TRUE(store.ingests().empty());
    EXPECT_EQ(store.load_table().n_users(), 0u);
}

TEST_F(EventStoreTest, BadRowUnderSkipStoresTheRest) {
    write_file(path("bad.csv"),
               "user,item,time\nu1,x,1700000000\n,y,1700000001\nu3,z,1700000002\n");
    EventStore store(path("s.db"));
    IngestResult r = store.ingest(path("bad.csv"), IngestOptions{}, BadRowPolicy::kSkip);
    EXPECT_EQ(r.stored, 2u);
    EXPECT_EQ(r.skipped, 1u);
    auto records = store.ingests();
    ASSERT_EQ(records.size(), 1u);
    EXPECT_EQ(records[0].skipped, 1u);
    EXPECT_EQ(records[0].skip_reasons.at("missing user"), 1u);
}

TEST_F(EventStoreTest, EventsWithAnIdAreStoredOnce) {
    write_file(path("a.csv"), "id,user,item,time\ne1,u1,x,1700000000\ne2,u1,y,1700000001\n");
    write_file(path("b.csv"), "id,user,item,time\ne2,u1,y,1700000001\ne3,u2,y,1700000002\n");
    EventStore store(path("s.db"));
    store.ingest(path("a.csv"), IngestOptions{}, BadRowPolicy::kReject);
    IngestResult r = store.ingest(path("b.csv"), IngestOptions{}, BadRowPolicy::kReject);
    EXPECT_EQ(r.stored, 1u);
    EXPECT_EQ(r.duplicate_ids, 1u);
    EXPECT_EQ(store.n_events(), 3u);
}

TEST_F(EventStoreTest, TableCacheIsUsedAndRefreshedAfterAnIngest) {
    write_file(path("a.csv"), "user,item,time\nu1,x,1700000000\n");
    write_file(path("b.csv"), "user,item,time\nu2,y,1700000005\n");
    {
        EventStore store(path("s.db"));
        store.ingest(path("a.csv"), IngestOptions{}, BadRowPolicy::kReject);
        EXPECT_EQ(store.load_table().n_events(), 1u);
    }
    ASSERT_TRUE(std::filesystem::exists(path("s.db.table")));
    EventStore store(path("s.db"));
    EXPECT_EQ(store.load_table().n_events(), 1u);
    store.ingest(path("b.csv"), IngestOptions{}, BadRowPolicy::kReject);
    EventTable t = store.load_table();
    EXPECT_EQ(t.n_events(), 2u);
    EXPECT_EQ(t.users.text(1), "u2");
}

TEST_F(EventStoreTest, DamagedCacheIsIgnored) {
    write_file(path("a.csv"), "user,item,time\nu1,x,1700000000\nu1,y,1700000001\n");
    {
        EventStore store(path("s.db"));
        store.ingest(path("a.csv"), IngestOptions{}, BadRowPolicy::kReject);
        store.load_table();
    }
    std::string cache = testing::read_file(path("s.db.table"));
    write_file(path("s.db.table"), cache.substr(0, cache.size() / 2));
    EventStore store(path("s.db"));
    EXPECT_EQ(store.load_table().n_events(), 2u);
}

TEST_F(EventStoreTest, FileThatIsNotAStoreIsAClearError) {
    write_file(path("junk.db"), std::string(4096, 'x'));
    try {
        EventStore store(path("junk.db"));
        FAIL() << "expected an error";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("junk.db"), std::string::npos) << e.what();
    }
}

}  // namespace
}  // namespace sextant
