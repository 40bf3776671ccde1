#include "sextant/predict/features.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

#include "analytics_fixture.h"
#include "sextant/core/error.h"
#include "sextant/sim/simulate.h"

namespace sextant {
namespace {

Seconds at(int y, unsigned m, unsigned d, int hour, int minute = 0, int second = 0) {
    return days_from_civil(y, m, d) * kSecondsPerDay + hour * 3600 + minute * 60 + second;
}

Event event(const std::string& user, const std::string& name, Seconds t,
            const std::string& item = "", double value = std::nan("")) {
    Event e;
    e.user = user;
    e.name = name;
    e.time = t;
    e.item = item;
    e.value = value;
    return e;
}

const Seconds kCutoff = at(2024, 3, 1, 0);  // Mar 1 2024 00:00Z; 2024 is a leap year

// The hand-made log. Windows from the cutoff: 7 days back = Feb 23, 30 = Jan 31, 60 = Jan 1,
// 90 = Dec 2 2023 (all 00:00Z). The horizon of 30 days is [Mar 1, Mar 31).
//   A: Nov 20 10:00 view i1 | Jan 10 12:00 purchase i2 50 | Jan 10 18:00 return i2 -50 |
//      Feb 10 09:00 view i1 | Feb 25 09:00 purchase i3 20 | Feb 29 23:59:59 view i3 (cutoff - 1 s)
//      Mar 1 00:00:00 purchase i4 30 (exactly the cutoff: horizon)
//   B: Feb 20 08:00 view i5 | Feb 20 20:00 cart i5 0 | Mar 10 view (horizon)
//   C: Mar 5 view | Apr 2 12:00 view (the last event of the data): no event before the cutoff
//   D: Dec 15 12:00 view (no item) | Dec 16 12:00 view i1 -5 | Mar 31 00:00 view (cutoff +
//      horizon: outside the horizon)
std::vector<Event> hand_events() {
    return {
        event("A", "view", at(2023, 11, 20, 10), "i1"),
        event("A", "purchase", at(2024, 1, 10, 12), "i2", 50),
        event("A", "return", at(2024, 1, 10, 18), "i2", -50),
        event("A", "view", at(2024, 2, 10, 9), "i1"),
        event("A", "purchase", at(2024, 2, 25, 9), "i3", 20),
        event("A", "view", at(2024, 2, 29, 23, 59, 59), "i3"),
        event("A", "purchase", at(2024, 3, 1, 0), "i4", 30),
        event("B", "view", at(2024, 2, 20, 8), "i5"),
        event("B", "cart", at(2024, 2, 20, 20), "i5", 0),
        event("B", "view", at(2024, 3, 10, 12), "i5"),
        event("C", "view", at(2024, 3, 5, 12), "i1"),
        event("C", "view", at(2024, 4, 2, 12), "i1"),
        event("D", "view", at(2023, 12, 15, 12)),
        event("D", "view", at(2023, 12, 16, 12), "i1", -5),
        event("D", "view", at(2024, 3, 31, 0), "i1"),
    };
}

FeatureOptions hand_options() {
    FeatureOptions o;
    o.cutoff = kCutoff;
    o.target_event = "purchase";
    return o;
}

double feature(const FeatureMatrix& m, std::size_t row, const std::string& name) {
    std::optional<std::size_t> column = m.feature_index(name);
    EXPECT_TRUE(column.has_value()) << name;
    return column ? m.at(row, *column) : std::nan("");
}

// Runs `f`, expecting an invalid-input Error whose one-line message contains `part`.
template <typename F>
void expect_invalid(F f, const std::string& part) {
    try {
        f();
        ADD_FAILURE() << "no error; expected one containing " << part;
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::kInvalidInput);
        std::string message = e.what();
        EXPECT_NE(message.find(part), std::string::npos) << message;
        EXPECT_EQ(message.find('\n'), std::string::npos) << message;
    }
}

TEST(PredictFeatures, HandComputedFeaturesAndLabels) {
    FeatureMatrix m = build_features(EventTable::from_events(hand_events()), hand_options());

    EXPECT_EQ(m.users, (std::vector<std::uint32_t>{0, 1, 3}));
    EXPECT_EQ(m.user_names, (std::vector<std::string>{"A", "B", "D"}));
    EXPECT_EQ(m.cutoff, kCutoff);
    EXPECT_EQ(m.horizon_days, 30);
    // Counts before the cutoff: view 6, purchase 2, return 1, cart 1 (the tie goes by text).
    EXPECT_EQ(m.event_names, (std::vector<std::string>{"view", "purchase", "cart", "return"}));
    ASSERT_EQ(m.n_features(), 21u + 4u);
    EXPECT_EQ(m.feature_names.front(), "days_since_last_event");
    EXPECT_EQ(m.feature_names.back(), "events_return");
    ASSERT_EQ(m.values.size(), m.n_rows() * m.n_features());

    // A. Active days Nov 20, Jan 10, Feb 10, Feb 25, Feb 29: gaps 51, 31, 15, 4.
    EXPECT_DOUBLE_EQ(feature(m, 0, "days_since_last_event"), 1.0 / 86400);
    EXPECT_DOUBLE_EQ(feature(m, 0, "days_since_first_event"), 101 + 14.0 / 24);  // Nov 20 10:00
    EXPECT_EQ(feature(m, 0, "events_total"), 6);
    EXPECT_EQ(feature(m, 0, "active_days_total"), 5);
    EXPECT_EQ(feature(m, 0, "events_last_7_days"), 2);   // Feb 25, Feb 29
    EXPECT_EQ(feature(m, 0, "events_last_30_days"), 3);  // + Feb 10
    EXPECT_EQ(feature(m, 0, "events_last_90_days"), 5);  // + Jan 10 twice
    EXPECT_EQ(feature(m, 0, "active_days_last_7_days"), 2);
    EXPECT_EQ(feature(m, 0, "active_days_last_30_days"), 3);
    EXPECT_EQ(feature(m, 0, "active_days_last_90_days"), 4);
    EXPECT_DOUBLE_EQ(feature(m, 0, "activity_trend_30_days"), (3.0 - 2) / (3 + 2));
    EXPECT_EQ(feature(m, 0, "positive_value_total"), 70);
    EXPECT_EQ(feature(m, 0, "positive_value_last_30_days"), 20);
    EXPECT_EQ(feature(m, 0, "positive_value_last_90_days"), 70);
    EXPECT_DOUBLE_EQ(feature(m, 0, "negative_value_share"), 1.0 / 3);  // 50, -50, 20
    EXPECT_EQ(feature(m, 0, "distinct_items"), 3);
    EXPECT_DOUBLE_EQ(feature(m, 0, "gap_days_mean"), 101.0 / 4);
    EXPECT_EQ(feature(m, 0, "gap_days_median"), 23);  // (15 + 31) / 2
    EXPECT_EQ(feature(m, 0, "gap_days_max"), 51);
    // Deviations from 25.25: 25.75, 5.75, -10.25, -21.25; squares sum to 1252.75.
    EXPECT_DOUBLE_EQ(feature(m, 0, "gap_days_std"), std::sqrt(1252.75 / 4));
    EXPECT_EQ(feature(m, 0, "gap_days_last"), 4);
    EXPECT_EQ(feature(m, 0, "events_view"), 3);
    EXPECT_EQ(feature(m, 0, "events_purchase"), 2);  // not the one at the cutoff
    EXPECT_EQ(feature(m, 0, "events_cart"), 0);
    EXPECT_EQ(feature(m, 0, "events_return"), 1);

    // B. One active day (Feb 20, 10 days before Mar 1 in a leap year): the gap columns are 0
    // by definition.
    EXPECT_DOUBLE_EQ(feature(m, 1, "days_since_last_event"), 9 + 4.0 / 24);    // Feb 20 20:00
    EXPECT_DOUBLE_EQ(feature(m, 1, "days_since_first_event"), 9 + 16.0 / 24);  // Feb 20 08:00
    EXPECT_EQ(feature(m, 1, "events_total"), 2);
    EXPECT_EQ(feature(m, 1, "active_days_total"), 1);
    EXPECT_EQ(feature(m, 1, "events_last_7_days"), 0);
    EXPECT_EQ(feature(m, 1, "events_last_30_days"), 2);
    EXPECT_EQ(feature(m, 1, "active_days_last_7_days"), 0);
    EXPECT_EQ(feature(m, 1, "active_days_last_90_days"), 1);
    EXPECT_EQ(feature(m, 1, "activity_trend_30_days"), 1);  // 2 against 0
    EXPECT_EQ(feature(m, 1, "positive_value_total"), 0);
    EXPECT_EQ(feature(m, 1, "negative_value_share"), 0);  // one valued event, worth 0
    EXPECT_EQ(feature(m, 1, "distinct_items"), 1);
    for (const char* gap :
         {"gap_days_mean", "gap_days_median", "gap_days_max", "gap_days_std", "gap_days_last"}) {
        EXPECT_EQ(feature(m, 1, gap), 0) << gap;
    }
    EXPECT_EQ(feature(m, 1, "events_cart"), 1);

    // D. Dec 15 and Dec 16 (noon): one gap of 1 day; the event without an item is no item.
    EXPECT_DOUBLE_EQ(feature(m, 2, "days_since_last_event"), 75.5);
    EXPECT_DOUBLE_EQ(feature(m, 2, "days_since_first_event"), 76.5);
    EXPECT_EQ(feature(m, 2, "events_last_30_days"), 0);
    EXPECT_EQ(feature(m, 2, "events_last_90_days"), 2);
    EXPECT_EQ(feature(m, 2, "active_days_last_90_days"), 2);
    EXPECT_EQ(feature(m, 2, "activity_trend_30_days"), 0);  // 0 against 0
    EXPECT_EQ(feature(m, 2, "negative_value_share"), 1);
    EXPECT_EQ(feature(m, 2, "distinct_items"), 1);
    EXPECT_EQ(feature(m, 2, "gap_days_mean"), 1);
    EXPECT_EQ(feature(m, 2, "gap_days_median"), 1);
    EXPECT_EQ(feature(m, 2, "gap_days_std"), 0);
    EXPECT_EQ(feature(m, 2, "gap_days_last"), 1);
    EXPECT_EQ(feature(m, 2, "events_view"), 2);

    // Labels: A bought at the cutoff; B came back with a view; D's Mar 31 event is past the
    // horizon, so D churned.
    ASSERT_TRUE(m.churn && m.propensity);
    EXPECT_EQ(*m.churn, (std::vector<std::uint8_t>{0, 0, 1}));
    EXPECT_EQ(*m.propensity, (std::vector<std::uint8_t>{1, 0, 0}));
    EXPECT_EQ(m.counts.n_users_before_cutoff, 3u);
    EXPECT_EQ(m.counts.n_users_inactive, 0u);
    EXPECT_EQ(m.counts.n_examples, 3u);
    EXPECT_EQ(m.counts.n_churned, 1u);
    EXPECT_EQ(m.counts.n_target, 1u);
    EXPECT_EQ(m.counts.n_feature_events, 10u);
    EXPECT_EQ(m.counts.n_horizon_events, 2u);
}

TEST(PredictFeatures, TopNamesAndFixedNames) {
    EventTable table = EventTable::from_events(hand_events());
    FeatureOptions o = hand_options();
    o.top_names = 2;
    FeatureMatrix m = build_features(table, o);
    EXPECT_EQ(m.event_names, (std::vector<std::string>{"view", "purchase"}));
    EXPECT_EQ(m.n_features(), 23u);

    // Fixed names keep their order; a name the table lacks is a column of zeros.
    o.event_names = {"return", "Add to cart", "view"};
    m = build_features(table, o);
    EXPECT_EQ(m.event_names, o.event_names);
    EXPECT_EQ(m.feature_names[21], "events_return");
    EXPECT_EQ(m.feature_names[22], "events_add_to_cart");
    EXPECT_EQ(feature(m, 0, "events_return"), 1);
    EXPECT_EQ(feature(m, 0, "events_add_to_cart"), 0);
    EXPECT_EQ(feature(m, 2, "events_view"), 2);

    o.event_names = {"view", "view"};
    expect_invalid([&] { build_features(table, o); }, "\"view\" is listed twice");
    EXPECT_EQ(event_feature_name("Add-to Cart 2"), "events_add_to_cart_2");
}

TEST(PredictFeatures, EventAtCutoffBelongsToHorizon) {
    EventTable table = EventTable::from_events(hand_events());
    FeatureOptions o = hand_options();
    FeatureMatrix m = build_features(table, o);
    // A's view at cutoff - 1 s is a feature, its purchase at the cutoff a label.
    EXPECT_DOUBLE_EQ(feature(m, 0, "days_since_last_event"), 1.0 / 86400);
    EXPECT_EQ(feature(m, 0, "events_last_7_days"), 2);
    EXPECT_EQ(feature(m, 0, "events_purchase"), 2);
    EXPECT_EQ((*m.propensity)[0], 1);

    // One second later the purchase is a feature and no longer in the horizon.
    o.cutoff = kCutoff + 1;
    m = build_features(table, o);
    EXPECT_DOUBLE_EQ(feature(m, 0, "days_since_last_event"), 1.0 / 86400);
    EXPECT_EQ(feature(m, 0, "events_purchase"), 3);
    EXPECT_EQ((*m.propensity)[0], 0);
    EXPECT_EQ((*m.churn)[0], 1);  // nothing of A in [Mar 1 00:00:01, Mar 31 00:00:01)
}

// Every way of touching the events at or after the cutoff leaves the features as they were.
TEST(PredictFeatures, NothingAfterCutoffLeaks) {
    const std::vector<Event> base = hand_events();
    FeatureOptions o = hand_options();
    const FeatureMatrix reference = build_features(EventTable::from_events(base), o);

    auto expect_same = [&](const std::vector<Event>& events, const std::string& what) {
        FeatureMatrix m = build_features(EventTable::from_events(events), o);
        EXPECT_EQ(m.user_names, reference.user_names) << what;
        EXPECT_EQ(m.feature_names, reference.feature_names) << what;
        EXPECT_TRUE(m.values == reference.values) << what;
    };

    int n_after = 0;
    for (std::size_t i = 0; i < base.size(); ++i) {
        if (base[i].time < kCutoff) {
            continue;
        }
        ++n_after;
        std::string tag = "event " + std::to_string(i) + ": ";
        std::vector<Event> changed = base;
        changed[i].time += 7 * kSecondsPerDay;
        expect_same(changed, tag + "later");
        changed = base;
        changed[i].time = kCutoff;
        expect_same(changed, tag + "moved to the cutoff");
        changed = base;
        changed[i].value = -1000;
        expect_same(changed, tag + "value");
        changed = base;
        changed[i].item = "i1";
        expect_same(changed, tag + "old item");
        changed[i].item = "brand-new item";
        expect_same(changed, tag + "new item");
        changed = base;
        changed[i].name = "return";
        expect_same(changed, tag + "old name");
        changed[i].name = "brand-new name";
        expect_same(changed, tag + "new name");
        changed = base;
        changed.erase(changed.begin() + static_cast<std::ptrdiff_t>(i));
        expect_same(changed, tag + "removed");
    }
    EXPECT_EQ(n_after, 5);

    // Added events: for old and new users, and enough "return"s to outrank "cart" if the name
    // ranking looked past the cutoff.
    std::vector<Event> added = base;
    added.push_back(event("A", "view", kCutoff + 2 * kSecondsPerDay, "i9", 5));
    added.push_back(event("E", "purchase", kCutoff + 3600, "i1", 10));
    for (int k = 0; k < 10; ++k) {
        added.push_back(event("D", "return", kCutoff + 40 * kSecondsPerDay + k, "i2", -3));
    }
    expect_same(added, "added events");

    // The test can fail: touching an event before the cutoff shows.
    for (std::size_t i = 0; i < base.size(); ++i) {
        if (base[i].time >= kCutoff) {
            continue;
        }
        std::vector<Event> changed = base;
        changed[i].value = 1000;
        FeatureMatrix m = build_features(EventTable::from_events(changed), o);
        EXPECT_FALSE(m.values == reference.values) << "event " << i;
    }
    std::vector<Event> moved = base;
    moved[6].time = kCutoff - 1;  // A's purchase at the cutoff, one second earlier
    EXPECT_FALSE(build_features(EventTable::from_events(moved), o).values == reference.values);
}

TEST(PredictFeatures, DefaultCutoffIsEndMinusHorizon) {
    EventTable table = EventTable::from_events(hand_events());
    FeatureOptions o;
    FeatureMatrix m = build_features(table, o);
    // The data ends just after C's Apr 2 12:00 event.
    Seconds end = at(2024, 4, 2, 12) + 1;
    EXPECT_EQ(m.cutoff, end - 30 * kSecondsPerDay);
    EXPECT_FALSE(m.propensity.has_value());
    ASSERT_TRUE(m.churn.has_value());
    // Cutoff Mar 3 12:00:01; C's first event (Mar 5) comes after it, so C is no example.
    EXPECT_EQ(m.user_names, (std::vector<std::string>{"A", "B", "D"}));
    // Horizon [Mar 3 12:00:01, Apr 2 12:00:01): B's Mar 10 and D's Mar 31 fall in it; A's
    // Mar 1 purchase is now a feature and A has nothing later.
    EXPECT_EQ(*m.churn, (std::vector<std::uint8_t>{1, 0, 0}));

    o.horizon_days = 10;
    m = build_features(table, o);
    EXPECT_EQ(m.cutoff, end - 10 * kSecondsPerDay);
    EXPECT_EQ(m.user_names, (std::vector<std::string>{"A", "B", "C", "D"}));
}

TEST(PredictFeatures, ActiveWithinDays) {
    FeatureOptions o = hand_options();
    o.active_within_days = 10;  // from Feb 20 00:00: A and B are in, D (Dec 16) is out
    FeatureMatrix m = build_features(EventTable::from_events(hand_events()), o);
    EXPECT_EQ(m.user_names, (std::vector<std::string>{"A", "B"}));
    EXPECT_EQ(m.counts.n_users_before_cutoff, 3u);
    EXPECT_EQ(m.counts.n_users_inactive, 1u);
    EXPECT_EQ(m.counts.n_churned, 0u);
    EXPECT_EQ(m.churn->size(), 2u);
}

TEST(PredictFeatures, CurrentFeaturesUseEveryEvent) {
    EventTable table = EventTable::from_events(hand_events());
    FeatureMatrix trained = build_features(table, hand_options());
    FeatureOptions o;
    o.event_names = trained.event_names;
    FeatureMatrix now = build_current_features(table, o);

    EXPECT_EQ(now.cutoff, at(2024, 4, 2, 12) + 1);
    EXPECT_EQ(now.horizon_days, 0);
    EXPECT_FALSE(now.churn.has_value());
    EXPECT_FALSE(now.propensity.has_value());
    EXPECT_EQ(now.feature_names, trained.feature_names);
    EXPECT_EQ(now.user_names, (std::vector<std::string>{"A", "B", "C", "D"}));
    // A's last event is the purchase of Mar 1 00:00: 32.5 days and 1 s before the cutoff.
    EXPECT_DOUBLE_EQ(feature(now, 0, "days_since_last_event"), 32.5 + 1.0 / 86400);
    EXPECT_EQ(feature(now, 0, "events_purchase"), 3);
    EXPECT_EQ(feature(now, 2, "days_since_last_event"), 1.0 / 86400);  // C at the very end
    EXPECT_EQ(feature(now, 3, "events_total"), 3);
    EXPECT_EQ(now.counts.n_feature_events, 15u);
}

TEST(PredictFeatures, ActiveDaysFollowTheZone) {
    // 03:00Z and 08:00Z on Feb 20 are Feb 19 22:00 and Feb 20 03:00 in New York (UTC-5).
    std::vector<Event> events = {
        event("A", "view", at(2024, 2, 20, 3)),
        event("A", "view", at(2024, 2, 20, 8)),
        event("A", "view", at(2024, 4, 1, 0)),
    };
    EventTable table = EventTable::from_events(events);
    FeatureOptions o;
    o.cutoff = at(2024, 3, 1, 0);
    FeatureMatrix utc = build_features(table, o);
    EXPECT_EQ(feature(utc, 0, "active_days_total"), 1);
    EXPECT_EQ(feature(utc, 0, "gap_days_max"), 0);

    o.zone = TimeZone::named("America/New_York");
    FeatureMatrix ny = build_features(table, o);
    EXPECT_EQ(feature(ny, 0, "active_days_total"), 2);
    EXPECT_EQ(feature(ny, 0, "gap_days_last"), 1);
    EXPECT_EQ(feature(ny, 0, "days_since_last_event"), feature(utc, 0, "days_since_last_event"));
}

TEST(PredictFeatures, BadInputIsOneLineError) {
    EventTable table = EventTable::from_events(hand_events());
    FeatureOptions o = hand_options();

    o.horizon_days = 0;
    expect_invalid([&] { build_features(table, o); }, "horizon must be at least 1 day, got 0");
    o.horizon_days = -3;
    expect_invalid([&] { build_features(table, o); }, "got -3");

    o = hand_options();
    o.cutoff = at(2023, 11, 20, 10);  // A's first event: nothing lies strictly before it
    expect_invalid([&] { build_features(table, o); }, "at or before the first event");
    o.cutoff = at(2023, 1, 1, 0);
    expect_invalid([&] { build_features(table, o); }, "2023-11-20T10:00:00Z");

    // The latest cutoff is Apr 2 12:00:01 minus 30 days; one second later is refused.
    Seconds latest = at(2024, 4, 2, 12) + 1 - 30 * kSecondsPerDay;
    o.cutoff = latest;
    EXPECT_NO_THROW(build_features(table, o));
    o.cutoff = latest + 1;
    expect_invalid([&] { build_features(table, o); },
                   "latest cutoff allowed is 2024-03-03T12:00:01Z");

    // The data spans Nov 20 to Apr 2: a 140-day horizon leaves no room for a cutoff.
    o = FeatureOptions{};
    o.horizon_days = 140;
    expect_invalid([&] { build_features(table, o); }, "no longer than the 140-day horizon");

    o = hand_options();
    o.target_event = "buy";
    expect_invalid([&] { build_features(table, o); },
                   "target event \"buy\" is not an event name of the data; names present: "
                   "\"view\", \"purchase\", \"return\", \"cart\"");

    o = hand_options();
    o.active_within_days = 1;  // from Feb 29 00:00: only A (Feb 29 23:59:59) is left
    EXPECT_EQ(build_features(table, o).n_rows(), 1u);
    o.cutoff = at(2024, 2, 29, 0);  // from Feb 28 00:00: nobody
    expect_invalid([&] { build_features(table, o); }, "no user was active in the 1 days before");
    o.active_within_days = -1;
    expect_invalid([&] { build_features(table, o); }, "active_within_days must be >= 0");
    expect_invalid([&] { build_current_features(table, o); }, "active_within_days must be >= 0");

    EventTable empty = EventTable::from_events({});
    expect_invalid([&] { build_features(empty, FeatureOptions{}); }, "no events");
    expect_invalid([&] { build_current_features(empty, FeatureOptions{}); }, "no events");
}

TEST(PredictFeatures, DescribeInPlainWords) {
    EXPECT_EQ(describe("days_since_last_event", 41.7, 6.0),
              "no activity for 41 days (usual gap 6)");
    EXPECT_EQ(describe("days_since_last_event", 1.2), "no activity for 1 day");
    EXPECT_EQ(describe("days_since_last_event", 0.3, 2.5),
              "active within the last day (usual gap 2.5)");
    EXPECT_EQ(describe("events_last_30_days", 12, 20.0),
              "12 events in the last 30 days (average 20)");
    EXPECT_EQ(describe("events_last_7_days", 1), "1 event in the last 7 days");
    EXPECT_EQ(describe("active_days_last_90_days", 3, 8.0),
              "active on 3 of the last 90 days (average 8)");
    // (a - b) / (a + b) = 0.2 means a = 1.5 b; -0.5 means a = b / 3.
    EXPECT_EQ(describe("activity_trend_30_days", 0.2),
              "activity up 50% in the last 30 days against the 30 before");
    EXPECT_EQ(describe("activity_trend_30_days", -0.5),
              "activity down 67% in the last 30 days against the 30 before");
    EXPECT_EQ(describe("activity_trend_30_days", -1),
              "no activity in the last 30 days after some in the 30 before");
    EXPECT_EQ(describe("activity_trend_30_days", 1, 0.0),
              "active in the last 30 days after none in the 30 before (average: activity steady "
              "in the last 30 days against the 30 before)");
    EXPECT_EQ(describe("positive_value_last_90_days", 120.5, 80.0),
              "value 120.50 in the last 90 days (average 80.00)");
    EXPECT_EQ(describe("positive_value_total", 7), "value 7.00 in all");
    EXPECT_EQ(describe("negative_value_share", 0.4, 0.05),
              "40% of valued events are returns or cancellations (average 5%)");
    EXPECT_EQ(describe("events_add_to_cart", 1), "1 add to cart event");
    // A log without event names calls them all "event": this once read "548 event events".
    EXPECT_EQ(describe("events_event", 548, 20.0), "548 events named \"event\" (average 20)");
    EXPECT_EQ(describe("gap_days_mean", 6.34, std::nan("")),
              "on average 6.3 days between active days");
    EXPECT_EQ(describe("distinct_items", 12, 30.0), "12 distinct items (average 30)");
    EXPECT_EQ(describe("something_else", 2.5), "something_else = 2.5");
    EXPECT_EQ(describe("days_since_last_event", std::nan("")), "days_since_last_event = nan");
}

// Simulated users: planted churners must look gone (a sanity check, not a model), and one
// planted before the cutoff must carry the churn label.
TEST(PredictFeatures, SimulatedChurnersHaveLargerRecency) {
    SimulateOptions so;
    so.n_users = 600;
    so.days = 120;
    so.seed = 11;
    std::ostringstream out;
    SimulateResult truth = simulate(so, out);

    // The log: a marker line, a header, then user_id,item_id,event,timestamp,value.
    std::vector<Event> events;
    std::istringstream in(out.str());
    std::string line;
    std::getline(in, line);
    std::getline(in, line);
    while (std::getline(in, line)) {
        std::vector<std::string> f;
        std::stringstream fields(line);
        std::string field;
        while (std::getline(fields, field, ',')) {
            f.push_back(field);
        }
        ASSERT_GE(f.size(), 4u) << line;
        const std::string& ts = f[3];  // 2024-01-01T08:26:00Z
        Seconds t = at(std::stoi(ts.substr(0, 4)), std::stoul(ts.substr(5, 2)),
                       std::stoul(ts.substr(8, 2)), std::stoi(ts.substr(11, 2)),
                       std::stoi(ts.substr(14, 2)), std::stoi(ts.substr(17, 2)));
        double value = f.size() > 4 && !f[4].empty() ? std::stod(f[4]) : std::nan("");
        events.push_back(event(f[0], f[2], t, f[1], value));
    }
    ASSERT_EQ(events.size(), truth.n_events);

    FeatureOptions o;
    o.target_event = "purchase";
    FeatureMatrix m = build_features(EventTable::from_events(events), o);
    std::size_t recency = *m.feature_index("days_since_last_event");

    double churner_sum = 0, other_sum = 0;
    int n_churners = 0, n_others = 0, n_planted_before = 0;
    for (std::size_t r = 0; r < m.n_rows(); ++r) {
        std::uint32_t index = static_cast<std::uint32_t>(std::stoul(m.user_names[r].substr(1)) - 1);
        const SimulatedUser& user = truth.users.at(index);
        if (user.churned) {
            churner_sum += m.at(r, recency);
            ++n_churners;
            if (Seconds{user.churn_day} * kSecondsPerDay <= m.cutoff) {
                EXPECT_EQ((*m.churn)[r], 1) << user.id;
                ++n_planted_before;
            }
        } else {
            other_sum += m.at(r, recency);
            ++n_others;
        }
    }
    ASSERT_GT(n_churners, 20);
    ASSERT_GT(n_others, 20);
    EXPECT_GT(n_planted_before, 10);
    double churner_mean = churner_sum / n_churners;
    double other_mean = other_sum / n_others;
    EXPECT_GT(churner_mean, other_mean) << churner_mean << " vs " << other_mean;
    std::printf(
        "[ features ] simulated: mean days since last event %.1f for %d churners, %.1f "
        "for %d others\n",
        churner_mean, n_churners, other_mean, n_others);
    EXPECT_GT(m.counts.n_target, 0u);
    EXPECT_LT(m.counts.n_target, m.counts.n_examples);
}

// A million events: the sums agree with a plain count, and the pass is quick.
TEST(PredictFeatures, MillionEvents) {
    EventTable table = testing::million_events(testing::day(2024, 1, 1), 120, 5);
    FeatureOptions o;
    auto start = std::chrono::steady_clock::now();
    FeatureMatrix m = build_features(table, o);
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

    std::uint64_t before = 0;
    for (Seconds t : table.time) {
        before += t < m.cutoff ? 1 : 0;
    }
    std::size_t total = *m.feature_index("events_total");
    double sum = 0;
    for (std::size_t r = 0; r < m.n_rows(); ++r) {
        sum += m.at(r, total);
    }
    EXPECT_EQ(m.counts.n_feature_events, before);
    EXPECT_EQ(sum, static_cast<double>(before));
    EXPECT_EQ(m.n_rows(), 20000u);
    EXPECT_LT(seconds, 10.0);
    std::printf("[ features ] 1M events, 20k users: %.3f s (%.2f M events/s)\n", seconds,
                1e-6 * static_cast<double>(table.n_events()) / seconds);
}

}  // namespace
}  // namespace sextant
