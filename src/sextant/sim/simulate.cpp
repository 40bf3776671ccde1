#include "sextant/sim/simulate.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <ostream>
#include <string_view>

#include "sextant/core/error.h"
#include "sextant/core/log.h"
#include "sextant/sim/random.h"
#include "sextant/sim/world.h"

namespace sextant {
namespace {

using sim::Catalogue;
using sim::Discrete;
using sim::Random;
using sim::UserPlan;

enum class Kind : std::uint8_t { kView, kCart, kPurchase };

// Relative session starts per hour of the day (UTC): quiet nights, a lunch bump, busy evenings.
constexpr double kHourWeights[24] = {0.25, 0.15, 0.1, 0.1, 0.15, 0.3, 0.6, 0.9, 1.1, 1.0, 1.0, 1.1,
                                     1.5,  1.4,  1.0, 1.0, 1.1,  1.2, 1.5, 1.8, 2.0, 1.9, 1.5, 0.8};

// Sessions of one user on one day are kept at least this far apart.
constexpr Seconds kSessionGap = 300;

// One generated event before it is written.
struct RawEvent {
    Seconds time = 0;
    std::uint64_t seq = 0;  // generation order: breaks ties in time and user
    std::uint32_t user = 0;
    std::uint32_t item = 0;
    Kind kind = Kind::kView;
};

void check_range(std::string_view name, double value, double lo, double hi) {
    if (!(value >= lo && value <= hi)) {
        char buf[160];
        std::snprintf(buf, sizeof buf, "simulate: %.*s must be between %g and %g, got %g",
                      static_cast<int>(name.size()), name.data(), lo, hi, value);
        throw_invalid(buf);
    }
}

void validate(const SimulateOptions& o) {
    check_range("--users", o.n_users, 1, 1e7);
    check_range("--items", o.n_items, 1, 1e7);
    check_range("--days", o.days, 1, 3650);
    check_range("--churn-share", o.churn_share, 0, 1);
    check_range("n_categories", o.n_categories, 1, o.n_items);
    check_range("two_taste_share", o.two_taste_share, 0, 1);
    check_range("taste_share", o.taste_share, 0, 1);
    check_range("same_category_share", o.same_category_share, 0, 1);
    check_range("sequel_share", o.sequel_share, 0, 1);
    check_range("zipf_exponent", o.zipf_exponent, 0, 10);
    check_range("mean_sessions_per_week", o.mean_sessions_per_week, 0.01, 100);
    check_range("activity_spread", o.activity_spread, 0, 5);
    check_range("mean_views_per_session", o.mean_views_per_session, 1, 1000);
    check_range("cart_probability", o.cart_probability, 0, 1);
    check_range("purchase_probability", o.purchase_probability, 0, 1);
    check_range("weekend_lift", o.weekend_lift, 0.01, 100);
    check_range("churn_decay_days", o.churn_decay_days, 1, 365);
    if (o.churn_share > 0 && o.days < 8) {
        throw_invalid("simulate: planting churners needs --days of at least 8, got " +
                      std::to_string(o.days));
    }
    parse_start_day(o.start);
}

// Writes events as CSV rows through a buffer; the day's "YYYY-MM-DDT" prefix is cached.
class CsvWriter {
public:
    CsvWriter(std::ostream& out, const Catalogue& cat, const SimulateOptions& o)
        : out_(out), cat_(cat) {
        buffer_.reserve(kFlushAt + 256);
        // The marker line labels the data as synthetic wherever it is ingested.
        buffer_ += "# synthetic log written by sextant simulate (seed " + std::to_string(o.seed) +
                   ", " + std::to_string(o.n_users) + " users, " + std::to_string(o.days) +
                   " days): not real data\n";
        buffer_ += "user_id,item_id,event,timestamp,value\n";
    }

    void write(const RawEvent& e) {
        buffer_ += 'u';
        append_number(e.user + 1);
        buffer_ += ",i";
        append_number(e.item + 1);
        switch (e.kind) {
            case Kind::kView:
                buffer_ += ",view,";
                break;
            case Kind::kCart:
                buffer_ += ",cart,";
                break;
            case Kind::kPurchase:
                buffer_ += ",purchase,";
                break;
        }
        append_time(e.time);
        buffer_ += ',';
        if (e.kind == Kind::kPurchase) {
            std::int64_t cents = cat_.cents[e.item];
            append_number(static_cast<std::uint64_t>(cents / 100));
            buffer_ += '.';
            buffer_ += static_cast<char>('0' + cents % 100 / 10);
            buffer_ += static_cast<char>('0' + cents % 10);
        }
        buffer_ += '\n';
        if (buffer_.size() >= kFlushAt) {
            flush();
        }
    }

    void flush() {
        out_.write(buffer_.data(), static_cast<std::streamsize>(buffer_.size()));
        buffer_.clear();
        if (!out_) {
            throw_io("simulate: cannot write the events");
        }
    }

private:
    static constexpr std::size_t kFlushAt = 1 << 20;

    void append_number(std::uint64_t n) {
        char digits[24];
        int len = 0;
        do {
            digits[len++] = static_cast<char>('0' + n % 10);
            n /= 10;
        } while (n > 0);
        while (len > 0) {
            buffer_ += digits[--len];
        }
    }

    void append_two(std::int64_t n) {
        buffer_ += static_cast<char>('0' + n / 10);
        buffer_ += static_cast<char>('0' + n % 10);
    }

    void append_time(Seconds t) {
        Seconds day = t / kSecondsPerDay;  // the simulated period is after 1970, so t >= 0
        if (day != cached_day_) {
            cached_day_ = day;
            prefix_ = format_day(static_cast<Day>(day)) + "T";
        }
        Seconds rest = t - day * kSecondsPerDay;
        buffer_ += prefix_;
        append_two(rest / 3600);
        buffer_ += ':';
        append_two(rest / 60 % 60);
        buffer_ += ':';
        append_two(rest % 60);
        buffer_ += 'Z';
    }

    std::ostream& out_;
    const Catalogue& cat_;
    std::string buffer_;
    Seconds cached_day_ = -1;
    std::string prefix_;
};

// Generates the sessions of all users day by day and writes each day's events in time order.
// Sessions may run past midnight, so events after the day's end wait for the next round.
class Generator {
public:
    Generator(const SimulateOptions& o, Random& random, const Catalogue& cat,
              std::vector<UserPlan> plans, SimulateResult& result)
        : o_(o), random_(random), cat_(cat), plans_(std::move(plans)), result_(result) {
        hours_ = Discrete(std::vector<double>(std::begin(kHourWeights), std::end(kHourWeights)));
        weekend_factor_ = 7.0 * o.weekend_lift / (5.0 + 2.0 * o.weekend_lift);
        weekday_factor_ = 7.0 / (5.0 + 2.0 * o.weekend_lift);
        user_events_.assign(plans_.size(), 0);
    }

    void run(CsvWriter& writer) {
        Seconds period_start = static_cast<Seconds>(result_.start_day) * kSecondsPerDay;
        for (std::int32_t d = 0; d < o_.days; ++d) {
            Seconds day_start = period_start + static_cast<Seconds>(d) * kSecondsPerDay;
            Day civil = result_.start_day + d;
            int weekday = static_cast<int>(((civil % 7) + 11) % 7);  // 0 = Sunday
            double factor = (weekday == 0 || weekday == 6) ? weekend_factor_ : weekday_factor_;
            for (std::uint32_t u = 0; u < plans_.size(); ++u) {
                user_day(u, d, day_start, factor);
            }
            flush_before(day_start + kSecondsPerDay, writer);
        }
        flush_before(period_start + static_cast<Seconds>(o_.days) * kSecondsPerDay, writer);
        for (std::uint32_t u = 0; u < plans_.size(); ++u) {
            result_.users[u].n_events = user_events_[u];
        }
    }

private:
    // The sessions of user u on relative day d.
    void user_day(std::uint32_t u, std::int32_t d, Seconds day_start, double factor) {
        const UserPlan& p = plans_[u];
        if (d < p.signup || (p.churn >= 0 && d >= p.churn)) {
            return;
        }
        double mean = p.daily_rate * factor;
        if (p.churn >= 0 && d + o_.churn_decay_days > p.churn) {
            mean *= (p.churn - d - 0.5) / o_.churn_decay_days;
        }
        std::uint32_t n = random_.poisson(mean);
        if (d == p.signup) {
            n = std::max<std::uint32_t>(n, 1);  // signing up is the first session
        }
        if (n == 0) {
            return;
        }

        starts_.clear();
        for (std::uint32_t k = 0; k < n; ++k) {
            Seconds minute = hours_.pick(random_) * 60 + static_cast<Seconds>(random_.below(60));
            starts_.push_back(day_start + minute * 60);
        }
        std::sort(starts_.begin(), starts_.end());

        Seconds cutoff = p.churn >= 0 ? day_start + (p.churn - d) * kSecondsPerDay
                                      : day_start + (o_.days - d) * kSecondsPerDay;
        Seconds free_from = 0;
        for (Seconds start : starts_) {
            start = std::max(start, free_from);
            if (start >= cutoff) {
                break;
            }
            free_from = session(u, start, cutoff) + kSessionGap;
        }
    }

    // One session of user u from `start`; events at or after `cutoff` are dropped. Returns the
    // time of the session's last event.
    Seconds session(std::uint32_t u, Seconds start, Seconds cutoff) {
        ++result_.n_sessions;
        std::uint32_t n_views = 1 + random_.geometric(1.0 / o_.mean_views_per_session);
        carted_.clear();
        Seconds t = start;
        std::uint32_t item = fresh_pick(u);
        for (std::uint32_t k = 0; k < n_views; ++k) {
            if (k > 0) {
                t += 5 + random_.geometric(1.0 / 50);
                item = next_pick(u, item);
            }
            emit(u, item, Kind::kView, t, cutoff);
            if (random_.chance(o_.cart_probability)) {
                t += 3 + static_cast<Seconds>(random_.below(28));
                emit(u, item, Kind::kCart, t, cutoff);
                carted_.push_back(item);
            }
        }

        // Checkout at the end of the session.
        if (!carted_.empty()) {
            t += 30 + static_cast<Seconds>(random_.below(240));
            for (std::uint32_t cart_item : carted_) {
                if (random_.chance(o_.purchase_probability)) {
                    emit(u, cart_item, Kind::kPurchase, t, cutoff);
                    t += 5 + static_cast<Seconds>(random_.below(16));
                }
            }
        }
        return t;
    }

    // An item from the user's taste (mostly) or from the popular items overall.
    std::uint32_t fresh_pick(std::uint32_t u) {
        const UserPlan& p = plans_[u];
        if (!random_.chance(o_.taste_share)) {
            return cat_.overall.pick(random_);
        }
        std::uint32_t c = p.taste;
        if (p.second_taste >= 0 && random_.chance(sim::kSecondTasteWeight)) {
            c = static_cast<std::uint32_t>(p.second_taste);
        }
        return pick_in(c);
    }

    // The next view: often the same category as the last one, sometimes the last item's sequel.
    std::uint32_t next_pick(std::uint32_t u, std::uint32_t last) {
        std::uint32_t next;
        if (random_.chance(o_.same_category_share)) {
            next = random_.chance(o_.sequel_share) ? cat_.sequel[last]
                                                   : pick_in(cat_.category_of[last]);
        } else {
            next = fresh_pick(u);
        }
        if (next == last) {
            next = fresh_pick(u);  // one retry: people rarely view the same item twice in a row
        }
        return next;
    }

    std::uint32_t pick_in(std::uint32_t c) { return cat_.members[c][cat_.within[c].pick(random_)]; }

    void emit(std::uint32_t u, std::uint32_t item, Kind kind, Seconds t, Seconds cutoff) {
        if (t >= cutoff) {
            return;
        }
        pending_.push_back({t, seq_++, u, item, kind});
        ++user_events_[u];
    }

    // Writes, in order, every pending event before `end`, and keeps the rest.
    void flush_before(Seconds end, CsvWriter& writer) {
        std::sort(pending_.begin(), pending_.end(), [](const RawEvent& a, const RawEvent& b) {
            if (a.time != b.time) {
                return a.time < b.time;
            }
            if (a.user != b.user) {
                return a.user < b.user;
            }
            return a.seq < b.seq;
        });
        std::size_t k = 0;
        for (; k < pending_.size() && pending_[k].time < end; ++k) {
            count(pending_[k]);
            writer.write(pending_[k]);
        }
        pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(k));
    }

    void count(const RawEvent& e) {
        if (result_.n_events == 0) {
            result_.first_time = e.time;
        }
        result_.last_time = e.time;
        ++result_.n_events;
        switch (e.kind) {
            case Kind::kView:
                ++result_.n_views;
                break;
            case Kind::kCart:
                ++result_.n_carts;
                break;
            case Kind::kPurchase:
                ++result_.n_purchases;
                result_.revenue += static_cast<double>(cat_.cents[e.item]) / 100.0;
                break;
        }
    }

    const SimulateOptions& o_;
    Random& random_;
    const Catalogue& cat_;
    std::vector<UserPlan> plans_;
    SimulateResult& result_;
    Discrete hours_;
    double weekend_factor_ = 1;
    double weekday_factor_ = 1;
    std::vector<Seconds> starts_;
    std::vector<std::uint32_t> carted_;
    std::vector<RawEvent> pending_;
    std::vector<std::uint64_t> user_events_;
    std::uint64_t seq_ = 0;
};

std::string cannot_write(const std::string& path, std::string_view why) {
    return "cannot write " + path + ": " + std::string(why);
}

// Opens `path`'s temporary sibling, lets `body` write it, and renames it over `path`. On any
// failure the temporary file is removed and `path` is left as it was.
template <typename Body>
void write_atomically(const std::string& path, Body body) {
    std::filesystem::path parent = std::filesystem::path(path).parent_path();
    if (!parent.empty()) {
        std::error_code ec;
        std::filesystem::create_directories(parent, ec);
        if (ec) {
            throw_io(cannot_write(path, ec.message()));
        }
    }
    std::string temp = path + ".tmp";
    std::ofstream file(temp, std::ios::binary | std::ios::trunc);
    if (!file) {
        throw_io(cannot_write(path, std::strerror(errno)));
    }
    try {
        body(file);
    } catch (const Error& e) {
        file.close();
        std::remove(temp.c_str());
        if (e.kind() == ErrorKind::kIo) {
            throw_io(cannot_write(path, e.what()));
        }
        throw;
    } catch (...) {
        file.close();
        std::remove(temp.c_str());
        throw;
    }
    file.close();
    if (file.fail()) {
        std::remove(temp.c_str());
        throw_io(cannot_write(path, std::strerror(errno)));
    }
    if (std::rename(temp.c_str(), path.c_str()) != 0) {
        std::string why = std::strerror(errno);
        std::remove(temp.c_str());
        throw_io(cannot_write(path, why));
    }
}

}  // namespace

Day parse_start_day(const std::string& text) {
    int y = 0;
    unsigned m = 0, d = 0;
    char tail = 0;
    bool shaped = text.size() == 10 && text[4] == '-' && text[7] == '-' &&
                  std::sscanf(text.c_str(), "%4d-%2u-%2u%c", &y, &m, &d, &tail) == 3;
    if (shaped && m >= 1 && m <= 12 && d >= 1 && d <= 31 && y >= 1970) {
        std::int64_t days = days_from_civil(y, m, d);
        int y2;
        unsigned m2, d2;
        civil_from_days(days, y2, m2, d2);
        if (y2 == y && m2 == m && d2 == d) {
            return static_cast<Day>(days);
        }
    }
    throw_invalid("simulate: --start must be a date YYYY-MM-DD from 1970 on, got \"" + text + "\"");
}

SimulateResult simulate(const SimulateOptions& options, std::ostream& out) {
    validate(options);
    SimulateResult result;
    result.start_day = parse_start_day(options.start);
    result.days = options.days;

    // The catalogue, the users and the events draw from one generator in this fixed order.
    Random random(options.seed);
    Catalogue cat = sim::build_catalogue(options, random, result);
    std::vector<UserPlan> plans = sim::plant_users(options, random, cat);
    for (std::uint32_t u = 0; u < plans.size(); ++u) {
        const UserPlan& p = plans[u];
        SimulatedUser user;
        user.id = sim::make_id('u', u + 1);
        user.signup_day = result.start_day + p.signup;
        user.churned = p.churn >= 0;
        user.churn_day = user.churned ? result.start_day + p.churn : 0;
        user.taste = p.taste;
        user.second_taste = p.second_taste;
        user.sessions_per_week = p.daily_rate * 7.0;
        result.n_churners += user.churned ? 1 : 0;
        result.users.push_back(std::move(user));
    }

    CsvWriter writer(out, cat, options);
    Generator generator(options, random, cat, std::move(plans), result);
    generator.run(writer);
    writer.flush();

    log::debug("simulate: " + std::to_string(result.n_events) + " events of " +
               std::to_string(result.users.size()) + " users over " + std::to_string(result.days) +
               " days");
    return result;
}

SimulateResult simulate_to_file(const SimulateOptions& options, const std::string& path) {
    validate(options);  // before the file exists, so bad options leave nothing behind
    SimulateResult result;
    write_atomically(path, [&](std::ostream& file) { result = simulate(options, file); });
    return result;
}

void write_truth(const SimulateResult& result, const std::string& path) {
    write_atomically(path, [&](std::ostream& file) {
        std::string text = "user_id,churned,churn_day,taste\n";
        for (const SimulatedUser& u : result.users) {
            text += u.id;
            text += u.churned ? ",1," + format_day(u.churn_day) : std::string(",0,");
            text += ',';
            text += u.taste < result.categories.size() ? result.categories[u.taste] : "";
            text += '\n';
        }
        file.write(text.data(), static_cast<std::streamsize>(text.size()));
    });
}

}  // namespace sextant
