#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "sextant/core/error.h"
#include "sextant/recommend/item_knn.h"
#include "sextant/recommend/model_io.h"
#include "sextant/recommend/popular.h"
#include "sextant/recommend/service.h"
#include "sextant/recommend/split.h"
#include "sextant/store/event_store.h"
#include "test_util.h"

namespace sextant {
namespace {

namespace fs = std::filesystem;

// Four users; leave-last-out keeps each one's first items for training:
//   a: x1 x2 | x3 x4      b: x1 x2 | x5 x6      c: x2 x3 | x7 x8      d: x9 | x9 x9
// and e has one event (x3), too few to be evaluated but a history all the same. Item-kNN's
// training similarities, by hand (training users of x1: {a, b}, x2: {a, b, c}, x3: {c}, x9:
// {d}): sim(x1, x2) = 2 / sqrt(2 * 3) = 0.8165, sim(x2, x3) = 1 / sqrt(3 * 1) = 0.5774,
// sim(x1, x3) = 0. Every event is in January 2024 except d's, which are the last 3
// days of the data (Feb 10-12), so the 7-day trending window holds x9 alone (3 events).
constexpr char kEvents[] =
    "user,item,event,timestamp\n"
    "a,x1,view,2024-01-01T00:00:00Z\n"
    "a,x2,view,2024-01-02T00:00:00Z\n"
    "a,x3,view,2024-01-03T00:00:00Z\n"
    "a,x4,view,2024-01-04T00:00:00Z\n"
    "b,x1,view,2024-01-01T01:00:00Z\n"
    "b,x2,view,2024-01-02T01:00:00Z\n"
    "b,x5,view,2024-01-03T01:00:00Z\n"
    "b,x6,view,2024-01-04T01:00:00Z\n"
    "c,x2,view,2024-01-01T02:00:00Z\n"
    "c,x3,view,2024-01-02T02:00:00Z\n"
    "c,x7,view,2024-01-03T02:00:00Z\n"
    "c,x8,view,2024-01-04T02:00:00Z\n"
    "e,x3,view,2024-01-05T00:00:00Z\n"
    "d,x9,view,2024-02-10T00:00:00Z\n"
    "d,x9,view,2024-02-11T00:00:00Z\n"
    "d,x9,view,2024-02-12T00:00:00Z\n";

RecommendRequest request_for(const std::string& user, std::size_t k, bool include_owned = false) {
    RecommendRequest r;
    r.user = user;
    r.k = k;
    r.include_owned = include_owned;
    return r;
}

class Service : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = testing::make_temp_dir("service");
        store_ = dir_ / "sextant.db";
        ingest("events.csv", kEvents);
        auto [split, info] = split_of(store_);
        ItemKnn knn;
        knn.fit(split);
        save_recommender(dir_ / "knn", knn, info);
        MostPopular popular;
        popular.fit(split);
        save_recommender(dir_ / "popular", popular, info);
    }

    // The leave-last-out split of a store's table and the model information saved beside it.
    static std::pair<Split, RecommenderInfo> split_of(const fs::path& store_path) {
        EventStore store(store_path.string());
        EventTable table = store.load_table();
        RecommenderInfo info;
        info.items = table.items.texts();
        count_popularity(table, 7, info);
        info.data = {{"store", store_path.string()}};
        return {leave_last_out(table), std::move(info)};
    }
    void TearDown() override { fs::remove_all(dir_); }

    void ingest(const std::string& name, const std::string& text) {
        fs::path file = dir_ / name;
        std::ofstream(file) << text;
        EventStore store(store_.string());
        store.ingest(file.string(), IngestOptions{}, BadRowPolicy::kReject);
    }

    std::vector<std::string> items_of(const RecommendResponse& r) {
        std::vector<std::string> out;
        for (const auto& item : r.items) {
            out.push_back(item.item);
        }
        return out;
    }

    fs::path dir_;
    fs::path store_;
};

TEST_F(Service, RecommendsFromTheHistoryWithTheContributingItemAsReason) {
    RecommendService service(dir_ / "knn");
    RecommendResponse r = service.recommend(request_for("e", 1));
    EXPECT_EQ(r.source, "model");
    EXPECT_EQ(r.model, "item_knn");
    EXPECT_EQ(r.history_events, 1u);
    ASSERT_EQ(items_of(r), (std::vector<std::string>{"x2"}));
    EXPECT_NEAR(r.items[0].score, 1 / std::sqrt(3.0), 1e-6);
    EXPECT_EQ(r.items[0].because_item, "x3");
    EXPECT_EQ(r.items[0].reason, "because you had x3");
}

TEST_F(Service, EventsAddedAfterTrainingCountInTheHistory) {
    // e now has x2 as well: x2 is owned (not recommended) and brings x1 (sim 0.8165).
    ingest("later.csv", "user,item,event,timestamp\ne,x2,view,2024-02-12T12:00:00Z\n");
    RecommendService service(dir_ / "knn");
    RecommendResponse r = service.recommend(request_for("e", 1));
    EXPECT_EQ(r.history_events, 2u);
    ASSERT_EQ(items_of(r), (std::vector<std::string>{"x1"}));
    EXPECT_NEAR(r.items[0].score, 2 / std::sqrt(6.0), 1e-6);
    EXPECT_EQ(r.items[0].because_item, "x2");
}

// item-kNN's reason was sought among the 30 most recent items only: an item brought by an older
// one was said to fit "your history as a whole".
TEST_F(Service, ItemKnnReasonReachesBackPastTheMostRecentItems) {
    // z's oldest item, i0, is the only one that co-occurs with t (in w's training part); z then
    // has 35 more items that nobody else has.
    std::string text = "user,item,event,timestamp\n";
    auto add = [&](const char* user, const char* item, int minute) {
        char line[80];
        std::snprintf(line, sizeof line, "%s,%s,view,2024-03-01T%02d:%02d:00Z\n", user, item,
                      minute / 60, minute % 60);
        text += line;
    };
    for (int k = 0; k < 36; ++k) {
        char item[8];
        std::snprintf(item, sizeof item, "i%d", k);
        add("z", item, k);
    }
    add("w", "i0", 100);
    add("w", "t", 101);
    add("w", "y", 102);
    add("w", "y2", 103);
    fs::path file = dir_ / "old.csv";
    std::ofstream(file) << text;
    fs::path store_path = dir_ / "old.db";
    EventStore(store_path.string()).ingest(file.string(), IngestOptions{}, BadRowPolicy::kReject);
    auto [split, info] = split_of(store_path);
    ItemKnn knn;
    knn.fit(split);
    save_recommender(dir_ / "knn-old", knn, info);

    RecommendService service(dir_ / "knn-old");
    RecommendResponse r = service.recommend(request_for("z", 1));
    ASSERT_EQ(items_of(r), (std::vector<std::string>{"t"}));
    EXPECT_EQ(r.items[0].reason, "because you had i0");
}

TEST_F(Service, OwnedItemsOnlyWhenAsked) {
    RecommendService service(dir_ / "knn");
    // a owns x1..x4; x1 scores sim(x2,x1) = 0.8165, x2 scores 0.8165 + 0.5774 (from x1, x3).
    RecommendResponse r = service.recommend(request_for("a", 2, true));
    EXPECT_EQ(items_of(r), (std::vector<std::string>{"x2", "x1"}));
    r = service.recommend(request_for("a", 20));
    for (const std::string& item : items_of(r)) {
        EXPECT_TRUE(item != "x1" && item != "x2" && item != "x3" && item != "x4") << item;
    }
    // 9 items, 4 owned: 5 left.
    EXPECT_EQ(r.items.size(), 5u);
}

TEST_F(Service, ItemFiltersApply) {
    RecommendService service(dir_ / "knn");
    RecommendRequest request = request_for("e", 3);
    request.exclude_items = {"x2"};
    request.only_items = std::unordered_set<std::string>{"x2", "x7", "x9", "unknown"};
    // x2 excluded; x7 and x9 score 0 and tie: the lower item id (x7, seen first) comes first.
    RecommendResponse r = service.recommend(request);
    EXPECT_EQ(items_of(r), (std::vector<std::string>{"x7", "x9"}));
    EXPECT_EQ(r.items[0].reason, "fits your history as a whole");
}

TEST_F(Service, UnknownUserGetsTrendingItemsMarkedAsSuch) {
    RecommendService service(dir_ / "knn");
    RecommendResponse r = service.recommend(request_for("zed", 2));
    EXPECT_EQ(r.source, "trending");
    EXPECT_NE(r.note.find("unknown user"), std::string::npos);
    ASSERT_EQ(r.items.size(), 2u);
    EXPECT_EQ(r.items[0].item, "x9");
    EXPECT_EQ(r.items[0].reason, "trending: 3 events in the last 7 days");
    // Outside the window every item has 0 and popularity (events in the data) breaks the tie:
    // x2, x3 and x9 have 3 each, x9 is taken, x2 was seen before x3.
    // An item with no event in the window is not called trending.
    EXPECT_EQ(r.items[1].item, "x2");
    EXPECT_EQ(r.items[1].reason, "popular: 3 events in the training data");
}

TEST_F(Service, UserWhoseItemsAreAllNewGetsTheFallbackWithoutTheirItems) {
    ingest("new.csv", "user,item,event,timestamp\nf,brand-new,view,2024-02-12T00:00:00Z\n");
    RecommendService service(dir_ / "knn");
    RecommendResponse r = service.recommend(request_for("f", 1));
    EXPECT_EQ(r.source, "trending");
    EXPECT_EQ(r.history_events, 1u);
    EXPECT_EQ(r.history_used, 0u);
    EXPECT_EQ(r.note, "none of the user's items was in the training data");
}

TEST_F(Service, SimilarItemsAndTheirErrors) {
    RecommendService knn(dir_ / "knn");
    SimilarResponse s = knn.similar("x1", 5);
    ASSERT_EQ(s.items.size(), 1u);  // x1's only neighbour in training is x2
    EXPECT_EQ(s.items[0].first, "x2");
    EXPECT_NEAR(s.items[0].second, 2 / std::sqrt(6.0), 1e-6);
    try {
        knn.similar("nope", 5);
        ADD_FAILURE() << "no error";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::kNotFound);
        EXPECT_EQ(std::string(e.what()), "item \"nope\" not found: the model knows 9 items");
    }
    RecommendService popular(dir_ / "popular");
    EXPECT_THROW(popular.similar("x1", 5), Error);
    EXPECT_THROW(knn.recommend(request_for("a", 0)), Error);
    EXPECT_THROW(knn.recommend(request_for("", 3)), Error);
}

// `--store` on a file that was not a store turned it into an empty one and answered from it.
TEST_F(Service, FileThatIsNotAStoreIsRefusedAndLeftAlone) {
    fs::path empty = dir_ / "empty.txt";
    std::ofstream(empty).close();
    try {
        RecommendService service(dir_ / "knn", empty);
        ADD_FAILURE() << "no error";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::kInvalidInput);
        EXPECT_NE(std::string(e.what()).find("not a Sextant store"), std::string::npos) << e.what();
    }
    EXPECT_EQ(fs::file_size(empty), 0u);
    EXPECT_FALSE(fs::exists(dir_ / "empty.txt.table"));
    EXPECT_THROW(RecommendService(dir_ / "knn", dir_), Error);  // a directory
}

TEST_F(Service, FilterOfUnknownItemsSaysSo) {
    RecommendService service(dir_ / "knn");
    RecommendRequest request = request_for("e", 3);
    request.only_items = std::unordered_set<std::string>{"nope", "neither"};
    RecommendResponse r = service.recommend(request);
    EXPECT_TRUE(r.items.empty());
    EXPECT_EQ(r.note, "none of the 2 items allowed by the filter is known to the model");
}

// The popular model's reason gave the count over all events beside a score of training counts.
TEST_F(Service, PopularReasonStatesTheScoreItRanksBy) {
    RecommendService service(dir_ / "popular");
    RecommendResponse r = service.recommend(request_for("d", 1));
    ASSERT_EQ(r.items.size(), 1u);
    // Training counts (first items of each user): x1 2 (a, b), x2 3 (a, b, c), x3 1, x9 1.
    EXPECT_EQ(r.items[0].item, "x2");
    EXPECT_EQ(r.items[0].score, 3.0f);
    EXPECT_EQ(r.items[0].reason, "popular: 3 events in the training data");
}

TEST_F(Service, MissingStoreIsNamedWithTheWayOut) {
    fs::rename(store_, dir_ / "moved.db");
    try {
        RecommendService service(dir_ / "knn");
        ADD_FAILURE() << "no error";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::kNotFound);
        EXPECT_NE(std::string(e.what()).find("pass --store"), std::string::npos) << e.what();
    }
    RecommendService service(dir_ / "knn", dir_ / "moved.db");
    EXPECT_EQ(service.recommend(request_for("e", 1)).items[0].item, "x2");
}

}  // namespace
}  // namespace sextant
