#include "sextant/sim/world.h"

#include <algorithm>
#include <cmath>
#include <string_view>

namespace sextant::sim {
namespace {

constexpr std::string_view kCategoryNames[] = {
    "books",   "music", "electronics", "garden", "toys",   "kitchen", "sports", "beauty",
    "fashion", "games", "office",      "pets",   "health", "outdoor", "baby",   "auto",
    "crafts",  "food",  "travel",      "tools",  "movies", "jewelry", "art",    "home"};

// Users' session rates are capped so that one user cannot dominate a small log.
constexpr double kMaxSessionsPerWeek = 100;
constexpr double kMinSessionsPerWeek = 0.5;

std::string category_name(std::uint32_t c) {
    constexpr std::size_t n_names = sizeof kCategoryNames / sizeof kCategoryNames[0];
    if (c < n_names) {
        return std::string(kCategoryNames[c]);
    }
    return "category" + std::to_string(c + 1);
}

}  // namespace

// Built by appending: GCC 12 warns falsely (-Wrestrict) on "u" + std::to_string().
std::string make_id(char prefix, std::uint32_t number) {
    std::string id(1, prefix);
    id += std::to_string(number);
    return id;
}

// Items, their categories, prices and popularity. Category c has weight 1/(c+1)^0.6, so the
// first categories are the big ones; within a category, popularity follows a Zipf law over a
// shuffled rank so that the most popular item is not always the lowest id.
Catalogue build_catalogue(const SimulateOptions& o, Random& random, SimulateResult& result) {
    Catalogue cat;
    std::vector<double> category_weights(o.n_categories);
    std::vector<double> base_price(o.n_categories);
    for (std::uint32_t c = 0; c < o.n_categories; ++c) {
        category_weights[c] = 1.0 / std::pow(c + 1.0, 0.6);
        base_price[c] = std::exp(std::log(5.0) + random.uniform() * std::log(40.0));
        result.categories.push_back(category_name(c));
    }
    Discrete category_pick(category_weights);
    cat.tastes = category_pick;

    // The first n_categories items seed one category each, so that none is empty.
    cat.members.resize(o.n_categories);
    for (std::uint32_t i = 0; i < o.n_items; ++i) {
        std::uint32_t c = i < o.n_categories ? i : category_pick.pick(random);
        cat.category_of.push_back(c);
        cat.members[c].push_back(i);
        double price = base_price[c] * std::exp(0.4 * random.normal());
        cat.cents.push_back(std::max<std::int64_t>(50, std::llround(price * 100)));
    }

    std::vector<double> popularity(o.n_items);
    cat.sequel.resize(o.n_items);
    for (std::uint32_t c = 0; c < o.n_categories; ++c) {
        const auto& items = cat.members[c];
        std::vector<std::uint32_t> rank(items.size());
        for (std::uint32_t r = 0; r < rank.size(); ++r) {
            rank[r] = r;
        }
        for (std::size_t r = rank.size(); r > 1; --r) {
            std::swap(rank[r - 1], rank[random.below(r)]);
        }
        std::vector<double> weights(items.size());
        double sum = 0;
        for (std::size_t k = 0; k < items.size(); ++k) {
            weights[k] = 1.0 / std::pow(rank[k] + 1.0, o.zipf_exponent);
            sum += weights[k];
        }
        for (std::size_t k = 0; k < items.size(); ++k) {
            popularity[items[k]] = category_weights[c] * weights[k] / sum;
            cat.sequel[items[k]] = items[(k + 1) % items.size()];
        }
        cat.within.emplace_back(weights);
    }

    double total = 0;
    for (double p : popularity) {
        total += p;
    }
    for (std::uint32_t i = 0; i < o.n_items; ++i) {
        popularity[i] /= total;
        result.items.push_back({make_id('i', i + 1), cat.category_of[i],
                                static_cast<double>(cat.cents[i]) / 100.0, popularity[i]});
    }
    cat.overall = Discrete(popularity);
    return cat;
}

// Sign-up days, churn days, tastes and rates. Sign-ups fall on floor(days * u^2), a density that
// falls off like 1/sqrt(day), so more users arrive early. Exactly round(churn_share * n_users)
// users churn; their churn day leaves at least min(14, days/4) days of tenure before it and of
// silence after it, so both their activity and their absence can be seen in the log.
std::vector<UserPlan> plant_users(const SimulateOptions& o, Random& random, const Catalogue& cat) {
    std::vector<UserPlan> plans(o.n_users);
    std::vector<std::uint32_t> order(o.n_users);
    for (std::uint32_t u = 0; u < o.n_users; ++u) {
        order[u] = u;
    }
    auto n_churners = static_cast<std::uint32_t>(std::llround(o.churn_share * o.n_users));
    for (std::uint32_t k = 0; k < n_churners; ++k) {
        std::swap(order[k], order[k + random.below(o.n_users - k)]);
    }
    std::vector<bool> churns(o.n_users, false);
    for (std::uint32_t k = 0; k < n_churners; ++k) {
        churns[order[k]] = true;
    }

    std::int32_t margin = std::max(1, std::min(14, o.days / 4));
    std::int32_t latest_churn = o.days - margin;
    for (std::uint32_t u = 0; u < o.n_users; ++u) {
        UserPlan& p = plans[u];
        double x = random.uniform();
        if (churns[u]) {
            std::int32_t span = latest_churn - margin + 1;
            p.signup = static_cast<std::int32_t>(span * x * x);
            std::int32_t earliest = p.signup + margin;
            p.churn =
                earliest + static_cast<std::int32_t>(random.below(latest_churn - earliest + 1));
        } else {
            p.signup = static_cast<std::int32_t>(o.days * x * x);
        }

        // A log-normal rate with the requested mean: exp(sigma z - sigma^2 / 2) has mean 1.
        double sigma = o.activity_spread;
        double rate =
            o.mean_sessions_per_week * std::exp(sigma * random.normal() - sigma * sigma / 2);
        p.daily_rate = std::clamp(rate, kMinSessionsPerWeek, kMaxSessionsPerWeek) / 7.0;

        p.taste = cat.tastes.pick(random);
        if (o.n_categories > 1 && random.chance(o.two_taste_share)) {
            std::uint32_t second = cat.tastes.pick(random);
            while (second == p.taste) {
                second = cat.tastes.pick(random);
            }
            p.second_taste = static_cast<std::int32_t>(second);
        }
    }
    return plans;
}

}  // namespace sextant::sim
