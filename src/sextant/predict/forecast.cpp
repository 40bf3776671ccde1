#include "sextant/predict/forecast.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <numeric>

#include "sextant/core/error.h"
#include "sextant/learn/torch_trainer.h"

namespace sextant {
namespace {

constexpr std::int64_t kInputs = 8;  // the scaled value and the day of week (one-hot) to predict

struct LstmNetImpl : torch::nn::Module {
    explicit LstmNetImpl(std::size_t hidden)
        : lstm(register_module(
              "lstm",
              torch::nn::LSTM(torch::nn::LSTMOptions(kInputs, static_cast<std::int64_t>(hidden))
                                  .batch_first(true)))),
          out(register_module("out", torch::nn::Linear(static_cast<std::int64_t>(hidden), 1))) {}

    // [B, context, kInputs] -> [B]: the next day's scaled value.
    torch::Tensor forward(const torch::Tensor& x) {
        auto [states, last] = lstm->forward(x);
        return out(states.select(1, states.size(1) - 1)).squeeze(1);
    }

    torch::nn::LSTM lstm;
    torch::nn::Linear out;
};
TORCH_MODULE(LstmNet);

// The input window that predicts day `target_day` from scaled[end - context, end).
void fill_window(std::span<const double> scaled, std::size_t end, std::size_t context,
                 Day target_day, float* out) {
    for (std::size_t k = 0; k < context; ++k) {
        float* row = out + k * kInputs;
        std::fill(row, row + kInputs, 0.0f);
        row[0] = static_cast<float>(scaled[end - context + k]);
        // Each step carries the day of week of the day after it, so the last step's is the
        // target's.
        Day next = target_day - static_cast<Day>(context - 1 - k);
        row[1 + day_of_week(next)] = 1.0f;
    }
}

// Forecasts `days` days after scaled[0, end) by feeding predictions back.
std::vector<double> lstm_rollout(LstmNet& net, std::vector<double> scaled, std::size_t end,
                                 std::size_t context, Day first_day_of_series, std::size_t days) {
    torch::NoGradGuard no_grad;
    scaled.resize(end);
    std::vector<double> out;
    auto window = torch::empty({1, static_cast<std::int64_t>(context), kInputs});
    for (std::size_t t = 0; t < days; ++t) {
        std::size_t at = scaled.size();
        fill_window(scaled, at, context, first_day_of_series + static_cast<Day>(at),
                    window.data_ptr<float>());
        double next = net->forward(window).item<double>();
        scaled.push_back(next);
        out.push_back(next);
    }
    return out;
}

// Adds the 10th and 90th percentiles of the validation errors to a point forecast.
void add_interval(MethodForecast& f, std::span<const double> valid_actual,
                  std::span<const double> valid_point) {
    std::vector<double> errors;
    for (std::size_t t = 0; t < valid_actual.size(); ++t) {
        errors.push_back(valid_actual[t] - valid_point[t]);
    }
    double lo = percentile(errors, 10), hi = percentile(errors, 90);
    f.low.clear();
    f.high.clear();
    for (double p : f.point) {
        f.low.push_back(p + lo);
        f.high.push_back(p + hi);
    }
}

// A weekday on which the series was 0 at each of its last kClosedWeeks occurrences is a closed
// day (a shop shut on Saturdays): every method forecasts it as 0 with an interval of 0..0, so a
// closed day is neither forecast nor flagged as an anomaly when it stays closed.
constexpr std::size_t kClosedWeeks = 8;

std::array<bool, 7> closed_weekdays(std::span<const double> history, Day first_day) {
    std::array<bool, 7> closed{};
    if (history.size() < 7 * kClosedWeeks) {
        return closed;
    }
    closed.fill(true);
    for (std::size_t t = history.size() - 7 * kClosedWeeks; t < history.size(); ++t) {
        if (history[t] != 0) {
            closed[static_cast<std::size_t>(day_of_week(first_day + static_cast<Day>(t)))] = false;
        }
    }
    return closed;
}

// Sets the forecast of the closed days among `f`'s (which start on day `first`) to 0..0.
void close_days(MethodForecast& f, const std::array<bool, 7>& closed, Day first) {
    for (std::size_t t = 0; t < f.point.size(); ++t) {
        if (closed[static_cast<std::size_t>(day_of_week(first + static_cast<Day>(t)))]) {
            f.point[t] = 0;
            if (t < f.low.size()) {
                f.low[t] = 0;
                f.high[t] = 0;
            }
        }
    }
}

nlohmann::json method_json(const MethodForecast& f, bool with_test) {
    nlohmann::json j = {{"method", f.method},
                        {"point", f.point},
                        {"low", f.low},
                        {"high", f.high},
                        {"valid_mae", f.valid_mae}};
    if (with_test) {
        j["test_mae"] = f.test_mae;
        j["test_smape"] = f.test_smape;
    }
    return j;
}

}  // namespace

int day_of_week(Day d) {
    // 1970-01-01 was a Thursday (3 with Monday = 0).
    int r = static_cast<int>((static_cast<std::int64_t>(d) + 3) % 7);
    return r < 0 ? r + 7 : r;
}

std::vector<DailySeries> daily_series(const EventTable& table, const TimeZone& zone) {
    std::vector<DailySeries> out;
    if (table.n_events() == 0) {
        return out;
    }
    Day first = zone.day_of(table.time[0]), last = first;
    for (Seconds t : table.time) {
        Day d = zone.day_of(t);
        first = std::min(first, d);
        last = std::max(last, d);
    }
    auto n = static_cast<std::size_t>(last - first + 1);
    DailySeries users{"active_users", first, std::vector<double>(n, 0.0), {}};
    DailySeries events{"events", first, std::vector<double>(n, 0.0), {}};
    DailySeries value{"value", first, std::vector<double>(n, 0.0), {}};
    bool any_value = false;
    std::vector<Day> days;
    std::vector<Seconds> latest(n, -1);  // per day, the latest event's seconds since midnight
    for (std::uint32_t u = 0; u < table.n_users(); ++u) {
        days.clear();
        for (std::uint64_t e = table.user_begin(u); e < table.user_end(u); ++e) {
            Day d = zone.day_of(table.time[e]);
            auto i = static_cast<std::size_t>(d - first);
            latest[i] = std::max(latest[i], table.time[e] - zone.start_of(d));
            events.values[i] += 1;
            if (!std::isnan(table.value[e])) {
                value.values[i] += table.value[e];
                any_value = true;
            }
            days.push_back(d);
        }
        std::sort(days.begin(), days.end());
        days.erase(std::unique(days.begin(), days.end()), days.end());
        for (Day d : days) {
            users.values[static_cast<std::size_t>(d - first)] += 1;
        }
    }
    std::vector<Seconds> others;
    for (std::size_t i = 0; i + 1 < n; ++i) {
        if (latest[i] >= 0) {
            others.push_back(latest[i]);
        }
    }
    std::string left_out;
    if (others.size() >= 7) {
        // The 10th percentile: a day that merely ends a little early is not cut.
        auto mid = others.begin() + static_cast<std::ptrdiff_t>(others.size() / 10);
        std::nth_element(others.begin(), mid, others.end());
        if (latest[n - 1] < *mid) {
            auto clock = [](Seconds s) {
                char buffer[16];
                std::snprintf(buffer, sizeof buffer, "%02d:%02d", static_cast<int>(s / 3600),
                              static_cast<int>(s / 60 % 60));
                return std::string(buffer);
            };
            left_out = "the last day, " + format_day(last) +
                       ", looks partial: its last event is at " + clock(latest[n - 1]) +
                       ", nine days in ten end after " + clock(*mid);
        }
    }
    for (DailySeries* series : {&users, &events, &value}) {
        if (!left_out.empty()) {
            series->values.pop_back();
        }
        series->left_out = left_out;
    }
    out.push_back(std::move(users));
    out.push_back(std::move(events));
    if (any_value) {
        out.push_back(std::move(value));
    }
    return out;
}

std::vector<double> seasonal_naive(std::span<const double> history, std::size_t season,
                                   std::size_t days) {
    if (season == 0 || history.size() < season) {
        throw_invalid("seasonal naive: needs at least one season (" + std::to_string(season) +
                      " days) of history, has " + std::to_string(history.size()));
    }
    std::vector<double> out;
    for (std::size_t t = 0; t < days; ++t) {
        out.push_back(history[history.size() - season + t % season]);
    }
    return out;
}

std::vector<double> moving_average(std::span<const double> history, std::size_t window,
                                   std::size_t days) {
    if (history.empty() || window == 0) {
        throw_invalid("moving average: needs a history and a window of at least 1 day");
    }
    std::size_t n = std::min(window, history.size());
    double mean =
        std::accumulate(history.end() - static_cast<std::ptrdiff_t>(n), history.end(), 0.0) /
        static_cast<double>(n);
    return std::vector<double>(days, mean);
}

double mean_absolute_error(std::span<const double> actual, std::span<const double> forecast) {
    if (actual.empty() || actual.size() != forecast.size()) {
        throw_invalid("mae: needs two series of the same non-zero length");
    }
    double sum = 0;
    for (std::size_t t = 0; t < actual.size(); ++t) {
        sum += std::abs(actual[t] - forecast[t]);
    }
    return sum / static_cast<double>(actual.size());
}

double smape(std::span<const double> actual, std::span<const double> forecast) {
    if (actual.empty() || actual.size() != forecast.size()) {
        throw_invalid("smape: needs two series of the same non-zero length");
    }
    double sum = 0;
    for (std::size_t t = 0; t < actual.size(); ++t) {
        double denominator = std::abs(actual[t]) + std::abs(forecast[t]);
        sum += denominator > 0 ? 2 * std::abs(actual[t] - forecast[t]) / denominator : 0.0;
    }
    return sum / static_cast<double>(actual.size());
}

double percentile(std::vector<double> values, double p) {
    if (values.empty()) {
        throw_invalid("percentile of no values");
    }
    std::sort(values.begin(), values.end());
    double rank = p / 100 * static_cast<double>(values.size() - 1);
    auto below = static_cast<std::size_t>(std::floor(rank));
    std::size_t above = std::min(below + 1, values.size() - 1);
    double frac = rank - static_cast<double>(below);
    return values[below] + frac * (values[above] - values[below]);
}

// How much lower the LSTM's validation MAE must be than the better baseline's for it to be chosen.
constexpr double kLstmMargin = 0.05;

SeriesForecast forecast_series(const DailySeries& series, const ForecastOptions& o) {
    const std::size_t n = o.horizon, c = o.context, total = series.values.size();
    if (n == 0 || c == 0 || o.hidden == 0 || o.season == 0 || o.moving_average == 0) {
        throw_invalid("forecast: horizon, context, hidden, season and window must be >= 1");
    }
    const std::size_t needed = c + 2 * n + o.season;
    if (total < needed) {
        throw_invalid("forecast of " + series.name + ": " + std::to_string(total) +
                      " days of data; a " + std::to_string(n) + "-day forecast needs " +
                      std::to_string(needed) + " (" + std::to_string(c) + " of context, " +
                      std::to_string(n) + " to validate, " + std::to_string(n) +
                      " held out, and some to train on)");
    }
    std::span<const double> y(series.values);
    const std::size_t test_start = total - n, valid_start = total - 2 * n;
    SeriesForecast out;
    out.name = series.name;
    out.left_out = series.left_out;
    out.test_first_day = series.first_day + static_cast<Day>(test_start);
    out.future_first_day = series.first_day + static_cast<Day>(total);
    out.test_actual.assign(y.begin() + static_cast<std::ptrdiff_t>(test_start), y.end());
    std::span<const double> valid_actual = y.subspan(valid_start, n);

    // Scaling from the training part (validation days included, held-out days not).
    std::span<const double> fit_part = y.first(test_start);
    double mean = std::accumulate(fit_part.begin(), fit_part.end(), 0.0) / fit_part.size();
    double var = 0;
    for (double v : fit_part) {
        var += (v - mean) * (v - mean);
    }
    double sd = std::sqrt(var / fit_part.size());
    if (!(sd > 0)) {
        sd = 1;
    }
    std::vector<double> scaled;
    for (double v : y) {
        scaled.push_back((v - mean) / sd);
    }
    auto unscale = [&](std::vector<double> v) {
        for (double& x : v) {
            x = x * sd + mean;
        }
        return v;
    };

    // The LSTM, trained on targets before the validation window.
    seed_torch(o.seed);
    LstmNet net(o.hidden);
    std::vector<std::size_t> targets;
    for (std::size_t i = c; i < valid_start; ++i) {
        targets.push_back(i);
    }
    ModuleTask task;
    task.what = "forecast " + series.name;
    task.log_style = {.metric = "valid MAE", .metric_sign = -1, .epochs_at_info = false};
    task.n_examples = targets.size();
    task.n_samples_per_epoch = targets.size();
    task.batch_loss = [&](std::span<const std::size_t> examples) {
        auto b = static_cast<std::int64_t>(examples.size());
        auto x = torch::empty({b, static_cast<std::int64_t>(c), kInputs});
        auto t = torch::empty({b});
        float* target = t.data_ptr<float>();
        for (std::size_t r = 0; r < examples.size(); ++r) {
            std::size_t i = targets[examples[r]];
            fill_window(scaled, i, c, series.first_day + static_cast<Day>(i),
                        x.data_ptr<float>() + r * c * kInputs);
            target[r] = static_cast<float>(scaled[i]);
        }
        return BatchLoss{torch::mse_loss(net->forward(x), t), examples.size()};
    };
    task.validate = [&] {
        std::vector<double> f =
            unscale(lstm_rollout(net, scaled, valid_start, c, series.first_day, n));
        return -mean_absolute_error(valid_actual, f);
    };
    TrainOptions train;
    train.max_epochs = o.max_epochs;
    train.batch_size = 32;
    train.learning_rate = o.learning_rate;
    train.patience = 10;
    train.budget_seconds = o.budget_seconds;
    train.seed = o.seed;
    train_module(*net, task, train);

    // Each method: validation forecast (chooses it and sets its interval), test forecast,
    // future forecast.
    bool nonnegative =
        std::all_of(fit_part.begin(), fit_part.end(), [](double v) { return v >= 0; });
    auto floor = [&](std::vector<double>& v) {
        if (nonnegative) {
            for (double& x : v) {
                x = std::max(x, 0.0);
            }
        }
    };
    // The closed weekdays as of each forecast's start (only the days before it count).
    auto closed_at = [&](std::size_t end) {
        return closed_weekdays(y.first(end), series.first_day);
    };
    auto day_at = [&](std::size_t t) { return series.first_day + static_cast<Day>(t); };
    auto run_method = [&](const std::string& method, auto predict_raw) {
        auto predict = [&](std::size_t end) {
            MethodForecast f;
            f.point = predict_raw(end);
            floor(f.point);
            close_days(f, closed_at(end), day_at(end));
            return f.point;
        };
        MethodForecast valid;
        valid.point = predict(valid_start);
        MethodForecast f;
        f.method = method;
        f.valid_mae = mean_absolute_error(valid_actual, valid.point);
        f.point = predict(test_start);
        add_interval(f, valid_actual, valid.point);
        floor(f.low);
        floor(f.high);
        close_days(f, closed_at(test_start), day_at(test_start));
        f.test_mae = mean_absolute_error(out.test_actual, f.point);
        f.test_smape = smape(out.test_actual, f.point);
        MethodForecast future;
        future.method = method;
        future.valid_mae = f.valid_mae;
        future.point = predict(total);
        add_interval(future, valid_actual, valid.point);
        floor(future.low);
        floor(future.high);
        close_days(future, closed_at(total), day_at(total));
        return std::pair{f, future};
    };
    std::vector<std::pair<MethodForecast, MethodForecast>> results;
    results.push_back(run_method("lstm", [&](std::size_t end) {
        return unscale(lstm_rollout(net, scaled, end, c, series.first_day, n));
    }));
    results.push_back(run_method("seasonal_naive", [&](std::size_t end) {
        return seasonal_naive(y.first(end), o.season, n);
    }));
    results.push_back(run_method("moving_average", [&](std::size_t end) {
        return moving_average(y.first(end), o.moving_average, n);
    }));
    // The better baseline, then the LSTM only when it is clearly better than that (see the
    // header): on one validation window a near tie says nothing, and the baseline is the one a
    // reader can check by hand.
    std::size_t best = 1;
    for (std::size_t m = 0; m < results.size(); ++m) {
        out.methods.push_back(results[m].first);
        if (m > 1 && results[m].first.valid_mae < results[best].first.valid_mae) {
            best = m;
        }
    }
    if (results[0].first.valid_mae < (1 - kLstmMargin) * results[best].first.valid_mae) {
        best = 0;
    }
    out.chosen = results[best].first.method;
    out.future = results[best].second;
    const MethodForecast& chosen = results[best].first;
    for (std::size_t t = 0; t < n; ++t) {
        if (out.test_actual[t] < chosen.low[t] || out.test_actual[t] > chosen.high[t]) {
            out.anomalies.push_back(out.test_first_day + static_cast<Day>(t));
        }
    }
    return out;
}

nlohmann::json SeriesForecast::to_json() const {
    nlohmann::json methods_json = nlohmann::json::array();
    for (const MethodForecast& m : methods) {
        methods_json.push_back(method_json(m, true));
    }
    nlohmann::json anomaly_days = nlohmann::json::array();
    for (Day d : anomalies) {
        anomaly_days.push_back(format_day(d));
    }
    return {{"name", name},
            {"test_first_day", format_day(test_first_day)},
            {"test_actual", test_actual},
            {"methods", methods_json},
            {"chosen", chosen},
            {"future_first_day", format_day(future_first_day)},
            {"future", method_json(future, false)},
            {"anomalies", anomaly_days},
            {"left_out", left_out.empty() ? nlohmann::json() : nlohmann::json(left_out)}};
}

}  // namespace sextant
