// A synthetic but realistic behavior log with a known right answer.
//
// simulate() invents a shop: items in categories (popularity within a category follows a Zipf
// law), users who arrive over the period (more of them early), each with one or two favourite
// categories (their taste) and a heavy-tailed activity rate. Sessions arrive as a Poisson process
// per user, busier at weekends and in the evening (UTC). Within a session a user views items
// mostly from their taste, often staying in the category of the previous item or moving on to its
// sequel, so a sequence model has something to learn; views sometimes lead to a cart, and carts at
// the end of a session sometimes to a purchase. A share of users are planted churners: their
// activity fades over the days before their churn day and stops for good on it.
//
// The log is CSV `user_id,item_id,event,timestamp,value` in time order; the ground truth (who
// churned when, who likes what) comes back in SimulateResult so that tests of churn prediction
// and recommendation know the right answer.
//
// Determinism: the same options give the same bytes on this toolchain (and on any other whose
// libm agrees on log/exp/cos). All randomness comes from one std::mt19937_64 seeded with `seed`
// (its output is fixed by the standard), and every distribution is implemented in sim/random.h
// rather than taken from <random>, whose distributions are implementation-specific.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

#include "sextant/core/time.h"

namespace sextant {

struct SimulateOptions {
    std::uint32_t n_users = 2000;      // users who sign up during the period (1 to 10,000,000)
    std::uint32_t n_items = 500;       // items in the catalogue (at least n_categories)
    std::int32_t days = 120;           // length of the period in days (1 to 3650)
    std::uint64_t seed = 42;           // the same seed gives the same file byte for byte
    double churn_share = 0.3;          // share of users planted as churners, rounded to a count
    std::string start = "2024-01-01";  // first day of the period (UTC), YYYY-MM-DD

    std::uint32_t n_categories = 12;   // item categories; tastes are drawn among them
    double two_taste_share = 0.4;      // share of users with a second favourite category
    double taste_share = 0.8;          // chance that a fresh pick comes from the user's taste
    double same_category_share = 0.6;  // chance that the next view stays in the last category
    double sequel_share = 0.3;         // given it stays, chance that it is the last item's sequel
    double zipf_exponent = 1.0;        // item popularity ~ 1 / rank^s within a category

    double mean_sessions_per_week = 2.5;  // mean over users of their weekly session rate
    double activity_spread = 1.0;         // sigma of the log-normal rate: a few very active users
    double mean_views_per_session = 5.0;  // views in a session are 1 + geometric around this mean
    double cart_probability = 0.08;       // chance that a view puts the item in the cart
    double purchase_probability = 0.5;    // chance that a carted item is bought at session end
    double weekend_lift = 1.5;            // Saturday and Sunday rate relative to a weekday

    std::int32_t churn_decay_days = 14;  // churners' activity fades linearly over these days
};

// One user as planted; `churn_day` and the days are absolute civil days (UTC).
struct SimulatedUser {
    std::string id;                  // "u1", "u2", ... as in the log
    Day signup_day = 0;              // day of the first session (every user has at least one)
    bool churned = false;            // planted as a churner
    Day churn_day = 0;               // churners only: no event at or after 00:00Z of this day
    std::uint32_t taste = 0;         // favourite category (index into SimulateResult::categories)
    std::int32_t second_taste = -1;  // the second favourite category, -1 when none
    double sessions_per_week = 0;    // the user's base session rate
    std::uint64_t n_events = 0;      // events of the user in the log
};

struct SimulatedItem {
    std::string id;              // "i1", "i2", ... as in the log
    std::uint32_t category = 0;  // index into SimulateResult::categories
    double price = 0;            // the value written on its purchases (two decimals)
    double popularity = 0;       // relative chance of a pick among all items (sums to 1)
};

struct SimulateResult {
    Day start_day = 0;  // first day of the period
    std::int32_t days = 0;
    std::uint64_t n_events = 0;
    std::uint64_t n_views = 0;
    std::uint64_t n_carts = 0;
    std::uint64_t n_purchases = 0;
    std::uint64_t n_sessions = 0;
    std::uint64_t n_churners = 0;
    double revenue = 0;      // sum of the purchase values as written
    Seconds first_time = 0;  // first and last timestamps in the log (0 when it is empty)
    Seconds last_time = 0;
    std::vector<std::string> categories;  // category names ("books", "garden", ...)
    std::vector<SimulatedItem> items;     // item k has id "i<k+1>"
    std::vector<SimulatedUser> users;     // user k has id "u<k+1>"
};

// Parses the `start` of SimulateOptions ("2024-01-01"). Throws Error(kInvalidInput) naming the
// text when it is not a real date in that form.
Day parse_start_day(const std::string& text);

// Writes the header and every event to `out` in time order (ties by user, then generation order)
// and returns the counts and the ground truth. Throws Error(kInvalidInput) naming the option when
// an option is out of range, and Error(kIo) when the stream fails. Holds one day of events in
// memory at a time, plus the users and items.
SimulateResult simulate(const SimulateOptions& options, std::ostream& out);

// simulate() into `path`, written under a temporary name beside it and renamed when complete, so
// a failure never leaves half a file. Throws Error(kIo) naming the path when it cannot be written.
SimulateResult simulate_to_file(const SimulateOptions& options, const std::string& path);

// Writes the ground truth as CSV `user_id,churned,churn_day,taste`: churned is 1 or 0, churn_day
// YYYY-MM-DD (empty for non-churners), taste the favourite category's name. Same temporary-name
// and error contract as simulate_to_file().
void write_truth(const SimulateResult& result, const std::string& path);

}  // namespace sextant
