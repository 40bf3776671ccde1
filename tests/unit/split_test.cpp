#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "sextant/core/error.h"
#include "sextant/data/event_table.h"
#include "sextant/recommend/split.h"

namespace sextant {
namespace {

Event event(const std::string& user, const std::string& item, Seconds time) {
    Event e;
    e.user = user;
    e.item = item;
    e.name = item.empty() ? "visit" : "view";
    e.time = time;
    return e;
}

// Users: "a" has four item events (two tied in time) and one without an item; "b" has only two
// item events; "c" has no item event; "d" has exactly three.
EventTable tiny_table() {
    std::vector<Event> events = {
        event("a", "x", 10), event("b", "x", 1),  event("a", "y", 20), event("c", "", 3),
        event("a", "", 30),  event("a", "z", 20), event("d", "w", 7),  event("a", "w", 5),
        event("b", "y", 2),  event("d", "y", 8),  event("d", "x", 9),
    };
    return EventTable::from_events(events);
}

std::uint32_t id(const EventTable& t, const std::string& item) {
    return *t.items.find(item);
}

TEST(Split, LeaveLastOutOnTinyTable) {
    EventTable t = tiny_table();
    Split s = leave_last_out(t);

    EXPECT_EQ(s.n_items, 4u);
    EXPECT_EQ(s.n_users_too_short, 1u);      // "b"
    EXPECT_EQ(s.n_users_without_items, 1u);  // "c"
    ASSERT_EQ(s.n_users(), 2u);
    ASSERT_EQ(s.train.size(), 2u);

    // "a" in time order: w@5, x@10, y@20, z@20 (y and z tied: input order kept).
    EXPECT_EQ(s.users[0], *t.users.find("a"));
    EXPECT_EQ(s.train[0], (std::vector<std::uint32_t>{id(t, "w"), id(t, "x")}));
    EXPECT_EQ(s.valid[0], id(t, "y"));
    EXPECT_EQ(s.test[0], id(t, "z"));

    // "d": w@7, y@8, x@9.
    EXPECT_EQ(s.users[1], *t.users.find("d"));
    EXPECT_EQ(s.train[1], (std::vector<std::uint32_t>{id(t, "w")}));
    EXPECT_EQ(s.valid[1], id(t, "y"));
    EXPECT_EQ(s.test[1], id(t, "x"));
}

TEST(Split, HistoryAtAddsValidationItemAtTestStage) {
    EventTable t = tiny_table();
    Split s = leave_last_out(t);
    std::vector<std::uint32_t> h = {99, 98};  // cleared first

    history_at(s, 0, Stage::kValid, h);
    EXPECT_EQ(h, (std::vector<std::uint32_t>{id(t, "w"), id(t, "x")}));
    history_at(s, 0, Stage::kTest, h);
    EXPECT_EQ(h, (std::vector<std::uint32_t>{id(t, "w"), id(t, "x"), id(t, "y")}));
}

TEST(Split, HistoryAtOutOfRangeIsAnError) {
    Split s = leave_last_out(tiny_table());
    std::vector<std::uint32_t> h;
    EXPECT_THROW(history_at(s, 2, Stage::kValid, h), Error);
}

TEST(Split, EmptyTableGivesEmptySplit) {
    Split s = leave_last_out(EventTable::from_events({}));
    EXPECT_EQ(s.n_users(), 0u);
    EXPECT_EQ(s.n_items, 0u);
    EXPECT_EQ(s.n_users_too_short, 0u);
    EXPECT_EQ(s.n_users_without_items, 0u);
}

}  // namespace
}  // namespace sextant
