// The simulated world before any event: the catalogue of items and the plan of every user.
//
// Internal to the simulator (sim/simulate.cpp); both are drawn from the one Random in a fixed
// order, so they are part of what a seed determines.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sextant/sim/random.h"
#include "sextant/sim/simulate.h"

namespace sextant::sim {

// Chance that a taste pick of a two-taste user goes to the second favourite; kept below one half
// so that the first favourite is the one a user views most.
constexpr double kSecondTasteWeight = 0.35;

// The items: what each costs, which category it is in, and how it is picked.
struct Catalogue {
    std::vector<std::int64_t> cents;                  // price of each item in cents
    std::vector<std::uint32_t> category_of;           // category of each item
    std::vector<std::uint32_t> sequel;                // the item that tends to follow each item
    std::vector<Discrete> within;                     // item pick inside each category
    std::vector<std::vector<std::uint32_t>> members;  // items of each category, in id order
    Discrete overall;                                 // item pick among all items (popularity)
    Discrete tastes;                                  // category pick for a user's taste
};

// Everything the day loop needs about one user; relative days count from the period's start.
struct UserPlan {
    double daily_rate = 0;  // sessions per day before weekday and decay factors
    std::uint32_t taste = 0;
    std::int32_t second_taste = -1;
    std::int32_t signup = 0;
    std::int32_t churn = -1;  // relative churn day, -1 for users who stay
};

// "u17", "i3".
std::string make_id(char prefix, std::uint32_t number);

// Items with categories, prices and popularity; fills result.categories and result.items.
Catalogue build_catalogue(const SimulateOptions& o, Random& random, SimulateResult& result);

// Sign-up day, churn day, taste and rate of every user (index = user).
std::vector<UserPlan> plant_users(const SimulateOptions& o, Random& random, const Catalogue& cat);

}  // namespace sextant::sim
